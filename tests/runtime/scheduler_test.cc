#include "bb/runtime/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <thread>
#include <vector>

namespace bb::runtime {
namespace {

TEST(Scheduler, RunsInTimeThenClassThenSequenceOrder) {
  VirtualClock clock;
  Scheduler s(clock);
  std::vector<int> order;
  s.at(10, EventClass::kTimer, [&] { order.push_back(3); });
  s.at(10, EventClass::kNetwork, [&] { order.push_back(2); });
  s.at(5, EventClass::kTimer, [&] { order.push_back(1); });
  s.at(10, EventClass::kTimer, [&] { order.push_back(4); });
  s.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(clock.now_ns(), 10);
}

TEST(Scheduler, CancelAndUntilAreExclusive) {
  VirtualClock clock;
  Scheduler s(clock);
  int ran = 0;
  const auto id = s.at(1, EventClass::kTimer, [&] { ++ran; });
  s.at(2, EventClass::kTimer, [&] { ran += 10; });
  s.at(5, EventClass::kTimer, [&] { ran += 100; });
  s.cancel(id);
  s.cancel(id);
  s.run(5);
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(clock.now_ns(), 5);  // the queue outlives the run: the clock reaches `until`
  EXPECT_EQ(s.pending(), 1u);
}

TEST(Scheduler, AStaleIdCancelsNothingAfterItsSlotIsReused) {
  VirtualClock clock;
  Scheduler s(clock);
  int ran = 0;
  const auto first = s.at(1, EventClass::kTimer, [&] { ++ran; });
  s.run();
  const auto second = s.at(2, EventClass::kTimer, [&] { ran += 10; });  // reuses the slot
  EXPECT_NE(first, second);
  EXPECT_NE(first, 0u);
  s.cancel(first);  // ran already: must not cancel the new event
  EXPECT_EQ(s.pending(), 1u);
  s.run();
  EXPECT_EQ(ran, 11);
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, ManyCancelsKeepTheOrderOfTheRest) {
  // Cancelling most events triggers compactions; the survivors still run in
  // (time, class, sequence) order and pending() counts only them.
  VirtualClock clock;
  Scheduler s(clock);
  std::vector<int> order;
  std::vector<EventId> ids;
  for (int i = 0; i < 1000; ++i)
    ids.push_back(s.at(1000 - i % 7, i % 2 == 0 ? EventClass::kTimer : EventClass::kNetwork,
                       [&order, i] { order.push_back(i); }));
  for (int i = 0; i < 1000; ++i)
    if (i % 10 != 0) s.cancel(ids[static_cast<std::size_t>(i)]);
  EXPECT_EQ(s.pending(), 100u);
  s.run();
  std::vector<int> expected;
  for (int i = 0; i < 1000; i += 10) expected.push_back(i);
  std::stable_sort(expected.begin(), expected.end(), [](int a, int b) {
    const int ta = 1000 - a % 7, tb = 1000 - b % 7;
    if (ta != tb) return ta < tb;
    return (a % 2 == 0) < (b % 2 == 0);  // network (odd) before timer (even), then sequence
  });
  EXPECT_EQ(order, expected);
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, EveryEventRunIsTheEarliestPendingOneOfASortedModel) {
  // The queue against a sorted set of what is pending:
  // events added before and while others run (at `now` too, where a network event
  // comes before the running timer's class), cancels of pending and of finished events,
  // enough of them to compact; over several seeds, with times within one bucket of the
  // queue's calendar, across buckets, across its ring and beyond it; a task peeks at the
  // next event before it adds some (the peek moves the calendar to that event's bucket).
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const std::int64_t scale = std::array<std::int64_t, 4>{1, 5'000, 400'000, 30'000'000}[seed % 4];
    std::mt19937 rng(seed);
    VirtualClock clock;
    Scheduler s(clock);
    using Key = std::tuple<std::int64_t, int, std::size_t>;  // time, class, sequence
    std::set<Key> pending;
    std::vector<Key> keys;
    std::vector<EventId> ids;
    std::size_t runs = 0;
    std::function<void(std::int64_t)> add = [&](std::int64_t t) {
      const std::size_t n = keys.size();
      const int cls = static_cast<int>(rng() % 2);
      keys.emplace_back(std::max(t, clock.now_ns()), cls, n);
      pending.insert(keys.back());
      ids.push_back(s.at(t, cls == 0 ? EventClass::kNetwork : EventClass::kTimer, [&, n] {
        ASSERT_FALSE(pending.empty());
        EXPECT_EQ(*pending.begin(), keys[n]) << "seed " << seed << ", run " << runs;
        pending.erase(keys[n]);
        ++runs;
        if (rng() % 4 == 0) (void)s.next_time();
        for (int more = static_cast<int>(rng() % 3); more > 0; --more)
          add(clock.now_ns() + static_cast<std::int64_t>(rng() % 40) * scale);
        if (rng() % 3 == 0) {
          const std::size_t k = rng() % ids.size();
          s.cancel(ids[k]);
          pending.erase(keys[k]);  // nothing when it ran already
        }
      }));
    };
    for (int i = 0; i < 300; ++i) add(static_cast<std::int64_t>(rng() % 100) * scale);
    for (int i = 0; i < 200; ++i) {  // a burst of cancels: compactions
      const std::size_t k = rng() % ids.size();
      s.cancel(ids[k]);
      pending.erase(keys[k]);
    }
    s.run(2'000 * scale);
    EXPECT_EQ(s.pending(), pending.size());
    EXPECT_GT(runs, 300u);
  }
}

TEST(EventQueue, PopsInTheOrderOfASortedModelAcrossBucketsTheRingAndBeyond) {
  // The calendar against a sorted set: times from the same instant to far beyond the
  // ring (scales under a bucket, a few buckets, the ring's span, many spans), pushes
  // after a peek moved the current bucket past now (a real clock peeks at an event not
  // yet due, then something is scheduled before it), equal times ordered by `order`,
  // and erasures (the scheduler's compaction) between pops.
  using Entry = EventQueue::Entry;
  using Key = std::pair<std::int64_t, std::uint64_t>;
  const std::int64_t scales[] = {1, 1'000, 16'384, 300'000, 20'000'000, 4'000'000'000};
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    EventQueue q;
    std::set<Key> model;
    std::int64_t now = static_cast<std::int64_t>(rng() % 1'000'000);
    std::uint64_t seq = 0;
    std::size_t pops = 0;
    auto push = [&] {
      const std::int64_t scale = scales[rng() % std::size(scales)];
      const std::int64_t t = now + static_cast<std::int64_t>(rng() % 50) * scale;
      const std::uint64_t order = (rng() % 2 == 0 ? std::uint64_t{1} << 63 : 0) | ++seq;
      q.push(Entry{t, order, static_cast<std::uint32_t>(seq), 1});
      model.emplace(t, order);
    };
    for (int i = 0; i < 500; ++i) push();
    for (int step = 0; step < 6'000; ++step) {
      const auto r = rng() % 10;
      if (r < 4 || model.empty()) {
        push();
      } else if (r < 5) {
        (void)q.top();  // the peek may move the current bucket ahead of `now`
        push();
      } else if (r < 9) {
        ASSERT_FALSE(q.empty());
        const Entry& e = q.top();
        ASSERT_EQ(Key(e.t, e.order), *model.begin()) << "seed " << seed << ", pop " << pops;
        now = e.t;
        q.pop();
        model.erase(model.begin());
        ++pops;
      } else {
        const std::uint64_t m = 2 + rng() % 5;  // drops every m-th sequence number
        q.erase_if([m](const Entry& e) { return (e.order & ~(std::uint64_t{1} << 63)) % m == 0; });
        std::erase_if(model, [m](const Key& k) { return (k.second & ~(std::uint64_t{1} << 63)) % m == 0; });
      }
      ASSERT_EQ(q.size(), model.size());
    }
    while (!model.empty()) {
      ASSERT_EQ(Key(q.top().t, q.top().order), *model.begin()) << "seed " << seed;
      q.pop();
      model.erase(model.begin());
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(EventQueue, ALargeBucketInAnyOrderPopsSorted) {
  // One ring bucket with hundreds of entries: in push order at one instant (the
  // insertion sort's case), shuffled (past its budget: std::sort), and both mixed.
  using Entry = EventQueue::Entry;
  for (int shape = 0; shape < 3; ++shape) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(shape) + 7);
    EventQueue q;
    q.push(Entry{0, 1, 0, 1});
    (void)q.top();
    q.pop();  // the current bucket is now the one at 0
    std::vector<Entry> pushed;
    for (std::uint32_t i = 0; i < 400; ++i) {
      const bool same_instant = shape == 0 || (shape == 2 && i % 2 == 0);
      const std::int64_t t = 40'960 + (same_instant ? 0 : static_cast<std::int64_t>(rng() % 4'096));
      pushed.push_back(Entry{t, (rng() % 2 == 0 ? std::uint64_t{1} << 63 : 0) | (i + 2), i, 1});
    }
    if (shape == 1) std::shuffle(pushed.begin(), pushed.end(), rng);
    for (const Entry& e : pushed) q.push(e);
    std::sort(pushed.begin(), pushed.end(), [](const Entry& a, const Entry& b) {
      return a.t != b.t ? a.t < b.t : a.order < b.order;
    });
    for (const Entry& e : pushed) {
      ASSERT_FALSE(q.empty());
      ASSERT_EQ(q.top().slot, e.slot) << "shape " << shape;
      q.pop();
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(Scheduler, TasksOwnTheirCapturesInlineOrOnTheHeap) {
  // A capture too big for Task's inline storage goes to the heap; both kinds are run
  // once and destroyed once, also when cancelled or left in the queue.
  struct Counted {
    int* destroyed;
    explicit Counted(int* d) : destroyed(d) {}
    Counted(Counted&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~Counted() {
      if (destroyed != nullptr) ++*destroyed;
    }
  };
  int destroyed = 0, ran = 0;
  {
    VirtualClock clock;
    Scheduler s(clock);
    std::array<char, 200> big{};
    big[0] = 1;
    s.at(1, EventClass::kTimer, [c = Counted(&destroyed), &ran] { ++ran; });
    s.at(2, EventClass::kTimer, [c = Counted(&destroyed), big, &ran] { ran += big[0] * 10; });
    const auto cancelled = s.at(3, EventClass::kTimer, [c = Counted(&destroyed), big, &ran] { ran += 100; });
    s.at(4, EventClass::kTimer, [c = Counted(&destroyed), &ran] { ran += 1000; });  // never run
    s.cancel(cancelled);
    EXPECT_EQ(destroyed, 1);
    s.run(4);
    EXPECT_EQ(ran, 11);
    EXPECT_EQ(destroyed, 3);
  }
  EXPECT_EQ(destroyed, 4);  // the one left in the queue goes with the scheduler
}

TEST(Scheduler, RealTimeWaitStopsWhenAsked) {
  RealClock clock;
  Scheduler s(clock);
  std::atomic<bool> stop{false};
  s.at(60'000'000'000, EventClass::kTimer, [] {});
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    stop.store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  s.run(Scheduler::kForever, &stop);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(s.pending(), 1u);
}

TEST(Scheduler, RealTimeRunCoversTheDuration) {
  RealClock clock;
  Scheduler s(clock);
  s.at(10'000'000'000, EventClass::kTimer, [] {});
  s.run(50'000'000);
  EXPECT_GE(clock.now_ns(), 50'000'000);
}

TEST(Scheduler, APostFromAnotherThreadWakesAnOpenRealTimeRunAtOnce) {
  RealClock clock;
  Scheduler s(clock);
  s.set_open(true);
  std::atomic<bool> stop{false};
  std::int64_t ran_at = -1;
  std::int64_t posted_at = -1;
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    posted_at = clock.now_ns();
    s.post([&] {
      ran_at = clock.now_ns();
      stop.store(true);
    });
  });
  s.run(10'000'000'000, &stop);  // an empty queue: only the post can end this early
  poster.join();
  ASSERT_GE(ran_at, 0);
  EXPECT_LT(ran_at - posted_at, 4'000'000) << "woken by the post, not by a polling slice";
  EXPECT_LT(clock.now_ns(), 2'000'000'000);
}

TEST(Scheduler, AClosedRealTimeSchedulerIsIdleWhenEmptyAndAnOpenOneWaitsForUntil) {
  RealClock clock;
  Scheduler s(clock);
  EXPECT_FALSE(s.run_one(200'000'000));
  EXPECT_LT(clock.now_ns(), 100'000'000);
  s.set_open(true);
  EXPECT_FALSE(s.run_one(50'000'000));
  EXPECT_GE(clock.now_ns(), 50'000'000);
}

TEST(Scheduler, TryPostIsBoundedAndPostIsNot) {
  VirtualClock clock;
  Scheduler s(clock, 2);
  int ran = 0;
  EXPECT_TRUE(s.try_post([&] { ++ran; }));
  EXPECT_TRUE(s.try_post([&] { ++ran; }));
  EXPECT_FALSE(s.try_post([&] { ++ran; }));
  s.post([&] { ran += 10; });  // outcomes must never be lost
  EXPECT_EQ(s.posted(), 3u);
  s.run();
  EXPECT_EQ(ran, 12);
  EXPECT_EQ(s.posted(), 0u);
  EXPECT_TRUE(s.try_post([&] { ++ran; }));  // room again once picked up
}

TEST(Scheduler, PostedTasksRunAsNetworkEventsAtThePickUpTime) {
  VirtualClock clock;
  Scheduler s(clock);
  std::vector<int> order;
  s.at(5, EventClass::kTimer, [&] {
    order.push_back(1);
    s.post([&] { order.push_back(3); });
    s.at(5, EventClass::kTimer, [&] { order.push_back(4); });
  });
  s.at(5, EventClass::kTimer, [&] { order.push_back(2); });
  s.run();
  EXPECT_EQ(order, (std::vector<int>{1, 3, 2, 4}));  // the post is a network event at 5: before the timers left
  EXPECT_EQ(clock.now_ns(), 5);
}

TEST(Scheduler, RunPostedRunsWhatWasPostedAndNoTimer) {
  VirtualClock clock;
  Scheduler s(clock);
  std::vector<int> order;
  s.at(0, EventClass::kTimer, [&] { order.push_back(9); });  // due, and not run
  s.post([&] {
    order.push_back(1);
    s.post([&] { order.push_back(3); });  // posted by a posted task: run too
  });
  s.post([&] { order.push_back(2); });
  s.run_posted();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.posted(), 0u);
  EXPECT_EQ(s.pending(), 1u);
}

TEST(Scheduler, ManyThreadsPostingLoseNothing) {
  RealClock clock;
  Scheduler s(clock);
  s.set_open(true);
  constexpr int kThreads = 4, kEach = 2000;
  std::atomic<bool> stop{false};
  int ran = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t)
    posters.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        s.post([&] {
          if (++ran == kThreads * kEach) stop.store(true);
        });
    });
  s.run(20'000'000'000, &stop);
  for (auto& p : posters) p.join();
  EXPECT_EQ(ran, kThreads * kEach);
}

}  // namespace
}  // namespace bb::runtime
