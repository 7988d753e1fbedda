#include "bb/runtime/scheduler.h"

#include <algorithm>
#include <thread>

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

}  // namespace

EventId Scheduler::at(std::int64_t t_ns, EventClass cls, Task task) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.task = std::move(task);
  s.live = true;
  const std::uint64_t order = (cls == EventClass::kTimer ? kClassBit : 0) | ++next_seq_;
  heap_.push_back(Entry{std::max(t_ns, now_ns()), order, slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  ++live_;
  return make_id(slot, s.generation);
}

void Scheduler::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return;  // ran already, or cancelled
  s.task.reset();
  s.live = false;
  next_generation(s.generation);
  free_slots_.push_back(slot);
  --live_;
  // Cancelled entries wait in the heap until they reach the top; compact when they
  // outnumber the live ones (crashed nodes leave far-future timers behind).
  if (heap_.size() > 64 && heap_.size() - live_ > live_) compact();
}

void Scheduler::compact() {
  std::erase_if(heap_, [this](const Entry& e) { return !is_live(e); });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

void Scheduler::pop_top() {
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  heap_.pop_back();
}

void Scheduler::drop_cancelled_top() {
  // Every entry is live unless some were cancelled: skip the slot lookups then.
  while (heap_.size() > live_ && !is_live(heap_.front())) pop_top();
}

std::int64_t Scheduler::next_time() {
  drop_cancelled_top();
  return heap_.empty() ? kForever : heap_.front().t;
}

bool Scheduler::wait_until(std::int64_t t_ns, const std::atomic<bool>* stop) {
  // Short slices keep a stop request (SIGINT) responsive during long waits.
  constexpr std::int64_t kSlice = 5'000'000;
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return false;
    const std::int64_t wait = t_ns - clock_.now_ns();
    if (wait <= 0) return true;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(wait, kSlice)));
  }
}

bool Scheduler::run_one(std::int64_t until_ns, const std::atomic<bool>* stop) {
  const std::int64_t t = next_time();
  if (t == kForever || t >= until_ns) return false;
  if (virtual_clock_ != nullptr) {
    virtual_clock_->advance_to(t);
  } else if (!wait_until(t, stop)) {
    return false;
  }
  drop_cancelled_top();  // a real-time wait may have run into a cancel (from a signal path)
  if (heap_.empty()) return false;
  const std::uint32_t slot = heap_.front().slot;
  pop_top();
  Slot& s = slots_[slot];
  Task task = std::move(s.task);  // the slot is free before the task runs: it may schedule
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
