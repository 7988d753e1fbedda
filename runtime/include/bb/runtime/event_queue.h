// The Scheduler's priority queue of events: the earliest (time, order) first.
//
// A monotone radix heap with 64 slots per level (the multi-bucket radix heap of
// Ahuja, Mehlhorn, Orlin and Tarjan; a hierarchical timing wheel without a tick),
// because event times only grow: nothing is scheduled before the event that runs.
//
// Events up to `base_` wait in run_, a small binary heap on (t, order). Every later
// event sits in a slot: at the level of the highest 6-bit digit in which its time
// differs from base_, in the slot of its own digit there, so a push is an append.
// When run_ is empty, the first slot of the lowest level holds the earliest events. A
// slot of a few events (or of level 0: a single time) goes to run_ whole and base_
// moves to the end of its range; a larger one is split: its earliest events go to run_
// and the others down to lower levels, with base_ at their time. An event moves down a
// few times at most (11 levels; 2–3 for times milliseconds apart), and every step is an
// append or a scan of contiguous memory, where one binary heap of a few thousand events
// spends its time in the mispredicted branches of its sift.
//
// The order is exactly that of one binary heap on (t, order): run_ is one, and every
// event in a slot is later than base_, which is later than or equal to everything in
// run_. An event scheduled at or before base_ (now, or before an event top() looked
// ahead to, e.g. a post that arrived during a real-time wait) joins run_.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bb::runtime {

struct QueuedEvent {
  std::int64_t t;       // ≥ 0
  std::uint64_t order;  // ties at equal t: the smaller first
  std::uint32_t slot;
  std::uint32_t generation;
};

class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push(const QueuedEvent& e) {
    assert(e.t >= 0);
    ++size_;
    if (e.t <= base_) {
      run_.push_back(e);
      std::push_heap(run_.begin(), run_.end(), Later{});
      return;
    }
    place(e);
  }

  // The earliest event. Precondition: !empty().
  const QueuedEvent& top() {
    assert(!empty());
    if (run_.empty()) settle();
    return run_.front();
  }

  // Removes top(). Precondition: !empty().
  void pop() {
    assert(!empty());
    if (run_.empty()) settle();
    std::pop_heap(run_.begin(), run_.end(), Later{});
    run_.pop_back();
    --size_;
  }

  // Removes every event for which `dead(e)` holds; the order of the rest is kept.
  template <class Pred>
  void erase_if(Pred dead) {
    size_ = 0;
    for (unsigned level = 0; level < kLevels; ++level) {
      for (std::uint64_t m = slot_mask_[level]; m != 0; m &= m - 1) {
        const auto digit = static_cast<unsigned>(std::countr_zero(m));
        std::vector<QueuedEvent>& slot = slots_[level][digit];
        std::erase_if(slot, dead);
        size_ += slot.size();
        if (slot.empty()) unmark(level, digit);
      }
    }
    std::erase_if(run_, dead);
    size_ += run_.size();
    std::make_heap(run_.begin(), run_.end(), Later{});
  }

 private:
  // Times split into digits of 6 bits: 11 levels of 64 slots cover the 63 bits of a
  // time ≥ 0.
  static constexpr unsigned kDigitBits = 6;
  static constexpr unsigned kSlots = 1u << kDigitBits;
  static constexpr unsigned kLevels = (63 + kDigitBits - 1) / kDigitBits;
  // A slot of at most this many events goes to run_ whole when it comes first.
  static constexpr std::size_t kWholeSlot = 32;
  struct Later {
    bool operator()(const QueuedEvent& a, const QueuedEvent& b) const {
      return a.t != b.t ? a.t > b.t : a.order > b.order;
    }
  };

  // Precondition: e.t > base_.
  void place(const QueuedEvent& e) {
    const auto differ = static_cast<std::uint64_t>(e.t) ^ static_cast<std::uint64_t>(base_);
    const unsigned level = (static_cast<unsigned>(std::bit_width(differ)) - 1) / kDigitBits;
    const auto digit = static_cast<unsigned>(static_cast<std::uint64_t>(e.t) >> (level * kDigitBits)) & (kSlots - 1);
    slots_[level][digit].push_back(e);
    slot_mask_[level] |= std::uint64_t{1} << digit;
    level_mask_ |= 1u << level;
  }
  void unmark(unsigned level, unsigned digit) {
    slot_mask_[level] &= ~(std::uint64_t{1} << digit);
    if (slot_mask_[level] == 0) level_mask_ &= ~(1u << level);
  }

  // run_ is empty and some slot is not: the earliest events lie in the first slot of the
  // lowest level. Every other slot keeps its place: the new base_ lies in that slot's
  // range, so it agrees with the old one on the digits above it.
  void settle() {
    const auto level = static_cast<unsigned>(std::countr_zero(level_mask_));
    assert(level < kLevels);
    const auto digit = static_cast<unsigned>(std::countr_zero(slot_mask_[level]));
    std::vector<QueuedEvent>& slot = slots_[level][digit];
    unmark(level, digit);
    if (level == 0 || slot.size() <= kWholeSlot) {
      // The slot's events share the digits from `level` up: base_ becomes the last time
      // of its range.
      const std::uint64_t below = (std::uint64_t{1} << (level * kDigitBits)) - 1;
      base_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(slot.front().t) | below);
      run_.swap(slot);  // run_ was empty: the slot keeps its storage
    } else {
      std::int64_t least = slot.front().t;
      for (const QueuedEvent& e : slot) least = std::min(least, e.t);
      base_ = least;
      for (const QueuedEvent& e : slot) {
        if (e.t == least)
          run_.push_back(e);
        else
          place(e);
      }
      slot.clear();
    }
    std::make_heap(run_.begin(), run_.end(), Later{});
  }

  std::array<std::array<std::vector<QueuedEvent>, kSlots>, kLevels> slots_;
  std::array<std::uint64_t, kLevels> slot_mask_{};  // bit d: slots_[level][d] is not empty
  std::uint32_t level_mask_ = 0;                    // bit l: some slot of level l is not empty
  std::vector<QueuedEvent> run_;                    // every event at or before base_: a min-heap
  std::int64_t base_ = 0;
  std::size_t size_ = 0;
};

}  // namespace bb::runtime
