// Reading a node's attributes into kernel state at load. Every error is a sentence
// naming the attribute and what is wrong; the loader adds the file and the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/ir/declared_attributes.h"
#include "bb/ir/expected.h"
#include "bb/runtime/kernel.h"

namespace bb::ops {

// The attribute when present with `type`; absent → nullopt; another type → error.
Expected<const onnx::AttributeProto*, std::string> typed_attribute(const onnx::NodeProto& node, std::string_view name,
                                                                   onnx::AttributeProto::AttributeType type);
Expected<std::optional<std::int64_t>, std::string> int_attribute(const onnx::NodeProto& node, std::string_view name);
// A view into the node (the Program holds it while kernels live): no copy per node.
Expected<std::optional<std::string_view>, std::string> string_attribute(const onnx::NodeProto& node,
                                                                        std::string_view name);
// A bb op's attributes read as the op table declares them (bb/ir/op_table.h): their
// types, ranges and choices are the table's, never a copy in the kernel. The node's
// attributes are found once (ir::DeclaredAttributes: by bbrun's loader while it parsed
// the node, KernelInit::declared, else at construction); each read then finds its name
// in the declaration, not in the node. Absent → nullopt; a string
// is a view into the node (the Program holds it while kernels live).
class DeclaredReader {
 public:
  explicit DeclaredReader(const runtime::KernelInit& init);
  // The attribute, which the table must declare with `type`; present with another type,
  // or with a value the declaration refuses → error.
  Expected<const onnx::AttributeProto*, std::string> get(std::string_view name,
                                                         onnx::AttributeProto::AttributeType type) const;
  Expected<std::optional<std::int64_t>, std::string> get_int(std::string_view name) const;
  Expected<std::optional<std::string_view>, std::string> get_string(std::string_view name) const;
  // The same, for an attribute that must be present.
  Expected<std::int64_t, std::string> required_int(std::string_view name) const;
  Expected<std::string_view, std::string> required_string(std::string_view name) const;

 private:
  // The attribute's view (proto null: absent), checked as get() says.
  Expected<ir::AttributeView, std::string> view(std::string_view name, onnx::AttributeProto::AttributeType type) const;

  std::optional<ir::DeclaredAttributes> found_;  // empty for an op outside the table
};

// A Tx gate's destination: the static `peer` (interned, referenced by the kernel) or
// `dynamic_peers` = 1. Neither, both, or a malformed peer is an error.
struct TxTarget {
  runtime::PeerIndex peer = runtime::kNoPeer;
  bool dynamic = false;
};
Expected<TxTarget, std::string> tx_target(const runtime::KernelInit& init, const DeclaredReader& attributes);

// A PeerId from an attribute value (multihash bytes or a text form); an error names
// "attribute '<name>'", or entry `entry` of it when the attribute is a list.
Expected<PeerId, std::string> peer_from_attribute(std::string_view value, std::string_view name,
                                                  std::optional<int> entry = std::nullopt);

}  // namespace bb::ops
