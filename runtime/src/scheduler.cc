#include "bb/runtime/scheduler.h"

#include <algorithm>
#include <chrono>

namespace bb::runtime {
namespace {

constexpr std::uint64_t kClassBit = std::uint64_t{1} << 63;

// Ids are never 0: generations start at 1 and skip 0 when they wrap.
constexpr EventId make_id(std::uint32_t slot, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | slot;
}
void next_generation(std::uint32_t& generation) {
  if (++generation == 0) generation = 1;
}

// Real-time waits sleep in slices this long at most, so a stop request (a signal
// handler can only set a flag) is seen within a few milliseconds.
constexpr std::int64_t kSlice = 5'000'000;

}  // namespace

// ---- EventQueue ----------------------------------------------------------------------------

// The first ring bucket with a list at or after slot `from`, going round once; kBuckets
// when the ring is empty.
std::size_t EventQueue::next_occupied(std::size_t from) const {
  std::size_t w = from >> 6;
  std::uint64_t bits = occupied_[w] & (~std::uint64_t{0} << (from & 63));
  for (std::size_t n = 0; n <= kWords; ++n) {
    if (bits != 0) return (w << 6) | static_cast<std::size_t>(__builtin_ctzll(bits));
    w = (w + 1) % kWords;
    bits = occupied_[w];
  }
  return kBuckets;
}

void EventQueue::push_run(const Entry& e) {
  if (run_n_ == run_.size()) run_.resize(2 * run_n_ + 16);
  if (sorted_) {  // latest first is earliest last: reversed, a min-heap
    std::reverse(run_.begin(), run_.begin() + static_cast<std::ptrdiff_t>(run_n_));
    sorted_ = false;
  }
  run_[run_n_++] = e;
  std::push_heap(run_.begin(), run_.begin() + static_cast<std::ptrdiff_t>(run_n_), Later{});
}

// `run_` is empty: the next bucket with entries becomes the current one. Ring entries
// all come before `far_`'s, so `far_` is asked only when the ring is empty; then the
// ring moves on, and `far_`'s entries it now covers join it (or `run_`).
void EventQueue::advance() {
  sorted_ = true;
  const std::size_t from = static_cast<std::size_t>(cur_ + 1) & (kBuckets - 1);
  const std::size_t found = next_occupied(from);
  if (found != kBuckets) {
    cur_ += 1 + static_cast<std::int64_t>((found - from) & (kBuckets - 1));
    std::uint32_t n = head_[found];
    head_[found] = kNil;
    occupied_[found >> 6] &= ~(std::uint64_t{1} << (found & 63));
    while (n != kNil) {
      Linked& l = pool_[n];
      if (run_n_ == run_.size()) run_.resize(2 * run_n_ + 16);
      run_[run_n_++] = l.e;
      const std::uint32_t next = l.next;
      l.next = free_;
      free_ = n;
      n = next;
    }
  } else {
    cur_ = bucket(far_.front().t);
  }
  while (!far_.empty() && bucket(far_.front().t) - cur_ < static_cast<std::int64_t>(kBuckets)) {
    const Entry e = far_.front();
    std::pop_heap(far_.begin(), far_.end(), Later{});
    far_.pop_back();
    const std::int64_t b = bucket(e.t);
    if (b != cur_) {
      link(e, b);
      continue;
    }
    if (run_n_ == run_.size()) run_.resize(2 * run_n_ + 16);
    run_[run_n_++] = e;
  }
  // Latest first. A list comes latest-pushed first, so a bucket is nearly sorted already
  // (timers of one instant, in the order they were set): insertion sort, which costs a
  // compare per entry in order; std::sort once the moves pass a few per entry.
  Entry* r = run_.data();
  std::size_t moves = 0;
  for (std::size_t i = 1; i < run_n_; ++i) {
    const Entry e = r[i];
    std::size_t j = i;
    for (; j > 0 && Later{}(e, r[j - 1]); --j) r[j] = r[j - 1];
    r[j] = e;
    moves += i - j;
    if (moves > 8 * run_n_) {
      std::sort(r, r + run_n_, Later{});
      return;
    }
  }
}

// ---- Scheduler -------------------------------------------------------------------------------

Scheduler::Scheduler(Clock& clock, std::size_t post_capacity)
    : clock_(clock), virtual_clock_(dynamic_cast<VirtualClock*>(&clock)), post_capacity_(post_capacity),
      inbox_(std::make_unique<Inbox>()) {}

Scheduler::~Scheduler() = default;

EventId Scheduler::at(std::int64_t t_ns, EventClass cls, Task task) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(tasks_.size());
    tasks_.emplace_back();
    states_.emplace_back();
  }
  SlotState& s = states_[slot];
  tasks_[slot] = std::move(task);
  s.live = true;
  const std::uint64_t order = (cls == EventClass::kTimer ? kClassBit : 0) | ++next_seq_;
  queue_.push(Entry{std::max(t_ns, now_ns()), order, slot, s.generation});
  ++live_;
  return make_id(slot, s.generation);
}

void Scheduler::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= states_.size()) return;
  SlotState& s = states_[slot];
  if (!s.live || s.generation != generation) return;  // ran already, or cancelled
  tasks_[slot].reset();
  s.live = false;
  next_generation(s.generation);
  free_slots_.push_back(slot);
  --live_;
  // Cancelled entries wait in the queue until they reach the top; compact when they
  // outnumber the live ones (crashed nodes leave far-future timers behind).
  if (queue_.size() > 64 && queue_.size() - live_ > live_) compact();
}

void Scheduler::compact() {
  queue_.erase_if([this](const Entry& e) { return !is_live(e); });
}

void Scheduler::drop_cancelled_top() {
  // Every entry is live unless some were cancelled: skip the slot lookups then.
  while (queue_.size() > live_ && !is_live(queue_.top())) queue_.pop();
}

std::int64_t Scheduler::next_time() {
  drop_cancelled_top();
  return queue_.empty() ? kForever : queue_.top().t;
}

bool Scheduler::wait_until(std::int64_t t_ns, const std::atomic<bool>* stop) {
  return sleep_until(t_ns, stop, false) != Woken::kStopped;
}

Scheduler::Woken Scheduler::sleep_until(std::int64_t t_ns, const std::atomic<bool>* stop, bool wake_on_post) {
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return Woken::kStopped;
    if (wake_on_post && inbox_->pending.load(std::memory_order_acquire)) return Woken::kPosted;
    const std::int64_t wait = t_ns - clock_.now_ns();
    if (wait <= 0) return Woken::kTime;
    std::unique_lock lock(inbox_->mu);
    const auto slice = std::chrono::nanoseconds(std::min(wait, kSlice));
    if (wake_on_post)
      inbox_->wake.wait_for(lock, slice, [this] { return !inbox_->tasks.empty(); });
    else
      inbox_->wake.wait_for(lock, slice);  // a post may cut the slice short: the loop goes on
  }
}

bool Scheduler::try_post(Task task) {
  {
    std::lock_guard lock(inbox_->mu);
    if (inbox_->tasks.size() >= post_capacity_) return false;
    inbox_->tasks.push_back(std::move(task));
    inbox_->pending.store(true, std::memory_order_release);
  }
  inbox_->wake.notify_one();
  return true;
}

void Scheduler::post(Task task) {
  {
    std::lock_guard lock(inbox_->mu);
    inbox_->tasks.push_back(std::move(task));
    inbox_->pending.store(true, std::memory_order_release);
  }
  inbox_->wake.notify_one();
}

void Scheduler::run_posted() {
  std::vector<Task> tasks;
  while (inbox_->pending.load(std::memory_order_acquire)) {
    {
      std::lock_guard lock(inbox_->mu);
      for (Task& t : inbox_->tasks) tasks.push_back(std::move(t));
      inbox_->tasks.clear();
      inbox_->pending.store(false, std::memory_order_relaxed);
    }
    for (Task& t : tasks) t();
    tasks.clear();
  }
}

std::size_t Scheduler::posted() const {
  std::lock_guard lock(inbox_->mu);
  return inbox_->tasks.size();
}

void Scheduler::drain_posts() {
  {
    std::lock_guard lock(inbox_->mu);
    for (Task& t : inbox_->tasks) drained_.push_back(std::move(t));
    inbox_->tasks.clear();
    inbox_->pending.store(false, std::memory_order_relaxed);
  }
  const std::int64_t now = now_ns();
  for (Task& t : drained_) at(now, EventClass::kNetwork, std::move(t));
  drained_.clear();
}

bool Scheduler::run_one(std::int64_t until_ns, const std::atomic<bool>* stop) {
  for (;;) {
    if (inbox_->pending.load(std::memory_order_acquire)) drain_posts();
    const std::int64_t t = next_time();
    const bool due = t != kForever && t < until_ns;
    if (virtual_clock_ != nullptr) {
      if (!due) return false;
      virtual_clock_->advance_to(t);
      break;
    }
    if (!due && !open_) return false;
    const Woken woken = sleep_until(due ? t : until_ns, stop, true);
    if (woken == Woken::kStopped) return false;
    if (woken == Woken::kPosted) continue;
    if (!due) return false;  // open, and `until_ns` came with nothing to run
    drop_cancelled_top();
    if (!queue_.empty()) break;
  }
  const std::uint32_t slot = queue_.top().slot;
  queue_.pop();
  SlotState& s = states_[slot];
  Task task = std::move(tasks_[slot]);  // the slot is free before the task runs: it may schedule
  s.live = false;
  next_generation(s.generation);
  free_slots_.push_back(slot);
  --live_;
  task();
  return true;
}

void Scheduler::run(std::int64_t until_ns, const std::atomic<bool>* stop) {
  while (stop == nullptr || !stop->load(std::memory_order_relaxed)) {
    if (!run_one(until_ns, stop)) break;
  }
  if (until_ns == kForever || (stop != nullptr && stop->load(std::memory_order_relaxed))) return;
  if (next_time() == kForever) return;  // idle: nothing left to wait for
  if (virtual_clock_ != nullptr)
    virtual_clock_->advance_to(until_ns);
  else
    wait_until(until_ns, stop);
}

}  // namespace bb::runtime
