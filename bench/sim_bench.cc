// The "simulated traffic" target of docs/performance.md measured in-process with Google Benchmark
// (bench/runtime_bench.sh runs it; docs/performance.md): gated Send → Recv messages per
// second of real time with 100 real nodes (engine + kernels) on the simulated network,
// tracing off, as `bbrun --sim` runs them.
//
// Every node ticks each millisecond and sends the tick to the next 5 nodes of a ring
// through PeerHealthGateTx → BackoffGateTx → Send; each arriving envelope goes Recv →
// DedupGateRx → PeerHealthGateRx → BackoffGateRx → IncrMetric. Latency is uniform in
// [1 ms, 5 ms], drawn per trip. One iteration runs 10 ms of virtual time (5,000
// messages); the figure is delivered originals per second of real time.
#include <benchmark/benchmark.h>


#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/sim/host.h"
#include "counting_new.h"
#include "cpu_time.h"
#include "graph_builder.h"


namespace {

using bb::testing::GraphBuilder;
namespace ir = bb::ir;
namespace runtime = bb::runtime;
namespace sim = bb::sim;

constexpr std::int64_t kMs = runtime::kMillisecond;


bb::PeerId peer(std::size_t i) { return *bb::PeerId::identity("n" + std::to_string(i)); }

// The graph bbc writes for node `self` of the ring: Interval → (PeerHealthGateTx →
// BackoffGateTx → Send) × fanout, and Recv → the rx gate chain → IncrMetric.
std::shared_ptr<const runtime::Program> ring_node(std::size_t self, std::size_t nodes, std::size_t fanout,
                                                  benchmark::State& state) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1 * kMs);
  for (std::size_t k = 1; k <= fanout; ++k) {
    const std::string key = "to" + std::to_string(k);
    const std::string to = peer((self + k) % nodes).bytes();
    const std::string h = key + "#" + std::string(ir::kOutPeerHealthTx) + ".0";
    const std::string b = key + "#" + std::string(ir::kOutBackoffTx) + ".0";
    auto& g1 = g.syscall(ir::kPeerHealthGateTx, std::string(ir::kPeerHealthGateTx) + "@" + key, {"t"}, {h});
    GraphBuilder::set_string(g1, ir::kAttrPeer, to);
    GraphBuilder::set_string(g1, ir::kAttrSource, key);
    auto& g2 = g.syscall(ir::kBackoffGateTx, std::string(ir::kBackoffGateTx) + "@" + key, {h}, {b});
    GraphBuilder::set_string(g2, ir::kAttrPeer, to);
    GraphBuilder::set_string(g2, ir::kAttrSource, key);
    auto& s = g.node(ir::kWireDomain, ir::kSend, key, {b}, {});
    GraphBuilder::set_string(s, ir::kAttrPeer, to);
    GraphBuilder::set_string(s, ir::kAttrChannel, "data");
    GraphBuilder::set_int(s, ir::kStampPeerHealthTx, 1);
    GraphBuilder::set_int(s, ir::kStampBackoffTx, 1);
  }
  auto& r = g.node(ir::kWireDomain, ir::kRecv, "in", {}, {"in.p0", "in.from"});
  GraphBuilder::set_string(r, ir::kAttrChannel, "data");
  GraphBuilder::set_int(r, ir::kStampDedupRx, 1);
  GraphBuilder::set_int(r, ir::kStampPeerHealthRx, 1);
  GraphBuilder::set_int(r, ir::kStampBackoffRx, 1);
  std::vector<std::string> out{"in.p0", "in.from"};
  const std::pair<std::string_view, std::string_view> chain[] = {{ir::kDedupGateRx, ir::kOutDedupRx},
                                                                 {ir::kPeerHealthGateRx, ir::kOutPeerHealthRx},
                                                                 {ir::kBackoffGateRx, ir::kOutBackoffRx}};
  for (const auto& [op, infix] : chain) {
    std::vector<std::string> next;
    for (std::size_t j = 0; j < out.size(); ++j) next.push_back("in#" + std::string(infix) + "." + std::to_string(j));
    auto& gate = g.syscall(op, std::string(op) + "@in", {}, {});
    for (const auto& i : out) gate.add_input(i);
    for (const auto& o : next) gate.add_output(o);
    GraphBuilder::set_string(gate, ir::kAttrSource, "in");
    out = std::move(next);
  }
  auto& count = g.syscall(ir::kIncrMetric, "count", {}, {});
  count.add_input(out[0]);
  GraphBuilder::set_string(count, ir::kAttrName, "received");
  auto program = runtime::Program::build(g.compiled(), "n" + std::to_string(self) + ".bb");
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return nullptr;
  }
  return *program;
}

void BM_SimGatedSendToRecv(benchmark::State& state) {
  constexpr std::size_t kNodes = 100, kFanout = 5;
  sim::SimulationConfig c;
  c.network.latency = sim::Latency::uniform(1 * kMs, 5 * kMs);
  sim::Simulation simulation(c);
  for (std::size_t i = 0; i < kNodes; ++i) {
    auto program = ring_node(i, kNodes, kFanout, state);
    if (!program) return;
    simulation.add_node(peer(i), std::move(program));
  }
  if (auto started = simulation.start(); !started) {
    state.SkipWithError(started.error().c_str());
    return;
  }
  std::int64_t until = 50 * kMs;
  simulation.run(until);  // warm up: frames, pools, the scheduler's heap, the dedup windows
  const auto before = simulation.network().totals().delivered;
  const std::uint64_t allocations_before = bb::testing::heap_allocations();
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) {
    until += 10 * kMs;
    simulation.run(until);
  }
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  const std::uint64_t allocations = bb::testing::heap_allocations() - allocations_before;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const auto delivered = static_cast<double>(simulation.network().totals().delivered - before);
  std::uint64_t accepted = 0;
  for (const auto& r : simulation.reports()) accepted += r.metrics.receives_accepted;
  // Every message must pass the rx chain: a broken graph would look fast.
  if (accepted < simulation.network().totals().delivered || delivered == 0)
    state.SkipWithError("messages were delivered but not accepted by the rx chain");
  state.counters["messages"] = delivered;
  state.counters["messages_per_s"] = delivered / wall;      // of real time (the target)
  state.counters["messages_per_cpu_s"] = delivered / cpu;   // of this thread's CPU time
  state.counters["allocs_per_message"] = static_cast<double>(allocations) / delivered;
}
// BB_SIM_BENCH_ITERATIONS=N runs exactly N iterations in one run (one warm-up): the same
// messages every time, for instruction counts (callgrind) that old and new builds share.
[[maybe_unused]] const auto* const kRegistered = [] {
  auto* b = benchmark::RegisterBenchmark("BM_SimGatedSendToRecv", BM_SimGatedSendToRecv)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
  const char* fixed = std::getenv("BB_SIM_BENCH_ITERATIONS");
  return fixed != nullptr && std::atoi(fixed) > 0 ? b->Iterations(std::atoi(fixed)) : b->MinTime(5.0);
}();

}  // namespace

BENCHMARK_MAIN();
