// The event queue: timers for Interval/After/timeouts, and network events in --sim.
//
// One Scheduler drives a single-node run, or every node of a simulation together.
// Events run in (time, class, sequence) order: at the same instant network events run
// before timers (docs/simulation.md), then in the order they were scheduled. On a virtual clock
// the scheduler jumps to the next event; on a real clock it sleeps until it is due.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "bb/runtime/clock.h"

namespace bb::runtime {

enum class EventClass : std::uint8_t { kNetwork = 0, kTimer = 1 };

using EventId = std::uint64_t;

// A move-only `void()` callable that keeps captures of up to kInline bytes in place (no
// heap allocation for the scheduler's own events: timers, network trips, outcomes).
class Task {
 public:
  static constexpr std::size_t kInline = 88;

  Task() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task>>>
  Task(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert like std::function
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInline && alignof(Fn) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(f));
      ops_ = &kInlineOps<Fn>;
    } else {
      *reinterpret_cast<Fn**>(buf_) = new Fn(std::forward<F>(f));
      ops_ = &kHeapOps<Fn>;
    }
  }
  Task(Task&& o) noexcept : ops_(o.ops_) {
    if (ops_ != nullptr) ops_->move(buf_, o.buf_);
    o.ops_ = nullptr;
  }
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_ != nullptr) ops_->move(buf_, o.buf_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(buf_); }
  void reset() {
    if (ops_ != nullptr) ops_->destroy(buf_);
    ops_ = nullptr;
  }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);  // move-constructs into dst and destroys src
    void (*destroy)(void*);
  };
  template <class Fn>
  static constexpr Ops kInlineOps{
      [](void* p) { (*static_cast<Fn*>(p))(); },
      [](void* dst, void* src) {
        ::new (dst) Fn(std::move(*static_cast<Fn*>(src)));
        static_cast<Fn*>(src)->~Fn();
      },
      [](void* p) { static_cast<Fn*>(p)->~Fn(); }};
  template <class Fn>
  static constexpr Ops kHeapOps{[](void* p) { (**static_cast<Fn**>(p))(); },
                                [](void* dst, void* src) { *static_cast<Fn**>(dst) = *static_cast<Fn**>(src); },
                                [](void* p) { delete *static_cast<Fn**>(p); }};

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

class Scheduler {
 public:
  static constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

  explicit Scheduler(Clock& clock) : clock_(clock), virtual_clock_(dynamic_cast<VirtualClock*>(&clock)) {}

  Clock& clock() { return clock_; }
  std::int64_t now_ns() const { return clock_.now_ns(); }

  // Schedules `task` at absolute time `t_ns` (clamped to now). Returns an id for cancel()
  // (never 0).
  EventId at(std::int64_t t_ns, EventClass cls, Task task);
  EventId after(std::int64_t delay_ns, EventClass cls, Task task) { return at(now_ns() + delay_ns, cls, std::move(task)); }
  // O(1). Cancelling an event that already ran, or twice, does nothing.
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
  // The heap holds small plain entries; the tasks stay put in slots. An id is the slot
  // and its generation, so cancel() finds its event directly; a cancelled entry stays
  // in the heap until it reaches the top (or a compaction) and is then dropped.
  struct Entry {
    std::int64_t t;
    std::uint64_t order;  // class in the top bit, then the sequence number
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Slot {
    Task task;
    std::uint32_t generation = 1;
    bool live = false;
  };
  struct Later {  // a type, not a function pointer: the heap algorithms inline it
    bool operator()(const Entry& a, const Entry& b) const { return a.t != b.t ? a.t > b.t : a.order > b.order; }
  };
  bool is_live(const Entry& e) const { return slots_[e.slot].live && slots_[e.slot].generation == e.generation; }
  void pop_top();
  void drop_cancelled_top();
  void compact();

  Clock& clock_;
  VirtualClock* virtual_clock_;  // null on a real clock
  std::vector<Entry> heap_;      // min-heap by (t, class, sequence) via Later
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;  // live events; heap_.size() - live_ cancelled entries wait in the heap
};

}  // namespace bb::runtime
