// The attempt/outcome bookkeeping of a node (docs/wire.md): a node that deferred waits
// as a Pending until every attempt made for it has its outcome; each attempt is one
// (Send firing, destination) pair with an id the transport hands back. Ids carry a
// generation, so an outcome for a recycled slot is recognised as unknown. No policy:
// what an outcome does to the peer's state is NetworkFeedback's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bb/runtime/kernel.h"
#include "bb/runtime/transport.h"

namespace bb::runtime {

class AttemptTable {
 public:
  // What an attempt was for, when its outcome arrives.
  struct Ended {
    PendingId pending = 0;
    PeerIndex dst = kNoPeer;
  };
  // A node waiting for its attempts.
  struct Pending {
    std::uint32_t frame = 0, node = 0, generation = 0;
    std::uint32_t outstanding = 0, delivered = 0;
    Reason failure = Reason::kNone;
    bool armed = false, live = false;
  };
  // What a completed Pending resumes.
  struct Completed {
    std::uint32_t frame = 0, node = 0;
    Reason failure = Reason::kNone;  // kNone: some attempt was delivered, or none failed
  };

  // A node of `frame` waits.
  PendingId open(std::uint32_t frame, std::uint32_t node);
  // The node returned pending: true when it has nothing outstanding (complete it now).
  bool arm(PendingId id);
  // One attempt towards `dst` on behalf of `pending`.
  AttemptId add(PendingId pending, PeerIndex dst);
  // The attempt's outcome arrived: what it was for, or nullopt for an unknown attempt.
  std::optional<Ended> end(AttemptId attempt);
  // Counts the outcome against its Pending: true when that completes it.
  bool record(PendingId pending, OutcomeKind outcome);
  Completed complete(PendingId id);

  const Pending& pending(PendingId id) const { return pendings_[static_cast<std::uint32_t>(id)]; }
  std::size_t live() const { return live_attempts_; }
  // Calls f(dst) for every attempt still in flight (the node releases their peers).
  template <class F>
  void for_each_live(F f) const {
    for (const Attempt& a : attempts_)
      if (a.live) f(a.dst);
  }


 private:
  struct Attempt {
    PendingId pending = 0;
    PeerIndex dst = kNoPeer;
    std::uint32_t generation = 0;
    bool live = false;
  };

  std::vector<Pending> pendings_;
  std::vector<std::uint32_t> free_pendings_;
  std::vector<Attempt> attempts_;
  std::vector<std::uint32_t> free_attempts_;
  std::size_t live_attempts_ = 0;
};

}  // namespace bb::runtime
