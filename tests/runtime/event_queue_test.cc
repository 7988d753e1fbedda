#include "bb/runtime/event_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

namespace bb::runtime {
namespace {

// (t, order) as the queue must hand them out: a sorted list is the model.
using Key = std::tuple<std::int64_t, std::uint64_t>;

Key key_of(const QueuedEvent& e) { return {e.t, e.order}; }

TEST(EventQueue, EqualTimesRunInOrderWhereverTheyWereFiled) {
  EventQueue q;
  q.push({5'000'000, 7, 0, 0});
  q.push({5'000'000, 3, 1, 0});
  q.push({1'000, 9, 2, 0});
  EXPECT_EQ(q.top().slot, 2u);  // settles: base moves past 1,000
  q.pop();
  q.push({5'000'000, 1, 3, 0});
  q.push({2'000, 8, 4, 0});  // before the time top() looked ahead to
  std::vector<std::uint32_t> slots;
  while (!q.empty()) {
    slots.push_back(q.top().slot);
    q.pop();
  }
  EXPECT_EQ(slots, (std::vector<std::uint32_t>{4, 3, 1, 0}));
}

TEST(EventQueue, FarTimesAndLargeSlots) {
  // Thousands of events in one slot (split, not taken whole), times up to the largest.
  EventQueue q;
  std::vector<Key> model;
  std::uint64_t order = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::int64_t t = 1'000'000 + (i * 7919) % 500;
    q.push({t, ++order, 0, 0});
    model.emplace_back(t, order);
  }
  for (const std::int64_t t : {INT64_MAX, INT64_MAX - 1, std::int64_t{1} << 62}) {
    q.push({t, ++order, 0, 0});
    model.emplace_back(t, order);
  }
  std::sort(model.begin(), model.end());
  for (const Key& k : model) {
    ASSERT_EQ(key_of(q.top()), k);
    q.pop();
  }
  EXPECT_TRUE(q.empty());
}

// Random pushes (at or after the last time popped, or anywhere after a look ahead),
// pops and erasures against a sorted model: the same events in the same order.
RC_GTEST_PROP(EventQueue, MatchesASortedModel, ()) {
  EventQueue q;
  std::vector<Key> model;  // kept sorted
  std::uint64_t order = 0;
  std::int64_t last = 0;  // the time of the last event popped
  const auto spread = *rc::gen::element<std::int64_t>(4, 1'000, 5'000'000, std::int64_t{1} << 40);
  const auto steps = *rc::gen::inRange(1, 400);
  for (int step = 0; step < steps; ++step) {
    const int what = *rc::gen::inRange(0, 10);
    if (what < 5 || model.empty()) {
      const std::int64_t t = last + *rc::gen::inRange<std::int64_t>(0, spread);
      const std::uint64_t o = (*rc::gen::arbitrary<bool>() ? std::uint64_t{1} << 63 : 0) | ++order;
      q.push({t, o, 0, 0});
      model.insert(std::upper_bound(model.begin(), model.end(), Key{t, o}), Key{t, o});
    } else if (what < 7) {
      RC_ASSERT(key_of(q.top()) == model.front());  // a look ahead: pushes may come before it
    } else if (what < 9) {
      RC_ASSERT(key_of(q.top()) == model.front());
      last = std::get<0>(model.front());
      q.pop();
      model.erase(model.begin());
    } else {
      const auto modulus = *rc::gen::inRange<std::uint64_t>(2, 5);
      q.erase_if([&](const QueuedEvent& e) { return e.order % modulus == 0; });
      std::erase_if(model, [&](const Key& k) { return std::get<1>(k) % modulus == 0; });
    }
    RC_ASSERT(q.size() == model.size());
  }
  for (const Key& k : model) {
    RC_ASSERT(key_of(q.top()) == k);
    q.pop();
  }
  RC_ASSERT(q.empty());
}

}  // namespace
}  // namespace bb::runtime
