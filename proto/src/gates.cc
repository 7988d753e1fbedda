#include "bb/ir/gates.h"

namespace bb::ir {

const GateInfo* find_gate(std::string_view domain, std::string_view op_type) {
  if (domain != kSyscallDomain) return nullptr;
  for (const auto& g : kGates)
    if (g.op_type == op_type) return &g;
  return nullptr;
}

const GateInfo* gate_of(const onnx::NodeProto& node) { return find_gate(node.domain(), node.op_type()); }

const GateInfo* gate_of_pass(std::string_view pass) {
  for (const auto& g : kGates)
    if (g.pass == pass) return &g;
  return nullptr;
}

}  // namespace bb::ir
