// PeerGovernor (docs/runtime.md): *who* we may talk to. A blocklist, an optional allowlist
// (when set, only listed peers pass), and per-peer health: consecutive failures, `down`
// after a threshold, cleared by a success. Health is reported, never a deny reason, and
// the governor does not repeat the backoff cooldown check.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "bb/runtime/peer_interner.h"
#include "bb/runtime/reasons.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

class PeerGovernor {
 public:
  PeerGovernor(PeerInterner& peers, const GovernorSettings& settings);
  PeerGovernor(const PeerGovernor&) = delete;
  PeerGovernor& operator=(const PeerGovernor&) = delete;
  ~PeerGovernor();

  // Reason::kNone (allow), kBlocklisted or kNotAllowlisted.
  Reason check_outbound(PeerIndex peer) const { return check(peer); }
  Reason check_inbound(PeerIndex peer) const { return check(peer); }
  // For peers that may not be interned (a dynamic list, an envelope's sender).
  Reason check_outbound(std::string_view peer_bytes) const { return check(peers_.find(peer_bytes)); }
  Reason check_inbound(std::string_view peer_bytes) const { return check(peers_.find(peer_bytes)); }

  void record_failure(PeerIndex peer);
  void record_success(PeerIndex peer);
  // Drops the health entry (the backoff table swept the peer).
  void forget(PeerIndex peer);

  std::uint32_t consecutive_failures(PeerIndex peer) const {
    return peer < health_.size() ? health_[peer] : 0;
  }
  bool is_down(PeerIndex peer) const { return consecutive_failures(peer) >= threshold_; }
  bool has_allowlist() const { return allowlist_active_; }

 private:
  enum : std::uint8_t { kBlocked = 1, kAllowed = 2 };
  Reason check(PeerIndex peer) const {
    const std::uint8_t f = peer < flags_.size() ? flags_[peer] : 0;
    if (f & kBlocked) return Reason::kBlocklisted;
    if (allowlist_active_ && !(f & kAllowed)) return Reason::kNotAllowlisted;
    return Reason::kNone;
  }
  void mark(PeerIndex peer, std::uint8_t flag);

  PeerInterner& peers_;
  std::uint32_t threshold_;
  bool allowlist_active_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::uint32_t> health_;
  std::vector<PeerIndex> pinned_;  // listed peers, released at destruction
};

}  // namespace bb::runtime
