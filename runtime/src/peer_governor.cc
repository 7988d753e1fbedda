#include "bb/runtime/peer_governor.h"

#include <algorithm>
#include <limits>

namespace bb::runtime {

PeerGovernor::PeerGovernor(PeerInterner& peers, const GovernorSettings& settings)
    : peers_(peers), threshold_(std::max<std::uint32_t>(settings.threshold, 1)),
      allowlist_active_(!settings.allowlist.empty()) {
  for (const auto& p : settings.blocklist) mark(peers_.acquire(p), kBlocked);
  for (const auto& p : settings.allowlist) mark(peers_.acquire(p), kAllowed);
}

PeerGovernor::~PeerGovernor() {
  for (PeerIndex p = 0; p < health_.size(); ++p)
    if (health_[p] != 0) peers_.release(p);
  for (PeerIndex p : pinned_) peers_.release(p);
}

void PeerGovernor::mark(PeerIndex peer, std::uint8_t flag) {
  if (peer >= flags_.size()) flags_.resize(peer + 1, 0);
  flags_[peer] |= flag;
  pinned_.push_back(peer);
}

void PeerGovernor::record_failure(PeerIndex peer) {
  if (peer >= health_.size()) health_.resize(std::max<std::size_t>(peer + 1, peers_.id_limit()), 0);
  if (health_[peer] == 0) peers_.retain(peer);
  if (health_[peer] != std::numeric_limits<std::uint32_t>::max()) ++health_[peer];
}

void PeerGovernor::record_success(PeerIndex peer) { forget(peer); }

void PeerGovernor::forget(PeerIndex peer) {
  if (peer >= health_.size() || health_[peer] == 0) return;
  health_[peer] = 0;
  peers_.release(peer);
}

}  // namespace bb::runtime
