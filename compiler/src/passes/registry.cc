// The pass registry: every pass with its name, one-line description and contract, in
// canonical order (docs/compiler.md): validate, canonicalize, one gate pass per row of the
// gate catalogue (the rx chain, then the tx chain, each from the wire op outwards),
// verify-gates, stamp-passport.
#include <algorithm>
#include <vector>

#include "bb/compiler/pass.h"
#include "bb/ir/gates.h"
#include "bb/ir/names.h"
#include "passes.h"

#ifndef BB_VERSION
#error "BB_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

namespace bb::compiler {
namespace {

std::string gate_pass_description(const ir::GateInfo& gate) {
  const std::string op(gate.op_type);
  if (gate.tx) return "insert " + op + " before every Send with a destination";
  if (gate.rank == 0) return "insert " + op + " after every Recv and rewire its consumers";
  return "insert " + op + " after the rx chain of every Recv";
}

// The gates in the order their passes run: rx before tx, then by rank.
std::vector<ir::GateInfo> gates_in_pass_order() {
  std::vector<ir::GateInfo> gates(ir::kGates.begin(), ir::kGates.end());
  std::stable_sort(gates.begin(), gates.end(),
                   [](const auto& a, const auto& b) { return a.tx != b.tx ? !a.tx : a.rank < b.rank; });
  return gates;
}

std::vector<PassInfo> build_registry() {
  std::vector<PassInfo> passes;
  passes.push_back({kPassValidate,
                    "structural rules BB002-BB016 (and BB012-BB014, BB020 on compiled input); errors stop", false, 0,
                    kValidated, std::nullopt, &create_validate_pass});
  passes.push_back({kPassCanonicalize,
                    "text-form peers become multihash bytes; wire ops get unique names (Send_<i>, Recv_<i>, ~2); "
                    "stable topological order",
                    false, kValidated, kCanonical, std::nullopt, &create_canonicalize_pass});
  for (const auto& gate : gates_in_pass_order())
    passes.push_back({gate.pass, gate_pass_description(gate), true, kValidated | kCanonical, 0, gate.gate,
                      &create_insert_gate_pass});
  passes.push_back({kPassVerifyGates, "check the gate contracts per node for the gates whose passes ran", false,
                    kValidated | kCanonical, kGatesVerified, std::nullopt, &create_verify_gates_pass});
  passes.push_back({kPassStampPassport,
                    "add the syscall domain to opset_import where gates exist; write the passport (version, "
                    "compiler, passes, graph_sha256)",
                    false, kValidated | kCanonical, kStamped, std::nullopt, &create_stamp_passport_pass});
  return passes;
}

}  // namespace

const std::vector<PassInfo>& registered_passes() {
  static const std::vector<PassInfo> passes = build_registry();
  return passes;
}

const PassInfo* find_pass(std::string_view name) {
  for (const auto& pass : registered_passes())
    if (pass.name == name) return &pass;
  return nullptr;
}

std::string_view compiler_version() { return BB_VERSION; }

std::string compiler_id() { return std::string(ir::kCompilerName) + " " + std::string(compiler_version()); }

}  // namespace bb::compiler
