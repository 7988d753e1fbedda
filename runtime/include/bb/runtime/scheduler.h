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

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <iterator>
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
// heap allocation for the scheduler's own events: timers, network trips, outcomes). One
// is one cache line: the simulator keeps thousands pending, each read once, long after
// it was written.
class alignas(64) Task {
 public:
  static constexpr std::size_t kInline = 56;
  // Whether a callable of type F is kept in place (hot paths static_assert it).
  template <class F>
  static constexpr bool kFitsInline = sizeof(std::decay_t<F>) <= kInline &&
                                      alignof(std::decay_t<F>) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<std::decay_t<F>>;

  Task() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task>>>
  Task(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert like std::function
    using Fn = std::decay_t<F>;
    if constexpr (kFitsInline<Fn>) {
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
static_assert(sizeof(Task) == 64);

// The scheduler's pending entries, earliest first by (time, order). An event's time is
// never before the clock's now, and most events of a run land a few milliseconds ahead
// of it (network trips, timers), many of them close together: a binary heap over all of
// them paid a dozen levels of sift per pop (~3,000 pending in the simulator's bench). The
// queue is a calendar instead: times are cut into buckets of 2^kShift ns; `run_` holds
// every entry of the current bucket and earlier ones (a few); the next kBuckets - 1
// buckets are singly linked lists in a ring (unordered), and entries beyond the ring
// wait in a binary heap `far_` until the ring reaches them. When `run_` is empty the next
// bucket's list is sorted into it, latest first, and popped from the back: a pop is a
// decrement. An entry pushed into the current bucket turns `run_` into a binary heap
// (the sorted entries reversed are one) until it is empty again. The order is exactly
// that of one heap by (time, order): every entry in `run_` is in a bucket before every
// ring entry, and every ring entry before every entry of `far_`. A ring bucket's list
// lives in one pool of nodes that grows with the most entries the ring held: in steady
// state nothing allocates.
class EventQueue {
 public:
  struct Entry {
    std::int64_t t;
    std::uint64_t order;  // class in the top bit, then the sequence number
    std::uint32_t slot;
    std::uint32_t generation;
  };

  // Room for a small queue from the start, so that the first entries through each part
  // (a short run, a ring bucket, a far timer) do not allocate in the middle of a run:
  // beyond this, a part grows to the most entries it held and keeps that.
  EventQueue() {
    std::fill(std::begin(head_), std::end(head_), kNil);
    run_.resize(kInitialRoom);
    far_.reserve(kInitialRoom);
    pool_.reserve(kInitialRoom);
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void push(const Entry& e) {
    ++size_;
    const std::int64_t b = bucket(e.t);
    if (b <= cur_) {
      push_run(e);
    } else if (in_ring(b)) {
      link(e, b);
    } else {
      far_.push_back(e);
      std::push_heap(far_.begin(), far_.end(), Later{});
    }
  }
  // The earliest entry; the queue must not be empty. Not const: it may move the next
  // bucket into `run_`.
  const Entry& top() {
    if (run_n_ == 0) advance();
    return sorted_ ? run_[run_n_ - 1] : run_[0];
  }
  void pop() {  // the entry top() returns
    if (!sorted_) std::pop_heap(run_.begin(), run_.begin() + static_cast<std::ptrdiff_t>(run_n_), Later{});
    --run_n_;
    --size_;
  }
  // Removes every entry for which dead(entry) holds (the scheduler's compaction).
  template <class Dead>
  void erase_if(Dead dead);

 private:
  static constexpr int kShift = 12;              // 4.1 us buckets
  static constexpr std::size_t kBuckets = 4096;  // the ring: ~16.8 ms ahead
  static constexpr std::size_t kWords = kBuckets / 64;
  static constexpr std::uint32_t kNil = UINT32_MAX;
  static constexpr std::size_t kInitialRoom = 64;  // entries of each part
  struct Later {  // a type, not a function pointer: the heap algorithms inline it
    bool operator()(const Entry& a, const Entry& b) const { return a.t != b.t ? a.t > b.t : a.order > b.order; }
  };
  // A ring bucket's list node. (It kept the list's length once, which made every push
  // read the bucket's previous head, written long before: a cache miss per event.)
  struct Linked {
    Entry e;
    std::uint32_t next;
  };

  static std::int64_t bucket(std::int64_t t) { return t >> kShift; }
  // Whether bucket `b` (after the current one) is in the ring: the unsigned difference
  // cannot overflow where the signed one could (the current bucket starts at the minimum).
  bool in_ring(std::int64_t b) const {
    return static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(cur_) < kBuckets;
  }
  [[gnu::always_inline]] void link(const Entry& e, std::int64_t b) {
    std::uint32_t n = free_;
    if (n != kNil) {
      free_ = pool_[n].next;
    } else {
      n = static_cast<std::uint32_t>(pool_.size());
      pool_.emplace_back();
    }
    const auto slot = static_cast<std::size_t>(b) & (kBuckets - 1);
    const std::uint32_t head = head_[slot];
    pool_[n] = Linked{e, head};
    head_[slot] = n;
    occupied_[slot >> 6] |= std::uint64_t{1} << (slot & 63);
  }
  void advance();
  void push_run(const Entry& e);
  std::size_t next_occupied(std::size_t from) const;

  std::vector<Entry> run_;  // the first run_n_: the current bucket and earlier
  std::size_t run_n_ = 0;
  bool sorted_ = true;      // run_ sorted latest first, else a min-heap via Later
  std::vector<Entry> far_;  // min-heap via Later: beyond the ring
  std::vector<Linked> pool_;
  std::uint32_t free_ = kNil;  // the pool's free nodes, linked by `next`
  std::int64_t cur_ = std::numeric_limits<std::int64_t>::min();  // the current bucket
  std::size_t size_ = 0;
  std::uint32_t head_[kBuckets];
  std::uint64_t occupied_[kWords] = {};  // a bit per ring bucket with a list
};

template <class Dead>
void EventQueue::erase_if(Dead dead) {
  const std::size_t before = run_n_ + far_.size();
  const auto run_end = run_.begin() + static_cast<std::ptrdiff_t>(run_n_);
  run_n_ = static_cast<std::size_t>(std::remove_if(run_.begin(), run_end, dead) - run_.begin());  // keeps the order
  if (!sorted_) std::make_heap(run_.begin(), run_.begin() + static_cast<std::ptrdiff_t>(run_n_), Later{});
  std::erase_if(far_, dead);
  std::make_heap(far_.begin(), far_.end(), Later{});
  size_ -= before - run_n_ - far_.size();
  for (std::size_t w = 0; w < kWords; ++w) {
    for (std::uint64_t bits = occupied_[w]; bits != 0; bits &= bits - 1) {
      const std::size_t b = (w << 6) | static_cast<std::size_t>(__builtin_ctzll(bits));
      std::uint32_t* at = &head_[b];
      while (*at != kNil) {
        Linked& n = pool_[*at];
        if (!dead(n.e)) {
          at = &n.next;
          continue;
        }
        const std::uint32_t gone = *at;
        *at = n.next;
        n.next = free_;
        free_ = gone;
        --size_;
      }
      if (head_[b] == kNil) occupied_[w] &= ~(std::uint64_t{1} << (b & 63));
    }
  }
}

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
  // The queue holds small plain entries; the tasks stay put in slots. An id is the slot
  // and its generation, so cancel() finds its event directly; a cancelled entry stays
  // in the queue until it reaches the top (or a compaction) and is then dropped. A
  // slot's task (one cache line) and its state (8 bytes, in a dense array that stays in
  // the cache) are kept apart.
  using Entry = EventQueue::Entry;
  struct SlotState {
    std::uint32_t generation = 1;
    bool live = false;
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

  bool is_live(const Entry& e) const { return states_[e.slot].live && states_[e.slot].generation == e.generation; }
  void drain_posts();
  Woken sleep_until(std::int64_t t_ns, const std::atomic<bool>* stop, bool wake_on_post);
  void drop_cancelled_top();
  void compact();

  Clock& clock_;
  VirtualClock* virtual_clock_;  // null on a real clock
  EventQueue queue_;             // by (t, class, sequence)
  std::vector<Task> tasks_;        // by slot
  std::vector<SlotState> states_;  // by slot
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;  // live events; queue_.size() - live_ cancelled entries wait in the queue
  std::size_t post_capacity_;
  std::unique_ptr<Inbox> inbox_;
  std::vector<Task> drained_;  // reused by drain_posts()
  bool open_ = false;
};

}  // namespace bb::runtime
