// A node's attributes against its op's row of the bb op table (op_table.h), found in one
// pass over the node's attribute list: the check of the declarations (compile, lint and
// the loader) and the kernels' reads share it instead of looking up each name.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/ir/op_table.h"

namespace bb::ir {

// The most attributes an op of the table declares (op_table.cc checks every row).
inline constexpr std::size_t kMaxDeclaredAttributes = 8;

// What a reader takes of an attribute — its type, int and string — read while the
// attribute is in the cache: bbrun's loader takes one per declared attribute as it
// parses each node, and the node's kernel, made in a later pass over the nodes, reads
// these instead of loading the ~260-byte AttributeProto (cold by then) again.
struct AttributeView {
  const onnx::AttributeProto* proto = nullptr;  // null: absent
  // i() of an INT, where s()'s bytes are for a STRING (24 bytes a view: the plan walk
  // writes one per declared attribute of every node, and each line it writes is a miss).
  union {
    std::int64_t i;
    const char* data;
  } value{0};
  std::uint32_t size = 0;  // of a STRING's s(); an attribute is under 2 GiB (the file is)
  onnx::AttributeProto::AttributeType type = onnx::AttributeProto::UNDEFINED;

  std::int64_t i() const { return type == onnx::AttributeProto::INT ? value.i : 0; }
  std::string_view s() const {
    return type == onnx::AttributeProto::STRING ? std::string_view(value.data, size) : std::string_view();
  }
};
// A view of `attr` (absent when null).
AttributeView view_of(const onnx::AttributeProto* attr);

class DeclaredAttributes {
 public:
  // One pass over node.attribute(): per declared attribute the first one of its name (as
  // find_attribute finds it), and whether the node has any the op does not declare.
  DeclaredAttributes(const OpSpec& op, const onnx::NodeProto& node);
  // What an earlier pass found and checked (a view for every position of
  // op().attributes), without reading the node: bbrun's loader finds them while the node
  // is parsed and checks them (check_node_attributes), its kernels read them later.
  // has_undeclared() is then false: that pass reported it.
  DeclaredAttributes(const OpSpec& op, std::span<const AttributeView> checked);

  const OpSpec& op() const { return op_; }
  // By position in op().attributes: the node's attribute, or null when absent.
  const onnx::AttributeProto* at(std::size_t position) const { return found_[position]; }
  // By position: the view an earlier pass took and checked (its value keeps the
  // declaration unless its type is wrong), or null when this was found in the node.
  const AttributeView* checked_view(std::size_t position) const {
    return checked_ != nullptr ? checked_ + position : nullptr;
  }
  // By name: the declaration's position, or op().attributes.size() for a name it does
  // not declare. Compares with the table's names only; the node is not read again.
  std::size_t position(std::string_view name) const;
  bool has_undeclared() const { return undeclared_; }

 private:
  const OpSpec& op_;
  std::array<const onnx::AttributeProto*, kMaxDeclaredAttributes> found_{};
  const AttributeView* checked_ = nullptr;
  bool undeclared_ = false;
};

// check_node_attributes (op_table.h) over what `found` holds of `node`, found by
// DeclaredAttributes(op, node): for a caller that keeps it (bbrun's loader hands it to
// the node's kernel).
std::vector<AttrProblem> check_node_attributes(const DeclaredAttributes& found, const onnx::NodeProto& node);

}  // namespace bb::ir
