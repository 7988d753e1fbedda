// The gate contracts of docs/compiler.md, checked per node: every Send with a destination is
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
#include "bb/ir/gates.h"

namespace bb::compiler {

// The gates themselves (op type, stamp, infix, pass, side, rank) are the catalogue of
// bb/ir/gates.h.
using ir::Gate;
using ir::GateInfo;
using ir::gate_info;
using ir::gate_of;
using ir::kGateCount;

class GateSet {
 public:
  GateSet() = default;
  static GateSet all();
  // The gates whose insertion passes appear in `passes`.
  static GateSet from_passes(const std::vector<std::string>& passes);
  void add(Gate g) { bits_ |= bit(g); }
  bool has(Gate g) const { return (bits_ & bit(g)) != 0; }
  bool empty() const { return bits_ == 0; }
  bool any_tx() const { return any_on_side(true); }
  bool any_rx() const { return any_on_side(false); }

 private:
  bool any_on_side(bool tx) const {
    for (const auto& g : ir::kGates)
      if (g.tx == tx && has(g.gate)) return true;
    return false;
  }
  static std::uint8_t bit(Gate g) { return static_cast<std::uint8_t>(1u << static_cast<int>(g)); }
  std::uint8_t bits_ = 0;
};

// Checks every graph of `model` (main graph, subgraphs, functions) and reports
// BB012 (a Send not behind its full chain), BB013 (a chain out of order, or a gate
// whose peer differs from its Send's) and BB014 (a Recv output consumed without the
// rx chain).
void check_gate_contracts(const onnx::ModelProto& model, GateSet required, DiagnosticEngine& diags);

}  // namespace bb::compiler
