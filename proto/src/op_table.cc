#include "bb/ir/op_table.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "bb/ir/declared_attributes.h"
#include "bb/ir/names.h"
#include "bb/ir/suggest.h"
#include "bb/ir/wire_shape.h"

namespace bb::ir {
namespace {

using A = onnx::AttributeProto;

constexpr std::int64_t kMaxAggregateCount = 1'000'000'000;
constexpr std::int64_t kMaxSample = 1'000'000;
constexpr std::array<std::string_view, 5> kLogLevels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kAggregateModes{kModeMean, kModeSum};

constexpr std::array kTxGateAttrs{
    AttrSpec{kAttrPeer, A::STRING, false, 1, "destination PeerId (multihash bytes), copied from the Send"},
    AttrSpec{kAttrDynamicPeers, A::INT, false, 1, "1: the last input is a peer list to filter", 1, 1},
    AttrSpec{kAttrSource, A::STRING, false, 0, "name of the gated Send"},
};
constexpr std::array kRxGateAttrs{
    AttrSpec{kAttrSource, A::STRING, false, 0, "name of the gated Recv"},
};
constexpr std::array kSendAttrs{
    AttrSpec{kAttrPeer, A::STRING, false, 0, "static destination; absent: the last input is a peer list"},
    AttrSpec{kAttrChannel, A::STRING, false, 0, "pairs the Send with the Recvs of this channel (default \"\")"},
    AttrSpec{kAttrDeadlineNs, A::INT, false, 0, "delivery budget in ns; past it the attempt fails with timeout", 0},
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
    AttrSpec{kAttrPeriodNs, A::INT, true, 0, "period in ns (> 0)", 1},
    AttrSpec{kAttrCount, A::INT, false, 0, "number of ticks; absent: unbounded", 0},
};
constexpr std::array kAfterAttrs{
    AttrSpec{kAttrDelayNs, A::INT, true, 0, "delay in ns (>= 0)", 0},
};
constexpr std::array kConstantAttrs{
    AttrSpec{kAttrValue, A::TENSOR, false, 1, "a tensor"},
    AttrSpec{kAttrValueBytes, A::STRING, false, 1, "raw bytes"},
    AttrSpec{kAttrValueString, A::STRING, false, 1, "a string"},
    AttrSpec{kAttrValueInt, A::INT, false, 1, "an int64"},
};
constexpr std::array kLogAttrs{
    AttrSpec{kAttrMessage, A::STRING, false, 0, "text logged before the values"},
    AttrSpec{kAttrLevel, A::STRING, false, 0, "trace|debug|info|warn|error (default info)", kNoMin, kNoMax, kLogLevels},
};
constexpr std::array kIncrMetricAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "counter name", kNoMin, kNoMax, {}, true},
    AttrSpec{kAttrDelta, A::INT, false, 0, "amount added per firing (default 1)"},
};
constexpr std::array kPeersAttrs{
    AttrSpec{kAttrPeers, A::STRINGS, true, 0, "peers as multihash bytes, base58btc or id:<name>"},
};
constexpr std::array kSamplePeersAttrs{
    AttrSpec{kAttrK, A::INT, true, 0, "number of peers drawn (>= 0)", 0, kMaxSample},
};
constexpr std::array kAggregateAttrs{
    AttrSpec{kAttrCount, A::INT, true, 0, "updates per round (> 0): the round closes when this many arrived", 1,
             kMaxAggregateCount},
    AttrSpec{kAttrMode, A::STRING, false, 0, "mean (default) or sum", kNoMin, kNoMax, kAggregateModes},
    AttrSpec{kAttrQuorum, A::INT, false, 0, "with timeout_ns: fewest updates a round closes with at its timeout (default count)",
             1},
    AttrSpec{kAttrTimeoutNs, A::INT, false, 0,
             "round timeout in ns from the round's first update; absent: wait for count updates", 1},
};
constexpr std::array kStateAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "the state's name; StateGet and StateSet of one name share it", kNoMin,
             kNoMax, {}, true},
};
constexpr std::array kRecordAttrs{
    AttrSpec{kAttrName, A::STRING, true, 0, "the series' name in the metrics (e.g. accuracy)", kNoMin, kNoMax, {},
             true},
};

// Aggregate: a quorum only means something with a timeout, and is at most count.
std::string aggregate_rule(const onnx::NodeProto& node) {
  const auto* quorum = find_attribute(node, kAttrQuorum);
  if (quorum == nullptr || quorum->type() != A::INT) return {};
  if (find_attribute(node, kAttrTimeoutNs) == nullptr)
    return "attribute '" + std::string(kAttrQuorum) + "' needs '" + std::string(kAttrTimeoutNs) +
           "': without a timeout a round closes only at 'count' updates";
  const auto* count = find_attribute(node, kAttrCount);
  if (count == nullptr || count->type() != A::INT || quorum->i() <= count->i()) return {};
  return "attribute '" + std::string(kAttrQuorum) + "' = " + std::to_string(quorum->i()) + " is out of range [1, count = " +
         std::to_string(count->i()) + "]";
}

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
    OpSpec{kSyscallDomain, kInterval, OpKind::kSource, 0, 0, 1, 2, false, kIntervalAttrs,
           "fires at t = k·period_ns for k = 0, 1, …", "—",
           "timestamp (ns) [, k: the tick's index, an int64 counting 0, 1, 2, …]", ""},
    OpSpec{kSyscallDomain, kAfter, OpKind::kSource, 0, 0, 1, 1, false, kAfterAttrs, "fires once at t = delay_ns",
           "—", "trigger", ""},
    // ---- Compute ----
    OpSpec{kSyscallDomain, kOnTrigger, OpKind::kCompute, 1, V, 1, 1, false, kNoAttrs,
           "joins its inputs into one trigger", "any values", "trigger", ""},
    OpSpec{kSyscallDomain, kPassThrough, OpKind::kCompute, 1, 1, 1, 1, false, kNoAttrs, "identity", "value",
           "the same value", ""},
    OpSpec{kSyscallDomain, kTee, OpKind::kCompute, 1, 1, 1, V, false, kNoAttrs,
           "fan-out: every output is the input", "value", "N copies", ""},
    OpSpec{kSyscallDomain, kConstant, OpKind::kCompute, 0, V, 1, 1, false, kConstantAttrs,
           "a literal value (exactly one of the attributes); with trigger inputs it is emitted again in every "
           "execution they fire in",
           "[triggers (ordering only): none, a value computed once]", "value", ""},
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
           "result when a round closes [, int64 scalar: updates in the round]", "shape_mismatch,invalid_value",
           &aggregate_rule},
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

static_assert(std::all_of(kOps.begin(), kOps.end(),
                          [](const OpSpec& op) { return op.attributes.size() <= kMaxDeclaredAttributes; }),
              "an op declares more attributes than DeclaredAttributes holds (declared_attributes.h)");

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

std::string describe_constraint(const AttrSpec& spec) {
  if (spec.type == A::INT) {
    if (spec.min != kNoMin && spec.max != kNoMax)
      return spec.min == spec.max ? "exactly " + std::to_string(spec.min)
                                  : "between " + std::to_string(spec.min) + " and " + std::to_string(spec.max);
    if (spec.min != kNoMin) return "at least " + std::to_string(spec.min);
    if (spec.max != kNoMax) return "at most " + std::to_string(spec.max);
    return {};
  }
  if (!spec.choices.empty()) {
    std::string list;
    for (const auto choice : spec.choices) list += (list.empty() ? "" : ", ") + std::string(choice);
    return "one of " + list;
  }
  return spec.non_empty ? "not empty" : std::string();
}

std::string check_attribute_value(const AttrSpec& spec, const onnx::AttributeProto& attr) {
  // Nothing is built for a value that keeps the declaration (the loader checks every node).
  const auto quoted = [&spec] { return "'" + std::string(spec.name) + "'"; };
  if (spec.type == A::INT && attr.type() == A::INT) {
    if (attr.i() >= spec.min && attr.i() <= spec.max) return {};
    return quoted() + " = " + std::to_string(attr.i()) + " is out of range: it must be " + describe_constraint(spec);
  }
  if (spec.type != A::STRING || attr.type() != A::STRING) return {};
  if (spec.non_empty && attr.s().empty()) return quoted() + " is empty: it must name something";
  if (spec.choices.empty()) return {};
  for (const auto choice : spec.choices)
    if (attr.s() == choice) return {};
  std::string shown;
  for (const char c : attr.s()) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      shown += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      shown += hex;
    }
  }
  return quoted() + " = '" + shown + "' is not " + describe_constraint(spec) + did_you_mean(attr.s(), spec.choices);
}

DeclaredAttributes::DeclaredAttributes(const OpSpec& op, const onnx::NodeProto& node) : op_(op) {
  for (const auto& attr : node.attribute()) {
    const std::size_t p = position(attr.name());
    if (p == op.attributes.size()) {
      undeclared_ = true;
    } else if (found_[p] == nullptr) {
      found_[p] = &attr;
    }
  }
}

DeclaredAttributes::DeclaredAttributes(const OpSpec& op, std::span<const AttributeView> checked)
    : op_(op), checked_(checked.data()) {
  for (std::size_t p = 0; p < std::min(checked.size(), op.attributes.size()); ++p) found_[p] = checked[p].proto;
}

AttributeView view_of(const onnx::AttributeProto* attr) {
  AttributeView view;
  if (attr == nullptr) return view;
  view.proto = attr;
  view.type = attr->type();
  if (view.type == A::INT) {
    view.value.i = attr->i();
  } else if (view.type == A::STRING) {
    view.value.data = attr->s().data();
    view.size = static_cast<std::uint32_t>(attr->s().size());
  }
  return view;
}

std::size_t DeclaredAttributes::position(std::string_view name) const {
  std::size_t p = 0;
  while (p < op_.attributes.size() && op_.attributes[p].name != name) ++p;
  return p;
}

std::vector<AttrProblem> check_node_attributes(const OpSpec& op, const onnx::NodeProto& node) {
  return check_node_attributes(DeclaredAttributes(op, node), node);
}

std::vector<AttrProblem> check_node_attributes(const DeclaredAttributes& found, const onnx::NodeProto& node) {
  // One pass over the node's attributes; the sentences are built only for a problem.
  const OpSpec& op = found.op();
  std::vector<AttrProblem> problems;
  const auto op_type = [&op] { return std::string(op.op_type); };
  int groups[8] = {};
  unsigned declared_groups = 0;  // bit g: some attribute belongs to one-of group g
  for (std::size_t p = 0; p < op.attributes.size(); ++p) {
    const AttrSpec& spec = op.attributes[p];
    const auto* attr = found.at(p);
    if (spec.one_of > 0 && spec.one_of < 8) declared_groups |= 1u << spec.one_of;
    // The type's name only for a problem: the enum's name lookup cost more than the
    // check itself (the loader checks every bb node).
    const auto type = [&spec] { return A::AttributeType_Name(spec.type); };
    if (attr == nullptr) {
      if (spec.required)
        problems.push_back({AttrProblem::Kind::kMissing, std::string(spec.name),
                            op_type() + " needs attribute '" + std::string(spec.name) + "' (" + type() + ")",
                            "add " + std::string(spec.name) + ": " + std::string(spec.doc)});
      continue;
    }
    if (spec.one_of > 0 && spec.one_of < 8) ++groups[spec.one_of];
    if (attr->type() != spec.type) {
      problems.push_back({AttrProblem::Kind::kType, std::string(spec.name),
                          "attribute '" + std::string(spec.name) + "' of " + op_type() + " has type " +
                              A::AttributeType_Name(attr->type()) + ", expected " + type(),
                          "write " + std::string(spec.name) + " as " + type()});
      continue;
    }
    if (auto wrong = check_attribute_value(spec, *attr); !wrong.empty())
      problems.push_back({AttrProblem::Kind::kValue, std::string(spec.name), op_type() + " attribute " + wrong,
                          "write " + std::string(spec.name) + ": " + std::string(spec.doc)});
  }
  for (int g = 1; g < 8; ++g) {
    if (groups[g] == 1 || (declared_groups & (1u << g)) == 0) continue;
    std::string names;
    for (const auto& a : op.attributes)
      if (a.one_of == g) names += (names.empty() ? "" : ", ") + std::string(a.name);
    problems.push_back({AttrProblem::Kind::kOneOf, {},
                        op_type() + " needs exactly one of the attributes " + names + ", this node has " +
                            std::to_string(groups[g]),
                        "keep exactly one of " + names});
  }
  if (found.has_undeclared()) {
    std::vector<std::string_view> declared;
    for (const auto& spec : op.attributes) declared.push_back(spec.name);
    std::string declared_list;
    for (const auto name : declared) declared_list += (declared_list.empty() ? "" : ", ") + std::string(name);
    for (const auto& attr : node.attribute()) {
      if (found.position(attr.name()) < op.attributes.size()) continue;
      const auto match = closest_match(attr.name(), declared);
      problems.push_back({AttrProblem::Kind::kUnknown, attr.name(),
                          op_type() + " has no attribute '" + attr.name() + "'" +
                              (match ? " (did you mean '" + std::string(*match) + "'?)" : std::string()),
                          match ? "rename it to " + std::string(*match)
                          : declared.empty()
                              ? "remove it: " + op_type() + " takes no attributes"
                              : "remove it or fix its name; " + op_type() + " takes " + declared_list + " (docs/ops.md)"});
    }
  }
  if (op.rule != nullptr)
    if (auto broken = op.rule(node); !broken.empty())
      problems.push_back({AttrProblem::Kind::kRule, {}, op_type() + " " + broken, "see the op in docs/ops.md"});
  return problems;
}

}  // namespace bb::ir
