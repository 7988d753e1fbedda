// The runtime targets of docs/performance.md measured in-process with Google Benchmark
// (bench/runtime_bench.sh runs it and prints the table; docs/performance.md):
//
//   BM_DispatchPassThroughChain  a 1,000-node PassThrough chain driven by Interval on the
//                                virtual clock: ns per dispatched node and heap
//                                allocations per dispatch (this binary counts every
//                                operator new) in steady state.
//   BM_BackoffGateTxDecisions    BackoffGateTx decisions through the engine's dispatch
//                                path: a chain of 100,000 static BackoffGateTx nodes, each
//                                with its own 38-byte PeerId, every peer tracked by the
//                                backoff table (one failure, retry allowed), driven by
//                                Interval. Decisions per second of one core, and bytes per
//                                tracked peer (backoff table + interned PeerId bytes).
#include <benchmark/benchmark.h>


#include <memory>
#include <string>

#include "bb/ir/gates.h"
#include "bb/ir/names.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/transport.h"
#include "counting_new.h"
#include "cpu_time.h"
#include "graph_builder.h"


namespace {

using bb::testing::GraphBuilder;

namespace ir = bb::ir;
namespace runtime = bb::runtime;

// One node on the virtual clock with no transport.
struct Bench {
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler{clock};
  std::unique_ptr<runtime::Node> node;

  bool load(const onnx::ModelProto& model, benchmark::State& state) {
    auto program = runtime::Program::build(model, "bench.bb");
    if (!program) {
      state.SkipWithError(program.error().message.c_str());
      return false;
    }
    runtime::NodeConfig config;
    config.peer = *bb::PeerId::identity("local");
    auto made = runtime::Node::create(*program, scheduler, std::move(config));
    if (!made) {
      state.SkipWithError(made.error().message.c_str());
      return false;
    }
    node = std::move(*made);
    return true;
  }
};


void BM_DispatchPassThroughChain(benchmark::State& state) {
  constexpr int kLength = 1000;
  Bench b;
  if (!b.load(GraphBuilder::pass_through_chain(kLength), state)) return;
  b.node->start();
  for (int i = 0; i < 50; ++i) b.scheduler.run_one();  // frames, heaps and vectors reach their steady size
  const std::uint64_t dispatches_before = b.node->metrics().dispatches;
  const std::uint64_t allocations_before = bb::testing::heap_allocations();
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) b.scheduler.run_one();  // one Interval firing: 1 + 1,000 dispatches
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  const std::uint64_t allocations = bb::testing::heap_allocations() - allocations_before;
  const auto dispatches = static_cast<double>(b.node->metrics().dispatches - dispatches_before);
  state.counters["dispatches"] = dispatches;
  state.counters["ns_per_node"] = cpu * 1e9 / dispatches;  // of this thread's CPU time
  state.counters["allocs_per_dispatch"] = static_cast<double>(allocations) / dispatches;
}
BENCHMARK(BM_DispatchPassThroughChain)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// A 38-byte PeerId: identity multihash (0x00, 36) of a 36-byte digest.
std::string peer_bytes(int i) {
  std::string name = "peer-" + std::to_string(i);
  name.resize(36, '.');
  return bb::PeerId::identity(name)->bytes();
}

// Interval → BackoffGateTx(peer i) for i < peers, each gate forwarding to the next.
onnx::ModelProto backoff_gate_chain(int peers) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"v0"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, runtime::kMillisecond);
  for (int i = 0; i < peers; ++i) {
    const std::string in = "v" + std::to_string(i), out = "v" + std::to_string(i + 1);
    auto& gate = g.syscall(ir::kBackoffGateTx, "gate" + std::to_string(i), {in}, {out});
    GraphBuilder::set_string(gate, ir::kAttrPeer, peer_bytes(i));
  }
  return g.compiled();
}

void BM_BackoffGateTxDecisions(benchmark::State& state) {
  constexpr int kPeers = 100'000;
  Bench b;
  if (!b.load(backoff_gate_chain(kPeers), state)) return;
  if (bb::PeerId::identity(std::string(36, 'x'))->bytes().size() != 38) {
    state.SkipWithError("the PeerIds are not 38 bytes");
    return;
  }
  // Every gate's peer is tracked: one failure at t = 0, retry allowed from 10 ms on.
  runtime::PeerInterner& peers = b.node->peers();
  for (int i = 0; i < kPeers; ++i) {
    const runtime::PeerIndex id = peers.find(peer_bytes(i));
    if (id == runtime::kNoPeer) {
      state.SkipWithError("a gate's peer is not interned");
      return;
    }
    b.node->backoff().record_failure(id, 0);
  }
  if (b.node->backoff().tracked() != static_cast<std::size_t>(kPeers)) {
    state.SkipWithError("not every peer is tracked");
    return;
  }
  b.clock.advance_to(runtime::kSecond);
  b.node->start();
  const int gate = ir::gate_index(ir::Gate::kBackoffTx);
  auto decisions = [&] {
    std::uint64_t n = 0;
    for (auto count : b.node->metrics().gates[static_cast<std::size_t>(gate)]) n += count;
    return n;
  };
  b.scheduler.run_one();  // warm up
  const std::uint64_t before = decisions();
  const std::uint64_t allowed_before = b.node->metrics().gates[static_cast<std::size_t>(gate)][0];
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) b.scheduler.run_one();  // one tick: 100,000 gate dispatches
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  const auto made = static_cast<double>(decisions() - before);
  const auto allowed = static_cast<double>(b.node->metrics().gates[static_cast<std::size_t>(gate)][0] - allowed_before);
  state.counters["decisions"] = made;
  state.counters["allowed"] = allowed;
  state.counters["decisions_per_s"] = made / cpu;  // of this thread's CPU time: one core
  state.counters["tracked_peers"] = static_cast<double>(b.node->backoff().tracked());
  state.counters["bytes_per_peer"] =
      static_cast<double>(peers.memory_bytes() + b.node->backoff().memory_bytes()) /
      static_cast<double>(b.node->backoff().tracked());
}
BENCHMARK(BM_BackoffGateTxDecisions)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
