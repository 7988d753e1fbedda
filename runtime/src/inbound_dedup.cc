#include "bb/runtime/inbound_dedup.h"

#include <algorithm>

namespace bb::runtime {

InboundDedup::InboundDedup(PeerInterner& peers, DedupSettings settings)
    : peers_(peers), settings_(settings), seen_(0, Hash{&ring_}, Eq{&ring_}) {
  settings_.window = std::max<std::size_t>(settings_.window, 1);
  ring_.resize(settings_.window);
  seen_.reserve(settings_.window);
}

InboundDedup::~InboundDedup() {
  while (count_ > 0) pop_oldest();
}

void InboundDedup::pop_oldest() {
  const Entry& oldest = ring_[head_];
  seen_.erase(static_cast<std::uint32_t>(head_));
  peers_.release(oldest.key.source);
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

void InboundDedup::expire(std::int64_t now_ns) {
  while (count_ > 0 && now_ns - ring_[head_].t_ns >= settings_.ttl_ns) pop_oldest();
}

bool InboundDedup::admit(std::uint32_t gate, std::string_view source_bytes, std::uint64_t incarnation,
                         std::uint64_t message_id, std::int64_t now_ns) {
  expire(now_ns);
  const PeerIndex known = peers_.find(source_bytes);
  if (known != kNoPeer && seen_.contains(DedupKey{gate, known, incarnation, message_id})) return false;
  const PeerIndex source = peers_.acquire(source_bytes);
  const bool first = admit(gate, source, incarnation, message_id, now_ns);
  peers_.release(source);
  return first;
}

bool InboundDedup::admit(std::uint32_t gate, PeerIndex source, std::uint64_t incarnation, std::uint64_t message_id,
                         std::int64_t now_ns) {
  // With many nodes in one process the window is cold: start every memory access this
  // admission needs (ring head and tail, the key's group, the oldest key's group) before
  // waiting for the first, so the misses overlap.
  __builtin_prefetch(&ring_[head_]);
  __builtin_prefetch(&ring_[(head_ + count_) % ring_.size()], 1);
  const DedupKey key{gate, source, incarnation, message_id};
  seen_.prefetch(key);
  expire(now_ns);
  if (count_ == ring_.size()) seen_.prefetch(static_cast<std::uint32_t>(head_));
  if (seen_.contains(key)) return false;
  if (count_ == ring_.size()) pop_oldest();  // frees the position the new key takes
  peers_.retain(source);
  const std::size_t position = (head_ + count_) % ring_.size();
  ring_[position] = Entry{key, now_ns};
  seen_.insert(static_cast<std::uint32_t>(position));
  ++count_;
  return true;
}

}  // namespace bb::runtime
