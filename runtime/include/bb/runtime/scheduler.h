// The event queue: timers for Interval/After/timeouts, and network events in --sim.
//
// One Scheduler drives a single-node run, or every node of a simulation together.
// Events run in (time, class, sequence) order: at the same instant network events run
// before timers (SPEC §6.3), then in the order they were scheduled. On a virtual clock
// the scheduler jumps to the next event; on a real clock it sleeps until it is due.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "bb/runtime/clock.h"

namespace bb::runtime {

enum class EventClass : std::uint8_t { kNetwork = 0, kTimer = 1 };

using EventId = std::uint64_t;

class Scheduler {
 public:
  using Task = std::function<void()>;
  static constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

  explicit Scheduler(Clock& clock) : clock_(clock), virtual_clock_(dynamic_cast<VirtualClock*>(&clock)) {}

  Clock& clock() { return clock_; }
  std::int64_t now_ns() const { return clock_.now_ns(); }

  // Schedules `task` at absolute time `t_ns` (clamped to now). Returns an id for cancel().
  EventId at(std::int64_t t_ns, EventClass cls, Task task);
  EventId after(std::int64_t delay_ns, EventClass cls, Task task) { return at(now_ns() + delay_ns, cls, std::move(task)); }
  // Cancelling an event that already ran, or twice, does nothing.
  void cancel(EventId id);

  bool empty() const { return live_ == 0; }
  std::size_t pending() const { return live_; }
  // Time of the earliest live event, kForever when none.
  std::int64_t next_time();

  // Runs events due before `until_ns` (exclusive) until none is left, `stop` becomes
  // true, or the next event is at or after `until_ns`. A virtual clock is left at the
  // time of the last event run (or at `until_ns` if the queue outlives it); a real
  // clock waits out the time up to `until_ns` when the queue outlives it. Real-time
  // waits wake up within a few milliseconds of `stop` becoming true.
  void run(std::int64_t until_ns = kForever, const std::atomic<bool>* stop = nullptr);
  // Runs exactly one event if one is due before `until_ns`. Returns false otherwise
  // (also when `stop` became true while waiting for it on a real clock).
  bool run_one(std::int64_t until_ns = kForever, const std::atomic<bool>* stop = nullptr);
  // On a real clock: sleeps until `t_ns` or until `stop` becomes true (false then).
  bool wait_until(std::int64_t t_ns, const std::atomic<bool>* stop = nullptr);

 private:
  struct Entry {
    std::int64_t t;
    EventClass cls;
    std::uint64_t seq;
    EventId id;
    Task task;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.t != b.t) return a.t > b.t;
      if (a.cls != b.cls) return a.cls > b.cls;
      return a.seq > b.seq;
    }
  };
  void drop_cancelled_top();
  bool is_cancelled(EventId id) const;

  Clock& clock_;
  VirtualClock* virtual_clock_;  // null on a real clock
  std::vector<Entry> heap_;
  std::vector<EventId> cancelled_;  // sorted; small in practice
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace bb::runtime
