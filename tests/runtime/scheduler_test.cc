#include "bb/runtime/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
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

}  // namespace
}  // namespace bb::runtime
