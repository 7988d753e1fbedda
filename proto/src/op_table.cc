#include "bb/ir/op_table.h"

#include <array>

#include "bb/ir/names.h"

namespace bb::ir {
namespace {

using A = onnx::AttributeProto;

constexpr std::array kTxGateAttrs{
    AttrSpec{kAttrPeer, A::STRING, false, 1, "destination PeerId (multihash bytes), copied from the Send"},
    AttrSpec{kAttrDynamicPeers, A::INT, false, 1, "1: the last input is a peer list to filter"},
    AttrSpec{kAttrSource, A::STRING, false, 0, "name of the gated Send"},
};
constexpr std::array kRxGateAttrs{
    AttrSpec{kAttrSource, A::STRING, false, 0, "name of the gated Recv"},
};
constexpr std::array kSendAttrs{
    AttrSpec{kAttrPeer, A::STRING, false, 0, "static destination; absent: the last input is a peer list"},
    AttrSpec{kAttrChannel, A::STRING, false, 0, "pairs the Send with the Recvs of this channel (default \"\")"},
    AttrSpec{kAttrDeadlineNs, A::INT, false, 0, "delivery budget in ns; past it the attempt fails with timeout"},
    AttrSpec{kStampPeerHealthTx, A::INT, false, 0, "stamp: gated by PeerHealthGateTx"},
    AttrSpec{kStampBackoffTx, A::INT, false, 0, "stamp: gated by BackoffGateTx"},
};
constexpr std::array kRecvAttrs{
    AttrSpec{kAttrChannel, A::STRING, false, 0, "receives envelopes of this channel (default \"\")"},
    AttrSpec{kStampDedupRx, A::INT, false, 0, "stamp: gated by DedupGateRx"},
    AttrSpec{kStampPeerHealthRx, A::INT, false, 0, "stamp: gated by PeerHealthGateRx"},
    AttrSpec{kStampBackoffRx, A::INT, false, 0, "stamp: gated by BackoffGateRx"},
};
constexpr std::array<AttrSpec, 0> kNoAttrs{};
constexpr std::array kIntervalAttrs{
    AttrSpec{kAttrPeriodNs, A::INT, true, 0, "period in ns (> 0)"},
    AttrSpec{kAttrCount, A::INT, false, 0, "number of ticks; absent: unbounded"},
};
constexpr std::array kAfterAttrs{
    AttrSpec{kAttrDelayNs, A::INT, true, 0, "delay in ns (>= 0)"},
};
constexpr std::array kConstantAttrs{
    AttrSpec{kAttrValue, A::TENSOR, false, 1, "a tensor"},
    AttrSpec{kAttrValueBytes, A::STRING, false, 1, "raw bytes"},
    AttrSpec{kAttrValueString, A::STRING, false, 1, "a string"},
    AttrSpec{kAttrValueInt, A::INT, false, 1, "an int64"},
};
constexpr std::array kLogAttrs{
    AttrSpec{kAttrMessage, A::STRING, false, 0, "text logged before the values"},
    AttrSpec{kAttrLevel, A::STRING, false, 0, "trace|debug|info|warn|error (default info)"},
};
constexpr std::array kIncrMetricAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "counter name"},
    AttrSpec{kAttrDelta, A::INT, false, 0, "amount added per firing (default 1)"},
};
constexpr std::array kPeersAttrs{
    AttrSpec{kAttrPeers, A::STRINGS, true, 0, "peers as multihash bytes, base58btc or id:<name>"},
};
constexpr std::array kSamplePeersAttrs{
    AttrSpec{kAttrK, A::INT, true, 0, "number of peers drawn (>= 0)"},
};
constexpr std::array kAggregateAttrs{
    AttrSpec{kAttrCount, A::INT, true, 0, "updates per round (> 0): the round closes when this many arrived"},
    AttrSpec{kAttrMode, A::STRING, false, 0, "mean (default) or sum"},
    AttrSpec{kAttrQuorum, A::INT, false, 0, "with timeout_ns: fewest updates a round closes with at its timeout (default count)"},
    AttrSpec{kAttrTimeoutNs, A::INT, false, 0,
             "round timeout in ns from the round's first update; absent: wait for count updates"},
};
constexpr std::array kStateAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "the state's name; StateGet and StateSet of one name share it"},
};
constexpr std::array kRecordAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "the series' name in the metrics (e.g. accuracy)"},
};

constexpr auto V = kVariadic;

constexpr std::array kOps{
    // ---- Gates ----
    OpSpec{kSyscallDomain, kPeerHealthGateTx, OpKind::kGate, 1, V, 1, V, true, kTxGateAttrs,
           "PeerGovernor check_outbound for the destination; the dynamic form filters the peer list",
           "v0..vk (a dynamic gate's last input is the peer list)", "v0'..vk', unchanged on allow",
           "blocklisted,not_allowlisted"},
    OpSpec{kSyscallDomain, kBackoffGateTx, OpKind::kGate, 1, V, 1, V, true, kTxGateAttrs,
           "holds sends to a peer in backoff cooldown; the dynamic form filters the peer list",
           "v0..vk (a dynamic gate's last input is the peer list)", "v0'..vk', unchanged on allow", "cooldown"},
    OpSpec{kSyscallDomain, kDedupGateRx, OpKind::kGate, 1, V, 1, V, true, kRxGateAttrs,
           "drops an envelope this gate has seen (source, incarnation, message id), or one below the window",
           "v0..vk", "v0'..vk', unchanged on allow", "duplicate,replay"},
    OpSpec{kSyscallDomain, kPeerHealthGateRx, OpKind::kGate, 1, V, 1, V, true, kRxGateAttrs,
           "PeerGovernor check_inbound for the sender", "v0..vk", "v0'..vk', unchanged on allow",
           "blocklisted,not_allowlisted"},
    OpSpec{kSyscallDomain, kBackoffGateRx, OpKind::kGate, 1, V, 1, V, true, kRxGateAttrs,
           "sheds inbound traffic from a sender in outbound cooldown", "v0..vk", "v0'..vk', unchanged on allow",
           "cooldown"},
    // ---- Trigger sources ----
    OpSpec{kSyscallDomain, kPulse, OpKind::kSource, 0, 0, 1, 1, false, kNoAttrs, "fires once at t = 0", "—",
           "trigger", ""},
    OpSpec{kSyscallDomain, kInterval, OpKind::kSource, 0, 0, 1, 1, false, kIntervalAttrs,
           "fires at t = k·period_ns for k = 0, 1, …", "—", "timestamp (ns)", ""},
    OpSpec{kSyscallDomain, kAfter, OpKind::kSource, 0, 0, 1, 1, false, kAfterAttrs, "fires once at t = delay_ns",
           "—", "trigger", ""},
    // ---- Compute ----
    OpSpec{kSyscallDomain, kOnTrigger, OpKind::kCompute, 1, V, 1, 1, false, kNoAttrs,
           "joins its inputs into one trigger", "any values", "trigger", ""},
    OpSpec{kSyscallDomain, kPassThrough, OpKind::kCompute, 1, 1, 1, 1, false, kNoAttrs, "identity", "value",
           "the same value", ""},
    OpSpec{kSyscallDomain, kTee, OpKind::kCompute, 1, 1, 1, V, false, kNoAttrs,
           "fan-out: every output is the input", "value", "N copies", ""},
    OpSpec{kSyscallDomain, kConstant, OpKind::kCompute, 0, 0, 1, 1, false, kConstantAttrs,
           "a literal value (exactly one of the attributes)", "—", "value", ""},
    OpSpec{kSyscallDomain, kClock, OpKind::kCompute, 0, V, 1, 1, false, kNoAttrs, "the node clock's now_ns",
           "any values (ordering only)", "timestamp (ns)", ""},
    OpSpec{kSyscallDomain, kPeers, OpKind::kCompute, 0, 0, 1, 1, false, kPeersAttrs, "a literal peer list", "—",
           "peer list", ""},
    OpSpec{kSyscallDomain, kSamplePeers, OpKind::kCompute, 1, 2, 1, 1, false, kSamplePeersAttrs,
           "k peers drawn with the node's seeded RNG (a trigger input redraws per execution)",
           "peer list [, trigger]", "peer list", ""},
    OpSpec{kSyscallDomain, kAggregate, OpKind::kCompute, 1, 2, 1, 2, false, kAggregateAttrs,
           "element-wise mean (weighted by the optional weight: sum(w*x)/sum(w)) or sum of the float tensors of a "
           "round, across executions; a round closes at `count` updates, or at its timeout with at least `quorum` "
           "(fewer: the round is dropped)",
           "update tensor [, weight: a scalar > 0, e.g. an example count]",
           "result when a round closes [, int64 scalar: updates in the round]", "shape_mismatch,invalid_value"},
    OpSpec{kSyscallDomain, kStateGet, OpKind::kCompute, 2, 2, 1, 1, false, kStateAttrs,
           "reads the node's named state (it outlives executions; a restarted node starts afresh)",
           "trigger (when to read), initial value (until the first StateSet)", "the state's current value", ""},
    OpSpec{kSyscallDomain, kStateSet, OpKind::kEffect, 1, 1, 0, 1, false, kStateAttrs,
           "stores a value as the node's named state", "value", "[trigger once stored]", ""},
    OpSpec{kSyscallDomain, kRecord, OpKind::kEffect, 1, 1, 0, 0, false, kRecordAttrs,
           "appends a numeric scalar with the time to a named series of the node's metrics",
           "scalar tensor (any numeric type)", "—", "invalid_value"},
    // ---- Effects ----
    OpSpec{kSyscallDomain, kLog, OpKind::kEffect, 1, V, 0, 0, false, kLogAttrs,
           "logs the values through spdlog", "values", "—", ""},
    OpSpec{kSyscallDomain, kIncrMetric, OpKind::kEffect, 0, V, 0, 0, false, kIncrMetricAttrs,
           "adds delta to a named counter", "any values (ordering only)", "—", ""},
    // ---- Wire ----
    OpSpec{kWireDomain, kSend, OpKind::kEffect, 1, V, 0, 1, false, kSendAttrs,
           "one envelope per destination to the transport; completes on delivery",
           "payloads [, peer list when no `peer`]", "[delivered trigger]", "unreachable,timeout,rejected"},
    OpSpec{kWireDomain, kRecv, OpKind::kSource, 0, 0, 1, V, false, kRecvAttrs,
           "fires once per envelope delivered on its channel", "—", "N payloads, then the sender PeerId",
           "arity_mismatch"},
};

}  // namespace

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kGate: return "gate";
    case OpKind::kSource: return "source";
    case OpKind::kCompute: return "compute";
    case OpKind::kEffect: return "effect";
  }
  return "unknown";
}

std::span<const OpSpec> bb_op_table() { return kOps; }

const OpSpec* find_bb_op(std::string_view domain, std::string_view op_type) {
  for (const auto& op : kOps)
    if (op.op_type == op_type && op.domain == domain) return &op;
  return nullptr;
}

const AttrSpec* find_attr_spec(const OpSpec& op, std::string_view name) {
  for (const auto& attr : op.attributes)
    if (attr.name == name) return &attr;
  return nullptr;
}

}  // namespace bb::ir
