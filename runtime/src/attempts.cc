#include "bb/runtime/attempts.h"

namespace bb::runtime {
namespace {

constexpr std::uint64_t make_id(std::uint32_t index, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | index;
}
constexpr std::uint32_t id_index(std::uint64_t id) { return static_cast<std::uint32_t>(id); }
constexpr std::uint32_t id_generation(std::uint64_t id) { return static_cast<std::uint32_t>(id >> 32); }

// A slot of `items`: a freed one when there is one, else a new one at the end.
template <class T>
std::uint32_t acquire_slot(std::vector<T>& items, std::vector<std::uint32_t>& free) {
  if (!free.empty()) {
    const std::uint32_t slot = free.back();
    free.pop_back();
    return slot;
  }
  items.emplace_back();
  return static_cast<std::uint32_t>(items.size() - 1);
}

Reason reason_of(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kDelivered: return Reason::kNone;
    case OutcomeKind::kUnreachable: return Reason::kUnreachable;
    case OutcomeKind::kTimeout: return Reason::kTimeout;
    case OutcomeKind::kRejected: return Reason::kRejected;
    case OutcomeKind::kAdvised: return Reason::kAdvised;
  }
  return Reason::kInternal;
}

}  // namespace

PendingId AttemptTable::open(std::uint32_t frame, std::uint32_t node) {
  const std::uint32_t slot = acquire_slot(pendings_, free_pendings_);
  Pending& pd = pendings_[slot];
  pd.frame = frame;
  pd.node = node;
  pd.outstanding = 0;
  pd.delivered = 0;
  pd.failure = Reason::kNone;
  pd.armed = false;
  pd.live = true;
  return make_id(slot, pd.generation);
}

bool AttemptTable::arm(PendingId id) {
  Pending& pd = pendings_[id_index(id)];
  pd.armed = true;
  return pd.outstanding == 0;
}

AttemptId AttemptTable::add(PendingId pending, PeerIndex dst) {
  Pending& pd = pendings_[id_index(pending)];
  const std::uint32_t slot = acquire_slot(attempts_, free_attempts_);
  Attempt& a = attempts_[slot];
  a.pending = pending;
  a.dst = dst;
  a.live = true;
  ++pd.outstanding;
  ++live_attempts_;
  return make_id(slot, a.generation);
}

std::optional<AttemptTable::Ended> AttemptTable::end(AttemptId attempt) {
  const std::uint32_t slot = id_index(attempt);
  if (slot >= attempts_.size() || !attempts_[slot].live || attempts_[slot].generation != id_generation(attempt))
    return std::nullopt;
  Attempt& a = attempts_[slot];
  const Ended ended{a.pending, a.dst};
  a.live = false;
  ++a.generation;
  free_attempts_.push_back(slot);
  --live_attempts_;
  return ended;
}

bool AttemptTable::record(PendingId pending, OutcomeKind outcome) {
  Pending& pd = pendings_[id_index(pending)];
  if (outcome == OutcomeKind::kDelivered)
    ++pd.delivered;
  else if (pd.failure == Reason::kNone)
    pd.failure = reason_of(outcome);
  return --pd.outstanding == 0 && pd.armed;
}

AttemptTable::Completed AttemptTable::complete(PendingId id) {
  Pending& pd = pendings_[id_index(id)];
  const Completed done{pd.frame, pd.node, pd.delivered > 0 ? Reason::kNone : pd.failure};
  pd.live = false;
  ++pd.generation;
  free_pendings_.push_back(id_index(id));
  return done;
}

}  // namespace bb::runtime
