// The "simulated traffic" target of docs/performance.md: gated Send → Recv messages per second of real time
// with 100 nodes on the simulated network (engine + kernels + network, no trace). The
// assertion is a loose floor on messages per second of the thread's CPU time, which a
// loaded shared machine does not dilute as it does real time; both figures are printed.
// BB_DEDUP_WINDOW=N overrides the dedup window (default 8192) to see its cache cost.
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "../support/build_info.h"
#include "sim_harness.h"

namespace bb::testing {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Every node ticks each millisecond and sends the tick to the next `fanout` nodes;
// each received tick passes the rx chain and bumps a counter.
std::shared_ptr<const runtime::Program> ring_node(std::size_t self, std::size_t nodes, std::size_t fanout) {
  SimGraph g;
  g.interval("t", 1 * kMs);
  for (std::size_t k = 1; k <= fanout; ++k)
    g.send("to" + std::to_string(k), {"t"}, "n" + std::to_string((self + k) % nodes), "data");
  const auto in = g.recv("in", 1, "data", /*seen=*/false);
  auto& count = g.add(ir::kSyscallDomain, ir::kIncrMetric, "count", {in[0]}, {});
  GraphBuilder::set_string(count, ir::kAttrName, "received");
  return g.program("n" + std::to_string(self) + ".bb");
}

TEST(SimPerformance, GatedSendToRecvMessagesPerSecondWithAHundredNodes) {
  constexpr std::size_t kNodes = 100, kFanout = 5;
  sim::SimulationConfig c;
  c.network.latency = sim::Latency::uniform(1 * kMs, 5 * kMs);
  if (const char* w = std::getenv("BB_DEDUP_WINDOW")) c.settings.dedup.window = std::strtoull(w, nullptr, 10);
  sim::Simulation sim(c);
  for (std::size_t i = 0; i < kNodes; ++i) sim.add_node(peer("n" + std::to_string(i)), ring_node(i, kNodes, kFanout));
  ASSERT_TRUE(sim.start());
  sim.run(50 * kMs);  // warm up: frames, pools, the scheduler's heap
  const auto before = sim.network().totals().delivered;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_seconds();
  sim.run(1050 * kMs);
  const double cpu_seconds = thread_cpu_seconds() - cpu0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto messages = sim.network().totals().delivered - before;
  std::uint64_t accepted = 0;
  for (const auto& r : sim.reports()) accepted += r.metrics.receives_accepted;
  EXPECT_GT(accepted, kNodes * kFanout * 1000 * 9 / 10);
  const double rate = static_cast<double>(messages) / seconds;
  const double cpu_rate = static_cast<double>(messages) / cpu_seconds;
  std::cout << kNodes << " nodes: " << messages << " gated Send -> Recv messages in " << seconds << " s = " << rate / 1e6
            << " M messages/s (real time), " << cpu_rate / 1e6 << " M messages per CPU second\n";
  if (kTimedBuild) {
    EXPECT_GT(cpu_rate, 100e3) << "far below the 1 M/s target";
  }
}

}  // namespace
}  // namespace bb::testing
