// The gate catalogue: the five gates the compiler inserts around every wire op and the
// runtime enforces, with every fact about each in one row — op type, the stamp it leaves
// on the wire op, the infix of its outputs, the pass that inserts it, its side (tx or
// rx) and its rank in that side's chain. The compiler's passes, its gate-contract checker
// and the runtime's plan and metrics all read this table; docs/spec.md §3 describes it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/ir/names.h"

namespace bb::ir {

// The five gates, tx chain first, each side in chain order. The order is the order of
// the metrics output's `gates` object.
enum class Gate : std::uint8_t { kPeerHealthTx, kBackoffTx, kDedupRx, kPeerHealthRx, kBackoffRx };
inline constexpr int kGateCount = 5;

struct GateInfo {
  Gate gate;
  std::string_view op_type;    // in the syscall domain, e.g. kBackoffGateTx
  std::string_view stamp;      // the INT stamp = 1 the gate leaves on its wire op
  std::string_view out_infix;  // gate outputs are `<key>#<infix>.<j>`
  std::string_view pass;       // the compiler pass that inserts it (listed in the passport)
  bool tx;                     // guards a Send (tx) or a Recv (rx)
  int rank;                    // position within its side's chain, from the wire op outwards on rx
};

inline constexpr std::array<GateInfo, kGateCount> kGates{{
    {Gate::kPeerHealthTx, kPeerHealthGateTx, kStampPeerHealthTx, kOutPeerHealthTx, kPassInsertPeerHealthGateTx, true, 0},
    {Gate::kBackoffTx, kBackoffGateTx, kStampBackoffTx, kOutBackoffTx, kPassInsertBackoffGateTx, true, 1},
    {Gate::kDedupRx, kDedupGateRx, kStampDedupRx, kOutDedupRx, kPassInsertDedupGateRx, false, 0},
    {Gate::kPeerHealthRx, kPeerHealthGateRx, kStampPeerHealthRx, kOutPeerHealthRx, kPassInsertPeerHealthGateRx, false, 1},
    {Gate::kBackoffRx, kBackoffGateRx, kStampBackoffRx, kOutBackoffRx, kPassInsertBackoffGateRx, false, 2},
}};

constexpr const GateInfo& gate_info(Gate gate) { return kGates[static_cast<std::size_t>(gate)]; }
constexpr int gate_index(Gate gate) { return static_cast<int>(gate); }

// The gate with this domain and op type; nullptr for any other op (the domain counts:
// a `BackoffGateTx` outside the syscall domain is not a gate).
const GateInfo* find_gate(std::string_view domain, std::string_view op_type);
const GateInfo* gate_of(const onnx::NodeProto& node);
// The gate a pass inserts; nullptr when `pass` inserts none.
const GateInfo* gate_of_pass(std::string_view pass);

}  // namespace bb::ir
