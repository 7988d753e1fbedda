// The event queue: timers for Interval/After/timeouts, and network events in --sim.
//
// One Scheduler drives a single-node run, or every node of a simulation together.
// Events run in (time, class, sequence) order: at the same instant network events run
// before timers (docs/simulation.md), then in the order they were scheduled. On a virtual clock
// the scheduler jumps to the next event; on a real clock it sleeps until it is due.
//
// Threads: every member runs on the scheduler's thread, except post() / try_post(),
// which any thread may call (network threads hand their work over that way). A posted
// task becomes a network event at the time the scheduler's thread picks it up, and a
// post wakes a real-time wait at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
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

  // Tasks try_post() accepts before it refuses (the inbound queue's bound).
  static constexpr std::size_t kDefaultPostCapacity = 4096;

  explicit Scheduler(Clock& clock, std::size_t post_capacity = kDefaultPostCapacity);
  ~Scheduler();

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
  // Runs exactly one event if one is due before `until_ns`, posted tasks first picked
  // up. Returns false otherwise (also when `stop` became true while waiting for it on a
  // real clock). While open (set_open), a real clock waits for posts up to `until_ns`.
  bool run_one(std::int64_t until_ns = kForever, const std::atomic<bool>* stop = nullptr);
  // On a real clock: sleeps until `t_ns` or until `stop` becomes true (false then).
  bool wait_until(std::int64_t t_ns, const std::atomic<bool>* stop = nullptr);
  // Runs the tasks posted and not yet picked up (and those they post), and no other
  // event: a stopping node takes what its network handed over without firing its timers.
  void run_posted();

  // ---- Any thread ----
  // Hands `task` to the scheduler's thread, which runs it as a network event at the
  // time it picks it up. try_post() refuses (false) when `post_capacity` tasks wait
  // already: inbound work that can be refused (an envelope) uses it. post() always
  // enqueues: for work whose number is bounded elsewhere (one outcome per attempt in
  // flight), which must never be lost.
  bool try_post(Task task);
  void post(Task task);
  // Tasks posted and not yet picked up.
  std::size_t posted() const;

  // ---- The scheduler's thread ----
  // While open, an empty queue on a real clock is not idle: run_one() waits for posts
  // (up to its `until_ns`, or until `stop`) instead of returning false. A node with a
  // network listener keeps it open for as long as the network may bring work.
  void set_open(bool open) { open_ = open; }
  bool open() const { return open_; }

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
  // Posted tasks: a mutex-guarded queue beside the single-threaded heap. `pending`
  // lets the scheduler's thread skip the lock when nothing was posted.
  struct Inbox {
    std::mutex mu;
    std::condition_variable wake;
    std::deque<Task> tasks;
    std::atomic<bool> pending{false};
  };
  enum class Woken : std::uint8_t { kTime, kPosted, kStopped };

  bool is_live(const Entry& e) const { return slots_[e.slot].live && slots_[e.slot].generation == e.generation; }
  void drain_posts();
  Woken sleep_until(std::int64_t t_ns, const std::atomic<bool>* stop, bool wake_on_post);
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
  std::size_t post_capacity_;
  std::unique_ptr<Inbox> inbox_;
  std::vector<Task> drained_;  // reused by drain_posts()
  bool open_ = false;
};

}  // namespace bb::runtime
