// How the compiler's messages name a value and a node, so that every finding
// spells them alike: a value or a named node in single quotes, an unnamed node
// by its position and op type (`#12 (Relu)`). Names are printed as they are
// here; the diagnostic engine escapes every message it prints.
#pragma once

#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

namespace bb::compiler {

// (Not `quoted`: with <iomanip> or <filesystem> in the file, argument-dependent
// lookup on a std::string would find std::quoted as well.)
inline std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

inline std::string node_label(const onnx::NodeProto &node, int index) {
  return node.name().empty()
             ? "#" + std::to_string(index) + " (" + node.op_type() + ")"
             : in_quotes(node.name());
}

} // namespace bb::compiler
