// The gate contracts of SPEC §4.4, checked per node: every Send with a destination is
// fed by exactly PeerHealthGateTx → BackoffGateTx covering all its inputs with its own
// peer; every Recv output reaches consumers only through DedupGateRx →
// PeerHealthGateRx → BackoffGateRx. Only the gates in `GateSet` are required.
//
// One checker, two uses: the `verify-gates` pass (a violation is a bug in bbc, exit 3)
// and, on compiled input, the findings BB012–BB014.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"

namespace bb::compiler {

// The five gates in chain order: tx PeerHealth, tx Backoff; rx Dedup, PeerHealth, Backoff.
enum class Gate : std::uint8_t { kPeerHealthTx, kBackoffTx, kDedupRx, kPeerHealthRx, kBackoffRx };
inline constexpr int kGateCount = 5;

struct GateInfo {
  Gate gate;
  std::string_view op_type;     // e.g. bb::ir::kBackoffGateTx
  std::string_view stamp;       // the INT stamp on the wire op
  std::string_view out_infix;   // gate outputs `<key>#<infix>.<j>`
  std::string_view pass;        // the pass that inserts it
  bool tx;
  int rank;                     // position within its chain
};
const GateInfo& gate_info(Gate gate);
// The gate of a node's op type (syscall domain), if it is one.
const GateInfo* gate_of(const onnx::NodeProto& node);

class GateSet {
 public:
  GateSet() = default;
  static GateSet all();
  // The gates whose insertion passes appear in `passes`.
  static GateSet from_passes(const std::vector<std::string>& passes);
  void add(Gate g) { bits_ |= bit(g); }
  bool has(Gate g) const { return (bits_ & bit(g)) != 0; }
  bool empty() const { return bits_ == 0; }
  bool any_tx() const { return has(Gate::kPeerHealthTx) || has(Gate::kBackoffTx); }
  bool any_rx() const { return has(Gate::kDedupRx) || has(Gate::kPeerHealthRx) || has(Gate::kBackoffRx); }

 private:
  static std::uint8_t bit(Gate g) { return static_cast<std::uint8_t>(1u << static_cast<int>(g)); }
  std::uint8_t bits_ = 0;
};

// Checks every graph of `model` (main graph, subgraphs, functions) and reports
// BB012 (a Send not behind its full chain), BB013 (a chain out of order, or a gate
// whose peer differs from its Send's) and BB014 (a Recv output consumed without the
// rx chain).
void check_gate_contracts(const onnx::ModelProto& model, GateSet required, DiagnosticEngine& diags);

}  // namespace bb::compiler
