// BackoffTable (docs/runtime.md): *when* we may talk to a peer again.
//
// After n consecutive failures a peer may be retried once
//   now >= last_failure + min(base·2^(n−1), cap)
// (shifts saturate). An advisory sets next retry = max(next retry, now + min(advised,
// cap)) and counts as an attempt. Success clears the entry. Unknown peers may always be
// tried. Optional jitter draws the delay from the node's seeded RNG. Entries idle past
// the TTL past their retry time are swept; beyond `max_peers` the least recently touched entry is evicted.
//
// Storage: per interned id, 24 bytes in parallel vectors (next retry, last delay in µs,
// failures, LRU links); should_retry is one load and one compare.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "bb/runtime/peer_interner.h"
#include "bb/runtime/rng.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

struct BackoffState {
  std::uint32_t failures = 0;      // consecutive failures (advisories included)
  std::int64_t next_retry_ns = 0;  // retry allowed at or after this time
  std::int64_t last_delay_ns = 0;  // the wait set by the last failure or advisory (µs precision)
};

// min(base·2^(n−1), cap) without overflow; 0 for n = 0.
std::int64_t backoff_delay(std::int64_t base_ns, std::int64_t cap_ns, std::uint32_t failures);

class BackoffTable {
 public:
  // `rng` is used only for jitter and may be null when jitter is `none`.
  BackoffTable(PeerInterner& peers, BackoffSettings settings, Rng* rng = nullptr);
  BackoffTable(const BackoffTable&) = delete;
  BackoffTable& operator=(const BackoffTable&) = delete;
  ~BackoffTable();

  void record_failure(PeerIndex peer, std::int64_t now_ns);
  void record_success(PeerIndex peer);
  void record_remote_advisory(PeerIndex peer, std::int64_t now_ns, std::int64_t min_backoff_ns);
  bool should_retry(PeerIndex peer, std::int64_t now_ns) const {
    return peer >= next_retry_.size() || next_retry_[peer] <= now_ns;
  }
  std::optional<BackoffState> state(PeerIndex peer) const;

  // Conveniences by PeerId (interning when state is recorded).
  void record_failure(const PeerId& peer, std::int64_t now_ns);
  void record_success(const PeerId& peer);
  void record_remote_advisory(const PeerId& peer, std::int64_t now_ns, std::int64_t min_backoff_ns);
  bool should_retry(const PeerId& peer, std::int64_t now_ns) const;
  std::optional<BackoffState> state(const PeerId& peer) const;

  // Drops entries whose retry time is at least the TTL in the past; returns how many.
  std::size_t sweep(std::int64_t now_ns);
  std::size_t tracked() const { return tracked_; }
  // Ids with state, least recently touched first.
  std::vector<PeerIndex> tracked_peers() const;
  // Heap bytes of the per-peer vectors.
  std::size_t memory_bytes() const;
  const BackoffSettings& settings() const { return settings_; }

  // Called when an entry is swept or evicted (not on success), before its id is released.
  std::function<void(PeerIndex)> on_drop;

 private:
  static constexpr std::int64_t kNever = INT64_MIN;  // next_retry_ of an untracked id
  bool tracked_id(PeerIndex peer) const { return peer < failures_.size() && failures_[peer] != 0; }
  // Makes `peer` tracked (retaining it), evicting the oldest entry at the cap.
  void track(PeerIndex peer, std::int64_t now_ns);
  void touch(PeerIndex peer, std::int64_t now_ns, std::int64_t next_retry_ns);
  void drop(PeerIndex peer, bool notify);
  void grow_to(PeerIndex peer);
  void unlink(PeerIndex peer);
  void link_tail(PeerIndex peer);
  std::int64_t jittered(std::int64_t delay, PeerIndex peer);

  PeerInterner& peers_;
  BackoffSettings settings_;
  Rng* rng_;
  std::vector<std::int64_t> next_retry_;
  std::vector<std::uint32_t> last_delay_us_;  // saturates at ~71 minutes
  std::vector<std::uint32_t> failures_;
  std::vector<PeerIndex> prev_, next_;
  PeerIndex head_ = kNoPeer, tail_ = kNoPeer;
  std::size_t tracked_ = 0;
};

}  // namespace bb::runtime
