#include "bb/runtime/scheduler.h"

#include <algorithm>
#include <thread>

namespace bb::runtime {

EventId Scheduler::at(std::int64_t t_ns, EventClass cls, Task task) {
  const EventId id = ++next_seq_;
  heap_.push_back(Entry{std::max(t_ns, now_ns()), cls, id, id, std::move(task)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  ++live_;
  return id;
}

bool Scheduler::is_cancelled(EventId id) const {
  return std::binary_search(cancelled_.begin(), cancelled_.end(), id);
}

void Scheduler::cancel(EventId id) {
  if (id == 0 || id > next_seq_ || is_cancelled(id)) return;
  // Only live events are in the heap; a finished one must not count as cancelled.
  const bool live = std::any_of(heap_.begin(), heap_.end(), [&](const Entry& e) { return e.id == id; });
  if (!live) return;
  cancelled_.insert(std::upper_bound(cancelled_.begin(), cancelled_.end(), id), id);
  --live_;
}

void Scheduler::drop_cancelled_top() {
  while (!heap_.empty() && !cancelled_.empty() && is_cancelled(heap_.front().id)) {
    const EventId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    cancelled_.erase(std::lower_bound(cancelled_.begin(), cancelled_.end(), id));
  }
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
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Entry entry = std::move(heap_.back());
  heap_.pop_back();
  --live_;
  entry.task();
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
