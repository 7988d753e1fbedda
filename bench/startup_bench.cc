// The "start-up" target of docs/performance.md measured in-process with Google Benchmark (bench/runtime_bench.sh
// makes the input and runs it; docs/performance.md):
//
//   BM_ProtobufParse  the floor: read the .bb and parse it into an onnx::ModelProto
//   BM_BbrunLoad      what bbrun does before its first event: Program::load (read, parse,
//                     passport and digest check, resolve every node, plan) and
//                     Node::create (one kernel per node, attributes parsed)
//
//   bb_startup_bench --graph=GRAPH.bb [benchmark flags]
//
// GRAPH.bb is a graph of bench/gen_graph.py compiled by bbc; its ai.onnx nodes (Relu,
// Add, Identity) resolve to the real kernels of bb::ops. Destruction of what was loaded
// is not timed (bbrun pays it at exit, not at start-up).
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bb/ir/model_io.h"
#include "bb/ir/passport.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"

namespace {

namespace ir = bb::ir;
namespace runtime = bb::runtime;

std::string g_graph;

void BM_ProtobufParse(benchmark::State& state) {
  for (auto _ : state) {
    std::unique_ptr<onnx::ModelProto> model;
    {
      auto bytes = ir::read_file(g_graph, ir::LoadLimits{}.max_file_bytes);
      if (!bytes) {
        state.SkipWithError(bytes.error().message.c_str());
        return;
      }
      auto parsed = ir::parse_model(*bytes, ir::ModelFormat::kBinary);
      if (!parsed) {
        state.SkipWithError(parsed.error().message.c_str());
        return;
      }
      model = std::make_unique<onnx::ModelProto>(std::move(*parsed));
    }
    benchmark::DoNotOptimize(model->graph().node_size());
    state.PauseTiming();
    model.reset();
    state.ResumeTiming();
  }
}

// One kernel per node of `program`, attributes parsed, its graph inputs given: the node
// bbrun would run.
// Null (and the benchmark marked as failed) when a kernel refuses its node.
std::unique_ptr<runtime::Node> create_node(const std::shared_ptr<const runtime::Program>& program,
                                           runtime::Scheduler& scheduler, benchmark::State& state) {
  runtime::NodeConfig config;
  config.peer = *bb::PeerId::identity("local");
  // A graph input needs a value before the node runs (gen_graph.py's `x`: float[4]).
  for (const auto& [name, slot] : program->graph_inputs())
    config.inputs.emplace_back(name, runtime::Value::tensor(runtime::Tensor::allocate(runtime::DType::kFloat, {4})));
  auto made = runtime::Node::create(program, scheduler, std::move(config));
  if (!made) {
    state.SkipWithError(made.error().message.c_str());
    return nullptr;
  }
  return std::move(*made);
}

// CPU time of every thread of the process, in ms.
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

void BM_BbrunLoad(benchmark::State& state) {
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  std::size_t nodes = 0;
  double cpu_ms = 0;
  for (auto _ : state) {
    std::shared_ptr<const runtime::Program> program;
    std::unique_ptr<runtime::Node> node;
    const double cpu_start = process_cpu_ms();
    {
      auto loaded = runtime::Program::load(g_graph);
      if (!loaded) {
        state.SkipWithError(loaded.error().message.c_str());
        return;
      }
      program = std::move(*loaded);
      node = create_node(program, scheduler, state);
      if (!node) return;
    }
    cpu_ms += process_cpu_ms() - cpu_start;
    nodes = program->nodes().size();
    state.PauseTiming();
    node.reset();
    program.reset();
    state.ResumeTiming();
  }
  state.counters["nodes"] = static_cast<double>(nodes);
  // The load's parser thread works beside the caller's: its real time is what bbrun
  // waits, this is what the load costs the machine.
  state.counters["cpu_ms_all_threads"] = cpu_ms / static_cast<double>(state.iterations());
}

// Where BM_BbrunLoad's time goes: the same steps one at a time (ms per load).
void BM_BbrunLoadStages(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  double parse = 0, digest = 0, plan = 0, kernels = 0;
  for (auto _ : state) {
    std::shared_ptr<const runtime::Program> program;
    std::unique_ptr<runtime::Node> node;
    {
      const auto t0 = Clock::now();
      auto model = ir::load_model(g_graph);
      if (!model) {
        state.SkipWithError(model.error().message.c_str());
        return;
      }
      const auto t1 = Clock::now();
      benchmark::DoNotOptimize(ir::graph_digest(*model));
      const auto t2 = Clock::now();
      runtime::LoadOptions options;
      options.verify_digest = false;
      auto built = runtime::Program::build(std::move(*model), g_graph, options);
      if (!built) {
        state.SkipWithError(built.error().message.c_str());
        return;
      }
      program = std::move(*built);
      const auto t3 = Clock::now();
      node = create_node(program, scheduler, state);
      if (!node) return;
      const auto t4 = Clock::now();
      const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
      parse += ms(t1 - t0);
      digest += ms(t2 - t1);
      plan += ms(t3 - t2);
      kernels += ms(t4 - t3);
    }
    state.PauseTiming();
    node.reset();
    program.reset();
    state.ResumeTiming();
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["read_parse_ms"] = parse / n;
  state.counters["digest_ms"] = digest / n;
  state.counters["resolve_plan_ms"] = plan / n;
  state.counters["kernels_ms"] = kernels / n;
}

// Real time: the load parses on a second thread while the caller plans (a thread's CPU
// time would leave that thread's work out).
BENCHMARK(BM_ProtobufParse)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_BbrunLoad)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_BbrunLoadStages)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--graph=", 8) == 0)
      g_graph = argv[i] + 8;
    else
      args.push_back(argv[i]);
  }
  if (g_graph.empty()) {
    std::fprintf(stderr, "usage: bb_startup_bench --graph=GRAPH.bb [benchmark flags]\n");
    return 2;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
