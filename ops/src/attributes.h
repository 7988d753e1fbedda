// Reading a node's attributes into kernel state at load. Every error is a sentence
// naming the attribute and what is wrong; the loader adds the file and the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"
#include "bb/runtime/kernel.h"

namespace bb::ops {

// The attribute when present with `type`; absent → nullopt; another type → error.
Expected<const onnx::AttributeProto*, std::string> typed_attribute(const onnx::NodeProto& node, std::string_view name,
                                                                   onnx::AttributeProto::AttributeType type);
Expected<std::optional<std::int64_t>, std::string> int_attribute(const onnx::NodeProto& node, std::string_view name);
Expected<std::optional<std::string>, std::string> string_attribute(const onnx::NodeProto& node, std::string_view name);
// An attribute of a bb op read as the op table declares it (bb/ir/op_table.h): its type,
// range or choices are the table's, never a copy in the kernel. Absent → nullopt.
Expected<std::optional<std::int64_t>, std::string> declared_int(const runtime::KernelInit& init, std::string_view name);
Expected<std::optional<std::string>, std::string> declared_string(const runtime::KernelInit& init,
                                                                  std::string_view name);
// The same, for an attribute that must be present.
Expected<std::int64_t, std::string> required_int(const runtime::KernelInit& init, std::string_view name);
Expected<std::string, std::string> required_string(const runtime::KernelInit& init, std::string_view name);

// A Tx gate's destination: the static `peer` (interned, referenced by the kernel) or
// `dynamic_peers` = 1. Neither, both, or a malformed peer is an error.
struct TxTarget {
  runtime::PeerIndex peer = runtime::kNoPeer;
  bool dynamic = false;
};
Expected<TxTarget, std::string> tx_target(const runtime::KernelInit& init);

// A PeerId from an attribute value (multihash bytes or a text form).
Expected<PeerId, std::string> peer_from_attribute(std::string_view value, std::string_view what);

}  // namespace bb::ops
