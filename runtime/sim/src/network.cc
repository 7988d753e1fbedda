#include "bb/sim/network.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>

#include "bb/ir/duration.h"
#include "bb/runtime/admission.h"

namespace bb::sim {

using runtime::AttemptId;
using runtime::EventClass;
using runtime::OutcomeKind;

namespace {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
  return a + b;
}

// The way of SimNetwork::Node::recent_dst for a PeerId's bytes: their last 8 bytes (all
// of a shorter one) mixed by a multiplication. Digests and names differ at the end.
std::size_t recent_way(std::string_view bytes) {
  std::uint64_t tail = 0;
  if (bytes.size() >= sizeof tail) {
    std::memcpy(&tail, bytes.data() + bytes.size() - sizeof tail, sizeof tail);
  } else {
    for (const char c : bytes) tail = tail << 8 | static_cast<unsigned char>(c);
  }
  return static_cast<std::size_t>((tail * 0x9e3779b97f4a7c15ULL) >> 59);  // 32 ways
}

void assign(std::string& to, std::string_view from) {
  if (to.size() == from.size()) {
    if (!from.empty()) std::memcpy(to.data(), from.data(), from.size());  // a pooled copy's strings keep their size
  } else {
    to.assign(from);
  }
}

// `to`'s fields but the peers and the channel = `from`'s, for a pooled envelope that
// holds no unknown fields and a `from` that has none at its top level (a Value's go with
// it). Field by field: CopyFrom would clear every field and merge it back, one library
// call per string.
void copy_content(const bb::Envelope& from, bb::Envelope& to) {
  to.set_schema_version(from.schema_version());
  to.set_incarnation(from.incarnation());
  to.set_message_id(from.message_id());
  to.set_deadline_ns(from.deadline_ns());
  auto& payload = *to.mutable_payload();
  while (payload.size() > from.payload_size()) payload.RemoveLast();  // kept for reuse
  for (int i = 0; i < from.payload_size(); ++i) {
    const bb::Value& v = from.payload(i);
    bb::Value& out = i < payload.size() ? *payload.Mutable(i) : *payload.Add();
    // The common scalars set in place; any other kind, and unknown fields, by CopyFrom.
    const bool same_scalar = v.kind_case() == out.kind_case() && (v.kind_case() == bb::Value::kTimestampNs ||
                                                                  v.kind_case() == bb::Value::kInt64Value);
    if (same_scalar && !ir::has_unknown_fields(v) && !ir::has_unknown_fields(out)) {
      if (v.kind_case() == bb::Value::kTimestampNs) {
        out.set_timestamp_ns(v.timestamp_ns());
      } else {
        out.set_int64_value(v.int64_value());
      }
    } else {
      out.CopyFrom(v);
    }
  }
}

// `to` = `from`, under copy_content's conditions.
void copy_known_fields(const bb::Envelope& from, bb::Envelope& to) {
  assign(*to.mutable_src_peer(), from.src_peer());
  assign(*to.mutable_dst_peer(), from.dst_peer());
  assign(*to.mutable_channel(), from.channel());
  copy_content(from, to);
}

}  // namespace

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash: return "crash";
    case FaultKind::kPartition: return "partition";
  }
  return "unknown";
}

std::string_view to_string(NetEventKind kind) {
  switch (kind) {
    case NetEventKind::kSend: return "send";
    case NetEventKind::kLost: return "lost";
    case NetEventKind::kPartitioned: return "partitioned";
    case NetEventKind::kArrive: return "arrive";
    case NetEventKind::kDuplicateArrive: return "duplicate_arrive";
    case NetEventKind::kUnreachable: return "unreachable";
    case NetEventKind::kReject: return "reject";
    case NetEventKind::kOutcome: return "outcome";
    case NetEventKind::kOrphaned: return "orphaned";
    case NetEventKind::kCrash: return "crash";
    case NetEventKind::kRestart: return "restart";
    case NetEventKind::kPartitionStart: return "partition_start";
    case NetEventKind::kPartitionEnd: return "partition_end";
  }
  return "unknown";
}

// The transport a node sends through: one per peer, for all its incarnations.
class SimNetwork::Port final : public runtime::Transport {
 public:
  Port(SimNetwork& network, std::uint32_t node) : network_(network), node_(node) {}
  void send(AttemptId attempt, const bb::Envelope& envelope) override { network_.send_from(node_, attempt, envelope); }

 private:
  SimNetwork& network_;
  std::uint32_t node_;
};

struct SimNetwork::Node {
  PeerId peer;
  std::string text;  // peer text form, for describe()
  runtime::TransportEndpoint* endpoint = nullptr;
  ChannelFilter accepts;
  // The last channel `accepts` said yes to, while attached: its answer does not change
  // (ChannelFilter), so an envelope on that channel is not asked about again.
  std::string accepted;
  bool accepted_known = false;
  std::uint64_t incarnation = 0;
  int crash_depth = 0;  // overlapping crash faults: down while > 0
  std::uint32_t in_flight = 0;  // this incarnation's attempts whose outcome is not yet heard
  runtime::AdmissionCounts refusals;
  std::unique_ptr<Port> port;
  // Where this node's recent envelopes went, by a few bits of the destination's bytes
  // (recent_way): a Send goes to the same few peers over and over, and a hit compares
  // the bytes once instead of hashing them into by_peer_. Nodes are never removed, so
  // an entry names a node for good; its bytes are compared before it is used.
  std::array<std::uint32_t, 32> recent_dst = [] {
    std::array<std::uint32_t, 32> none;
    none.fill(kNoNode);
    return none;
  }();
  std::uint16_t last_channel = 0;  // channels_ index of its last vouched envelope

  bool up() const { return endpoint != nullptr && crash_depth == 0; }
};

// One copy of an envelope on its way (its message id is the kept copy's).
// (48 bytes, fields ordered: the scheduled lambda fits in Task's inline storage.)
struct SimNetwork::Trip {
  std::uint32_t src;
  std::uint32_t dst;  // kNoNode: not a peer of this network
  std::uint64_t src_incarnation;
  AttemptId attempt;
  std::int64_t deadline_at;
  std::int64_t back_latency;  // L': the outcome's way back
  std::uint32_t wire;          // the envelope as sent (SimNetwork::sent_), shared by a duplicate
  bool decides;               // the original arrives by the deadline and schedules the outcome
  // kWhole: sent_[wire] is the whole envelope, judged at arrival. Otherwise the envelope
  // was vouched for at send (SimNetwork::vouch) and sent_[wire] holds it without its
  // peers and channel, which are the two nodes' and channels_[channel].
  std::uint16_t channel;
};

SimNetwork::SimNetwork(NetworkConfig config)
    : config_(std::move(config)),
      scheduler_(clock_),
      rng_(config_.seed),
      arrival_src_(arrival_.mutable_src_peer()),
      arrival_dst_(arrival_.mutable_dst_peer()),
      arrival_channel_(arrival_.mutable_channel()) {}

SimNetwork::~SimNetwork() = default;

std::uint32_t SimNetwork::find_bytes(std::string_view peer_bytes) const {
  auto it = by_peer_.find(absl::string_view(peer_bytes.data(), peer_bytes.size()));
  return it == by_peer_.end() ? kNoNode : it->second;
}

const PeerId& SimNetwork::peer(std::uint32_t node) const { return nodes_.at(node)->peer; }

std::uint32_t SimNetwork::add_node(const PeerId& peer) {
  if (const std::uint32_t known = find(peer); known != kNoNode) return known;
  const auto index = static_cast<std::uint32_t>(nodes_.size());
  Node& node = *nodes_.emplace_back(std::make_unique<Node>());
  node.peer = peer;
  node.text = peer.to_text();
  node.port = std::make_unique<Port>(*this, index);
  by_peer_.emplace(peer.bytes(), index);
  return index;
}

runtime::Transport& SimNetwork::attach(const PeerId& peer, runtime::TransportEndpoint& endpoint, ChannelFilter accepts) {
  Node& node = *nodes_[add_node(peer)];
  assert(node.crash_depth == 0 && "attach() while the peer is crashed");
  node.endpoint = &endpoint;
  node.accepts = std::move(accepts);
  node.accepted_known = false;
  ++node.incarnation;
  node.in_flight = 0;  // the last incarnation's outcomes are orphaned
  return *node.port;
}

void SimNetwork::detach(const PeerId& peer) {
  const std::uint32_t index = find(peer);
  if (index == kNoNode) return;
  nodes_[index]->endpoint = nullptr;
  nodes_[index]->accepts = {};
  nodes_[index]->accepted_known = false;
}

std::uint64_t SimNetwork::incarnation(const PeerId& peer) const {
  const std::uint32_t index = find(peer);
  return index == kNoNode ? 0 : nodes_[index]->incarnation;
}

bool SimNetwork::is_up(const PeerId& peer) const {
  const std::uint32_t index = find(peer);
  return index != kNoNode && nodes_[index]->up();
}

bool SimNetwork::partitioned(const PeerId& a, const PeerId& b) const {
  const std::uint32_t ia = find(a);
  const std::uint32_t ib = find(b);
  return ia != kNoNode && ib != kNoNode && partitioned(ia, ib);
}

bool SimNetwork::partitioned(std::uint32_t a, std::uint32_t b) const {
  for (const Partition& p : partitions_) {
    const bool has_a = std::binary_search(p.members.begin(), p.members.end(), a);
    const bool has_b = std::binary_search(p.members.begin(), p.members.end(), b);
    if (has_a != has_b) return true;
  }
  return false;
}

const runtime::AdmissionCounts& SimNetwork::refusals(const PeerId& peer) const {
  static const runtime::AdmissionCounts kNone;
  const std::uint32_t index = find(peer);
  return index == kNoNode ? kNone : nodes_[index]->refusals;
}

void SimNetwork::observe(NetEventKind kind, std::uint32_t src, std::uint32_t dst, AttemptId attempt,
                         std::uint64_t message_id, OutcomeKind outcome, std::string_view reason) {
  NetEvent event;
  event.t_ns = clock_.now_ns();
  event.kind = kind;
  event.src = src;
  event.dst = dst;
  event.attempt = attempt;
  event.message_id = message_id;
  event.outcome = outcome;
  event.reason = reason;
  observer_(event);
}

std::int64_t SimNetwork::draw_latency() { return rng_.between(config_.latency.lo_ns, config_.latency.hi_ns); }

// ---- Sending --------------------------------------------------------------------------

void SimNetwork::send_from(std::uint32_t src, AttemptId attempt, const bb::Envelope& envelope) {
  const std::uint64_t incarnation = nodes_[src]->incarnation;
  if (!nodes_[src]->up()) {
    // A node that is gone cannot hear an outcome: nothing enters the network.
    ++totals_.orphaned;
    emit(NetEventKind::kOrphaned, src, kNoNode, attempt);
    return;
  }
  Node& sender = *nodes_[src];
  if (sender.in_flight >= config_.max_in_flight) {
    // Refused before it enters the network: the sender hears it at once.
    emit(NetEventKind::kOutcome, src, kNoNode, attempt, 0, OutcomeKind::kRejected);
    const std::string detail = std::to_string(sender.in_flight) + " attempts in flight, the limit " +
                               "(the deployment's network.max_in_flight); raise it or send less often";
    sender.endpoint->on_outcome(attempt, runtime::Outcome{OutcomeKind::kRejected, 0, kInFlightLimit, detail});
    return;
  }
  ++sender.in_flight;
  const std::int64_t now = clock_.now_ns();
  const std::int64_t budget = envelope.deadline_ns() > 0 ? envelope.deadline_ns() : config_.send_timeout_ns;
  const std::int64_t deadline_at = saturating_add(now, budget);
  // Only valid PeerIds are ever registered: an envelope's bytes equal to one name it.
  std::uint32_t& recent = sender.recent_dst[recent_way(envelope.dst_peer())];
  std::uint32_t dst = recent;
  if (dst == kNoNode || nodes_[dst]->peer.bytes() != envelope.dst_peer()) {
    dst = find_bytes(envelope.dst_peer());
    if (dst != kNoNode) recent = dst;
  }
  ++totals_.sent;
  emit(NetEventKind::kSend, src, dst, attempt, envelope.message_id());

  // Every attempt gets exactly one ending event: a timeout scheduled here, or an
  // outcome (or timeout) scheduled by the arrival of the original, which then always
  // runs no later than the deadline.
  const bool lost = rng_.chance(config_.loss);
  const bool cut = dst != kNoNode && partitioned(src, dst);
  if (lost || cut) {
    ++totals_.lost;
    if (cut) ++totals_.partitioned;
    emit(cut ? NetEventKind::kPartitioned : NetEventKind::kLost, src, dst, attempt, envelope.message_id());
    schedule_outcome(deadline_at, src, incarnation, attempt, OutcomeKind::kTimeout);
    return;
  }
  const std::int64_t arrival = saturating_add(now, draw_latency());
  const std::uint16_t channel = vouch(sender, dst, envelope);
  Trip trip{src, dst, incarnation, attempt, deadline_at, draw_latency(), keep(envelope, channel == kWhole),
            arrival <= deadline_at, channel};
  if (!trip.decides) schedule_outcome(deadline_at, src, incarnation, attempt, OutcomeKind::kTimeout);
  const bool twice = rng_.chance(config_.duplicate);
  if (twice) ++sent_refs_[trip.wire];
  const std::int64_t again = twice ? saturating_add(arrival, draw_latency()) : 0;
  auto original = [this, trip] {
    arrive(trip, true);
    release_sent(trip.wire);
  };
  static_assert(runtime::Task::kFitsInline<decltype(original)>);
  scheduler_.at(arrival, EventClass::kNetwork, std::move(original));
  if (twice) {
    ++totals_.duplicated;
    auto duplicate = [this, trip] {
      arrive(trip, false);
      release_sent(trip.wire);
    };
    static_assert(runtime::Task::kFitsInline<decltype(duplicate)>);
    scheduler_.at(again, EventClass::kNetwork, std::move(duplicate));
  }
}

// Whether the envelope would be admitted unchanged wherever its Recv channel is
// accepted, decided now that the sender's envelope is in the cache rather than at its
// arrival: it names its sender and a registered destination, holds no unknown fields and
// passes the limits. Then the peers and the channel need not travel with it: returns its
// channel's index in channels_, else kWhole.
std::uint16_t SimNetwork::vouch(Node& sender, std::uint32_t dst, const bb::Envelope& envelope) {
  if (dst == kNoNode || envelope.src_peer() != sender.peer.bytes() || ir::has_unknown_fields(envelope) ||
      !ir::decodes_unchanged(envelope, config_.limits, {sender.peer.bytes(), nodes_[dst]->peer.bytes()}))
    return kWhole;
  const std::string& channel = envelope.channel();
  if (sender.last_channel < channels_.size() && channels_[sender.last_channel] == channel) return sender.last_channel;
  auto known = std::find(channels_.begin(), channels_.end(), channel);
  if (known == channels_.end()) {
    if (channels_.size() >= kMaxChannels) return kWhole;
    known = channels_.insert(known, channel);
  }
  sender.last_channel = static_cast<std::uint16_t>(known - channels_.begin());
  return sender.last_channel;
}

// A copy of the sender's envelope (its memory reused once the pool is warm), without its
// peers and channel unless `whole`: the arrival hands it over as it is when admission
// would admit it unchanged.
std::uint32_t SimNetwork::keep(const bb::Envelope& envelope, bool whole) {
  std::uint32_t slot;
  if (!free_sent_.empty()) {
    slot = free_sent_.back();
    free_sent_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(sent_.size());
    sent_.push_back(std::make_unique<bb::Envelope>());
    sent_refs_.push_back(0);
    sent_unknown_.push_back(false);
  }
  // Unknown fields are copied by CopyFrom alone, which also clears those a slot held.
  if (sent_unknown_[slot] || ir::has_unknown_fields(envelope)) {
    *sent_[slot] = envelope;
    sent_unknown_[slot] = ir::has_unknown_fields(*sent_[slot]);
  } else if (whole) {
    copy_known_fields(envelope, *sent_[slot]);
  } else {
    copy_content(envelope, *sent_[slot]);
  }
  sent_refs_[slot] = 1;
  return slot;
}

// The vouched-for envelope of `trip` made whole again in arrival_: its peers and channel
// from the tables, its payload moved in from the kept copy (unstow() gives it back).
const bb::Envelope& SimNetwork::assemble(const Trip& trip) {
  bb::Envelope& kept = *sent_[trip.wire];
  arrival_.set_schema_version(kept.schema_version());
  assign(*arrival_src_, nodes_[trip.src]->peer.bytes());
  arrival_.set_incarnation(kept.incarnation());
  arrival_.set_message_id(kept.message_id());
  assign(*arrival_dst_, nodes_[trip.dst]->peer.bytes());
  assign(*arrival_channel_, channels_[trip.channel]);
  arrival_.set_deadline_ns(kept.deadline_ns());
  arrival_.mutable_payload()->UnsafeArenaSwap(kept.mutable_payload());  // neither is on an arena
  return arrival_;
}

void SimNetwork::unstow(const Trip& trip) {
  arrival_.mutable_payload()->UnsafeArenaSwap(sent_[trip.wire]->mutable_payload());
}

void SimNetwork::release_sent(std::uint32_t slot) {
  if (--sent_refs_[slot] == 0) free_sent_.push_back(slot);
}

void SimNetwork::schedule_outcome(std::int64_t at, std::uint32_t src, std::uint64_t incarnation, AttemptId attempt,
                                  OutcomeKind kind, std::string_view reason, std::uint32_t detail) {
  // (Captures ordered: the lambda fits in Task's inline storage.)
  auto outcome = [this, incarnation, attempt, reason, src, detail, kind] {
    deliver_outcome(src, incarnation, attempt, kind, reason, detail);
  };
  static_assert(runtime::Task::kFitsInline<decltype(outcome)>);
  scheduler_.at(at, EventClass::kNetwork, std::move(outcome));
}

// ---- Arrival ------------------------------------------------------------------------------

void SimNetwork::arrive(const Trip& trip, bool original) {
  const std::int64_t now = clock_.now_ns();
  auto note = [&](NetEventKind kind, std::string_view reason = {}) {
    if (observer_) {
      observe(kind, trip.src, trip.dst, trip.attempt, sent_[trip.wire]->message_id(), OutcomeKind::kDelivered, reason);
    }
  };
  OutcomeKind outcome = OutcomeKind::kDelivered;

  if (trip.dst != kNoNode && partitioned(trip.src, trip.dst)) {
    if (original) {
      ++totals_.lost;
      ++totals_.partitioned;
    }
    note(NetEventKind::kPartitioned);
    if (original && trip.decides) {
      schedule_outcome(trip.deadline_at, trip.src, trip.src_incarnation, trip.attempt, OutcomeKind::kTimeout);
    }
    return;
  }
  Node* dst = trip.dst == kNoNode ? nullptr : nodes_[trip.dst].get();
  std::string_view refusal;  // the refusal's label (static storage)
  std::uint32_t detail = kNoDetail;
  if (dst == nullptr || !dst->up()) {
    outcome = OutcomeKind::kUnreachable;
    if (original) ++totals_.unreachable;
    note(NetEventKind::kUnreachable);
  } else {
    const bool vouched = trip.channel != kWhole;
    const bb::Envelope* arrived = vouched ? &assemble(trip) : sent_[trip.wire].get();
    const bool known_channel = dst->accepted_known && arrived->channel() == dst->accepted;
    const runtime::AdmissionPolicy judged{config_.limits, {}, {}, known_channel ? nullptr : &dst->accepts};
    // The registered peers are valid PeerIds: envelopes between them are not parsed for it.
    const ir::KnownPeers known{nodes_[trip.src]->peer.bytes(), dst->peer.bytes()};
    Expected<void, runtime::Refusal> admitted;
    // A vouched-for envelope on an accepted channel is admitted unchanged (vouch()).
    if (!(vouched && known_channel) && !runtime::admits_unchanged(*arrived, judged, known)) {
      // It may be refused: through the codec, as a transport receives it.
      wire_ = ir::encode_envelope(*arrived);
      const runtime::AdmissionPolicy policy{config_.limits, {}, {}, &dst->accepts};
      admitted = runtime::admit(wire_, policy, scratch_);
      arrived = &scratch_;
    }
    if (admitted && !known_channel) {
      dst->accepted = arrived->channel();
      dst->accepted_known = true;
    }
    if (!admitted) {
      outcome = OutcomeKind::kRejected;
      refusal = admitted.error().label();
      dst->refusals.record(admitted.error());
      if (original) ++totals_.rejected;
      note(NetEventKind::kReject, refusal);
      if (original && trip.decides) detail = keep_detail(std::move(admitted.error().detail));
    } else {
      if (original) {
        ++totals_.delivered;
      } else {
        ++totals_.duplicates_delivered;
      }
      note(original ? NetEventKind::kArrive : NetEventKind::kDuplicateArrive);
      // May send: nothing below holds a reference into containers.
      dst->endpoint->on_envelope_from(*arrived, runtime::SenderAuth::kClaimed, trip.src);
    }
    if (vouched) unstow(trip);
  }

  if (!original || !trip.decides) return;  // duplicates are silent; a late original already has its timeout
  const std::int64_t outcome_at = saturating_add(now, trip.back_latency);
  if (outcome_at > trip.deadline_at) {
    release_detail(detail);
    schedule_outcome(trip.deadline_at, trip.src, trip.src_incarnation, trip.attempt, OutcomeKind::kTimeout);
  } else {
    schedule_outcome(outcome_at, trip.src, trip.src_incarnation, trip.attempt, outcome, refusal, detail);
  }
}

std::uint32_t SimNetwork::keep_detail(std::string detail) {
  std::uint32_t slot;
  if (!free_details_.empty()) {
    slot = free_details_.back();
    free_details_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(details_.size());
    details_.emplace_back();
  }
  details_[slot] = std::move(detail);
  return slot;
}

void SimNetwork::release_detail(std::uint32_t slot) {
  if (slot != kNoDetail) free_details_.push_back(slot);
}

void SimNetwork::deliver_outcome(std::uint32_t src, std::uint64_t incarnation, AttemptId attempt, OutcomeKind kind,
                                 std::string_view reason, std::uint32_t detail) {
  Node& node = *nodes_[src];
  if (!node.up() || node.incarnation != incarnation) {
    release_detail(detail);
    ++totals_.orphaned;
    emit(NetEventKind::kOrphaned, src, kNoNode, attempt, 0, kind);
    return;
  }
  emit(NetEventKind::kOutcome, src, kNoNode, attempt, 0, kind);
  if (node.in_flight > 0) --node.in_flight;
  const std::string_view text = detail == kNoDetail ? std::string_view() : std::string_view(details_[detail]);
  node.endpoint->on_outcome(attempt, runtime::Outcome{kind, 0, reason, text});
  release_detail(detail);  // after the call: the endpoint may send, and a send may keep a detail
}

// ---- Faults ---------------------------------------------------------------------------------

void SimNetwork::add_fault(const Fault& fault) {
  std::vector<std::uint32_t> members;
  for (const PeerId& peer : fault.peers) members.push_back(add_node(peer));
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  const std::int64_t end = fault.for_ns ? saturating_add(fault.at_ns, *fault.for_ns) : runtime::Scheduler::kForever;

  if (fault.kind == FaultKind::kCrash) {
    scheduler_.at(fault.at_ns, EventClass::kNetwork, [this, members] {
      for (const std::uint32_t m : members) crash(m);
    });
    if (fault.for_ns) {
      scheduler_.at(end, EventClass::kNetwork, [this, members] {
        for (const std::uint32_t m : members) restart(m);
      });
    }
    return;
  }
  const std::uint64_t id = next_partition_id_++;
  scheduler_.at(fault.at_ns, EventClass::kNetwork, [this, id, members] {
    partitions_.push_back(Partition{id, members});
    for (const std::uint32_t m : members) emit(NetEventKind::kPartitionStart, m);
    notify_partition(members, true);
  });
  if (fault.for_ns) {
    scheduler_.at(end, EventClass::kNetwork, [this, id, members] {
      std::erase_if(partitions_, [id](const Partition& p) { return p.id == id; });
      for (const std::uint32_t m : members) emit(NetEventKind::kPartitionEnd, m);
      notify_partition(members, false);
    });
  }
}

void SimNetwork::notify_partition(const std::vector<std::uint32_t>& members, bool started) {
  if (!on_partition_) return;
  std::vector<PeerId> peers;
  for (const std::uint32_t m : members) peers.push_back(nodes_[m]->peer);
  on_partition_(peers, started);
}

void SimNetwork::crash(std::uint32_t index) {
  Node& node = *nodes_[index];
  if (node.crash_depth++ > 0) return;  // already down
  node.endpoint = nullptr;
  node.accepts = {};
  node.accepted_known = false;
  emit(NetEventKind::kCrash, index);
  if (hooks_.on_crash) hooks_.on_crash(node.peer);
}

void SimNetwork::restart(std::uint32_t index) {
  Node& node = *nodes_[index];
  if (node.crash_depth == 0 || --node.crash_depth > 0) return;
  emit(NetEventKind::kRestart, index);
  if (hooks_.on_restart) hooks_.on_restart(node.peer, node.incarnation + 1);
}

std::string SimNetwork::describe(const NetEvent& e) const {
  std::string line = format_time(e.t_ns);
  line += ' ';
  line += to_string(e.kind);
  if (e.src != kNoNode) line += ' ' + nodes_[e.src]->text;
  if (e.kind == NetEventKind::kSend || e.kind == NetEventKind::kLost || e.kind == NetEventKind::kPartitioned ||
      e.kind == NetEventKind::kArrive || e.kind == NetEventKind::kDuplicateArrive ||
      e.kind == NetEventKind::kUnreachable || e.kind == NetEventKind::kReject) {
    line += " -> ";
    line += e.dst == kNoNode ? std::string("?") : nodes_[e.dst]->text;
  }
  if (e.attempt != 0 || e.kind == NetEventKind::kOutcome) line += " attempt=" + std::to_string(e.attempt);
  if (e.message_id != 0) line += " msg=" + std::to_string(e.message_id);
  if (e.kind == NetEventKind::kOutcome || e.kind == NetEventKind::kOrphaned) {
    line += ' ';
    line += runtime::to_string(e.outcome);
  }
  if (!e.reason.empty()) {
    line += " reason=";
    line += e.reason;
  }
  return line;
}

}  // namespace bb::sim
