// A node's attributes against its op's row of the bb op table (op_table.h), found in one
// pass over the node's attribute list: the check of the declarations (compile, lint and
// the loader) and the kernels' reads share it instead of looking up each name.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/ir/op_table.h"

namespace bb::ir {

// The most attributes an op of the table declares (op_table.cc checks every row).
inline constexpr std::size_t kMaxDeclaredAttributes = 8;

class DeclaredAttributes {
 public:
  // One pass over node.attribute(): per declared attribute the first one of its name (as
  // find_attribute finds it), and whether the node has any the op does not declare.
  DeclaredAttributes(const OpSpec& op, const onnx::NodeProto& node);
  // What an earlier pass found (at(p) for every position of op().attributes), without
  // reading the node: bbrun's loader finds them while the node is parsed, its kernels
  // read them later. has_undeclared() is then false: that pass reported it.
  DeclaredAttributes(const OpSpec& op, std::span<const onnx::AttributeProto* const> found);

  const OpSpec& op() const { return op_; }
  // By position in op().attributes: the node's attribute, or null when absent.
  const onnx::AttributeProto* at(std::size_t position) const { return found_[position]; }
  // By name: the declaration's position, or op().attributes.size() for a name it does
  // not declare. Compares with the table's names only; the node is not read again.
  std::size_t position(std::string_view name) const;
  bool has_undeclared() const { return undeclared_; }

 private:
  const OpSpec& op_;
  std::array<const onnx::AttributeProto*, kMaxDeclaredAttributes> found_{};
  bool undeclared_ = false;
};

// check_node_attributes (op_table.h) over what `found` holds of `node`, found by
// DeclaredAttributes(op, node): for a caller that keeps it (bbrun's loader hands it to
// the node's kernel).
std::vector<AttrProblem> check_node_attributes(const DeclaredAttributes& found, const onnx::NodeProto& node);

}  // namespace bb::ir
