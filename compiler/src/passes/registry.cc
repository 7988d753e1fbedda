// The pass registry: every pass with its name, one-line description and contract, in
// the canonical order of SPEC §4.1.
#include <vector>

#include "bb/compiler/pass.h"
#include "bb/ir/names.h"
#include "passes.h"

#ifndef BB_VERSION
#error "BB_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

namespace bb::compiler {

const std::vector<PassInfo>& registered_passes() {
  static const std::vector<PassInfo> passes = {
      {kPassValidate, "structural rules BB002-BB016 (and BB012-BB014, BB020 on compiled input); errors stop",
       false, 0, kValidated, std::nullopt, true, &create_validate_pass},
      {kPassCanonicalize,
       "text-form peers become multihash bytes; wire ops get unique names (Send_<i>, Recv_<i>, ~2); stable "
       "topological order",
       false, kValidated, kCanonical, std::nullopt, false, &create_canonicalize_pass},
      {kPassInsertDedupGateRx, "insert DedupGateRx after every Recv and rewire its consumers", true,
       kValidated | kCanonical, 0, Gate::kDedupRx, true, &create_insert_dedup_gate_rx_pass},
      {kPassInsertPeerHealthGateRx, "insert PeerHealthGateRx after the rx chain of every Recv", true,
       kValidated | kCanonical, 0, Gate::kPeerHealthRx, true, &create_insert_peer_health_gate_rx_pass},
      {kPassInsertBackoffGateRx, "insert BackoffGateRx after the rx chain of every Recv", true,
       kValidated | kCanonical, 0, Gate::kBackoffRx, true, &create_insert_backoff_gate_rx_pass},
      {kPassInsertPeerHealthGateTx, "insert PeerHealthGateTx before every Send with a destination", true,
       kValidated | kCanonical, 0, Gate::kPeerHealthTx, true, &create_insert_peer_health_gate_tx_pass},
      {kPassInsertBackoffGateTx, "insert BackoffGateTx before every Send with a destination", true,
       kValidated | kCanonical, 0, Gate::kBackoffTx, true, &create_insert_backoff_gate_tx_pass},
      {kPassVerifyGates, "check the gate contracts per node for the gates whose passes ran", false,
       kValidated | kCanonical, kGatesVerified, std::nullopt, true, &create_verify_gates_pass},
      {kPassStampPassport,
       "add the syscall domain to opset_import where gates exist; write the passport (version, compiler, passes, "
       "graph_sha256)",
       false, kValidated | kCanonical, kStamped, std::nullopt, true, &create_stamp_passport_pass},
  };
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
