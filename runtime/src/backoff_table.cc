#include "bb/runtime/backoff_table.h"

#include <algorithm>
#include <limits>

namespace bb::runtime {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > kMax - b) return kMax;
  return a + b;
}

std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
  if (a > 0 && b > 0 && a > kMax / b) return kMax;
  return a * b;
}

// Grows by a quarter instead of doubling: the per-peer budget (docs/performance.md) counts
// capacity, and these vectors hold one entry per tracked peer.
template <class T>
void grow(std::vector<T>& v, std::size_t n, T fill) {
  if (n > v.capacity()) v.reserve(std::max(n, v.capacity() + v.capacity() / 4 + 16));
  v.resize(n, fill);
}

}  // namespace

std::int64_t backoff_delay(std::int64_t base_ns, std::int64_t cap_ns, std::uint32_t failures) {
  if (failures == 0) return 0;
  const std::uint32_t shift = failures - 1;
  if (base_ns <= 0) return 0;
  if (shift >= 62 || base_ns > (kMax >> shift)) return cap_ns;
  return std::min(base_ns << shift, cap_ns);
}

BackoffTable::BackoffTable(PeerInterner& peers, BackoffSettings settings, Rng* rng)
    : peers_(peers), settings_(settings), rng_(rng) {}

BackoffTable::~BackoffTable() {
  for (PeerIndex p = head_; p != kNoPeer;) {
    const PeerIndex n = next_[p];
    peers_.release(p);
    p = n;
  }
}

void BackoffTable::grow_to(PeerIndex peer) {
  if (peer < failures_.size()) return;
  const std::size_t n = std::max<std::size_t>(peer + 1, peers_.id_limit());
  grow(next_retry_, n, kNever);
  grow(last_delay_us_, n, std::uint32_t{0});
  grow(failures_, n, std::uint32_t{0});
  grow(prev_, n, kNoPeer);
  grow(next_, n, kNoPeer);
}

void BackoffTable::unlink(PeerIndex peer) {
  const PeerIndex p = prev_[peer], n = next_[peer];
  (p == kNoPeer ? head_ : next_[p]) = n;
  (n == kNoPeer ? tail_ : prev_[n]) = p;
  prev_[peer] = next_[peer] = kNoPeer;
}

void BackoffTable::link_tail(PeerIndex peer) {
  prev_[peer] = tail_;
  next_[peer] = kNoPeer;
  (tail_ == kNoPeer ? head_ : next_[tail_]) = peer;
  tail_ = peer;
}

void BackoffTable::track(PeerIndex peer, std::int64_t now_ns) {
  sweep(now_ns);
  if (tracked_id(peer)) return;
  while (tracked_ >= settings_.max_peers && head_ != kNoPeer) drop(head_, true);
  peers_.retain(peer);
  grow_to(peer);
  ++tracked_;
  link_tail(peer);
}

void BackoffTable::touch(PeerIndex peer, std::int64_t now_ns, std::int64_t next_retry_ns) {
  next_retry_[peer] = next_retry_ns;
  const std::int64_t us = (next_retry_ns - now_ns) / 1000;
  last_delay_us_[peer] = static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
  if (tail_ == peer) return;
  unlink(peer);
  link_tail(peer);
}

void BackoffTable::drop(PeerIndex peer, bool notify) {
  if (notify && on_drop) on_drop(peer);
  unlink(peer);
  failures_[peer] = 0;
  next_retry_[peer] = kNever;
  last_delay_us_[peer] = 0;
  --tracked_;
  peers_.release(peer);
}

std::int64_t BackoffTable::jittered(std::int64_t delay, PeerIndex peer) {
  if (rng_ == nullptr) return delay;
  switch (settings_.jitter) {
    case Jitter::kNone: return delay;
    case Jitter::kFull: return rng_->between(0, delay);
    case Jitter::kEqual: return delay / 2 + rng_->between(0, delay - delay / 2);
    case Jitter::kDecorrelated: {
      // min(cap, uniform(base, previous·3)), previous = the last delay (base at first).
      const std::int64_t previous = failures_[peer] > 1
                                        ? std::max(settings_.base_ns, std::int64_t{last_delay_us_[peer]} * 1000)
                                        : settings_.base_ns;
      const std::int64_t hi = std::min(settings_.cap_ns, saturating_mul(previous, 3));
      return std::min(settings_.cap_ns, rng_->between(std::min(settings_.base_ns, hi), hi));
    }
  }
  return delay;
}

void BackoffTable::record_failure(PeerIndex peer, std::int64_t now_ns) {
  track(peer, now_ns);
  if (failures_[peer] != std::numeric_limits<std::uint32_t>::max()) ++failures_[peer];
  const std::int64_t delay = jittered(backoff_delay(settings_.base_ns, settings_.cap_ns, failures_[peer]), peer);
  touch(peer, now_ns, saturating_add(now_ns, delay));
}

void BackoffTable::record_success(PeerIndex peer) {
  if (tracked_id(peer)) drop(peer, false);
}

void BackoffTable::record_remote_advisory(PeerIndex peer, std::int64_t now_ns, std::int64_t min_backoff_ns) {
  track(peer, now_ns);
  if (failures_[peer] != std::numeric_limits<std::uint32_t>::max()) ++failures_[peer];
  const std::int64_t advised = std::clamp<std::int64_t>(min_backoff_ns, 0, settings_.cap_ns);
  const std::int64_t current = next_retry_[peer] == kNever ? now_ns : next_retry_[peer];
  touch(peer, now_ns, std::max(current, saturating_add(now_ns, advised)));
}

std::optional<BackoffState> BackoffTable::state(PeerIndex peer) const {
  if (!tracked_id(peer)) return std::nullopt;
  return BackoffState{failures_[peer], next_retry_[peer], std::int64_t{last_delay_us_[peer]} * 1000};
}

void BackoffTable::record_failure(const PeerId& peer, std::int64_t now_ns) {
  const PeerIndex id = peers_.acquire(peer);
  record_failure(id, now_ns);
  peers_.release(id);
}

void BackoffTable::record_success(const PeerId& peer) {
  const PeerIndex id = peers_.find(peer.bytes());
  if (id != kNoPeer) record_success(id);
}

void BackoffTable::record_remote_advisory(const PeerId& peer, std::int64_t now_ns, std::int64_t min_backoff_ns) {
  const PeerIndex id = peers_.acquire(peer);
  record_remote_advisory(id, now_ns, min_backoff_ns);
  peers_.release(id);
}

bool BackoffTable::should_retry(const PeerId& peer, std::int64_t now_ns) const {
  const PeerIndex id = peers_.find(peer.bytes());
  return id == kNoPeer || should_retry(id, now_ns);
}

std::optional<BackoffState> BackoffTable::state(const PeerId& peer) const {
  const PeerIndex id = peers_.find(peer.bytes());
  return id == kNoPeer ? std::nullopt : state(id);
}

std::size_t BackoffTable::sweep(std::int64_t now_ns) {
  std::size_t dropped = 0;
  // Idle = the TTL has passed since the retry time (a peer still in cooldown is not idle).
  while (head_ != kNoPeer && saturating_add(next_retry_[head_], settings_.ttl_ns) <= now_ns) {
    drop(head_, true);
    ++dropped;
  }
  return dropped;
}

std::vector<PeerIndex> BackoffTable::tracked_peers() const {
  std::vector<PeerIndex> out;
  out.reserve(tracked_);
  for (PeerIndex p = head_; p != kNoPeer; p = next_[p]) out.push_back(p);
  return out;
}

std::size_t BackoffTable::memory_bytes() const {
  return next_retry_.capacity() * sizeof(std::int64_t) + last_delay_us_.capacity() * sizeof(std::uint32_t) +
         failures_.capacity() * sizeof(std::uint32_t) + (prev_.capacity() + next_.capacity()) * sizeof(PeerIndex);
}

}  // namespace bb::runtime
