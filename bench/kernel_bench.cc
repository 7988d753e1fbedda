// ai.onnx kernel targets (bench/runtime_bench.sh prints them in make bench's table;
// docs/performance.md). Kernels are looked up in the registry at run time, as the
// loader does: a build without one reports "no kernel" instead of failing to link.
//
//   BM_MatMul/N, BM_Gemm/N   the registry's MatMul (opset 13) and Gemm (opset 13) on N×N
//                            floats, GFLOP/s of this thread's CPU time
//   BM_EigenProduct/N        the floor: the same product with Eigen called directly
//   BM_Add1M                 the registry's Add on two 1M-float tensors of one shape
//   BM_AddLoop1M             the floor: a plain C++ loop over the same arrays
//   BM_AddChain              Interval → a bench source writing a 4-float tensor → 1,000
//                            Add nodes (each adds a static 4-float initializer), through
//                            the engine's dispatch path: ns per Add and heap allocations
//                            per dispatch in steady state (this binary counts operator new)
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include <memory>
#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/tensor_proto.h"
#include "bb/runtime/transport.h"
#include "counting_new.h"
#include "cpu_time.h"
#include "graph_builder.h"

namespace {

namespace ir = bb::ir;
namespace runtime = bb::runtime;
using runtime::Tensor;
using runtime::Value;

// What a kernel sees of its node when called outside the engine.
class BenchServices final : public runtime::KernelServices, public runtime::NetworkServices {
 public:
  explicit BenchServices(runtime::Scheduler& scheduler)
      : KernelServices(scheduler, 0), NetworkServices(*bb::PeerId::identity("bench"), 1, runtime::NodeSettings{}, rng_) {}
  void fire(std::uint32_t) override {}
  void send_attempt(runtime::PendingId, runtime::PeerIndex, const bb::Envelope&) override {}
};

Tensor matrix(std::int64_t rows, std::int64_t cols, float scale) {
  Tensor t = Tensor::allocate(runtime::DType::kFloat, {rows, cols});
  float* p = t.mutable_data<float>();
  for (std::int64_t i = 0; i < rows * cols; ++i) p[i] = static_cast<float>(i % 17) * scale - 0.8f;
  return t;
}

// One ai.onnx kernel from the registry with its inputs, called directly.
class KernelCall {
 public:
  KernelCall(std::string_view op_type, int opset, std::vector<Tensor> inputs) : scheduler_(clock_), services_(scheduler_) {
    node_.set_op_type(std::string(op_type));
    node_.set_name("bench");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      node_.add_input("x" + std::to_string(i));
      inputs_.push_back(Value::tensor(std::move(inputs[i])));
    }
    node_.add_output("y");
    for (const auto& v : inputs_) pointers_.push_back(&v);
    const runtime::OpRegistration* reg = runtime::registry::find(ir::kOnnxDomain, op_type, opset);
    if (reg == nullptr) {
      error_ = "no kernel for 'ai.onnx::" + std::string(op_type) + "' at opset " + std::to_string(opset);
      return;
    }
    auto made = reg->factory(runtime::KernelInit{node_, 0, nullptr, services_, services_, opset});
    if (!made) {
      error_ = made.error();
      return;
    }
    kernel_ = std::move(*made);
  }
  const std::string& error() const { return error_; }
  bool run() {
    runtime::Invocation inv(pointers_.data(), static_cast<std::uint32_t>(pointers_.size()), &output_, 1, services_, services_, 0,
                            0, nullptr);
    const runtime::OpResult r = kernel_->compute(inv);
    if (r.status != runtime::Status::kOk) error_ = "the kernel failed: " + r.detail;
    return r.status == runtime::Status::kOk;
  }
  const Value& output() const { return output_; }

 private:
  runtime::VirtualClock clock_;
  runtime::Scheduler scheduler_;
  BenchServices services_;
  onnx::NodeProto node_;
  std::vector<Value> inputs_;
  std::vector<const Value*> pointers_;
  Value output_;
  std::unique_ptr<runtime::Kernel> kernel_;
  std::string error_;
};

void report_gflops(benchmark::State& state, double flops_per_iteration, double cpu) {
  state.counters["gflops"] = flops_per_iteration * static_cast<double>(state.iterations()) / cpu / 1e9;
}

void product_through_registry(benchmark::State& state, std::string_view op_type) {
  const std::int64_t n = state.range(0);
  KernelCall call(op_type, 13, {matrix(n, n, 0.1f), matrix(n, n, 0.05f)});
  if (!call.error().empty()) {
    state.SkipWithError(call.error().c_str());
    return;
  }
  if (!call.run()) {
    state.SkipWithError(call.error().c_str());
    return;
  }
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) {
    call.run();
    benchmark::DoNotOptimize(call.output().as_tensor().raw());
  }
  report_gflops(state, 2.0 * static_cast<double>(n * n * n), bb::bench::thread_cpu_seconds() - cpu_start);
}

void BM_MatMul(benchmark::State& state) { product_through_registry(state, "MatMul"); }
void BM_Gemm(benchmark::State& state) { product_through_registry(state, "Gemm"); }

void BM_EigenProduct(benchmark::State& state) {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::int64_t n = state.range(0);
  const Tensor a = matrix(n, n, 0.1f), b = matrix(n, n, 0.05f);
  Eigen::Map<const Matrix> ma(a.data<float>(), n, n), mb(b.data<float>(), n, n);
  Matrix c(n, n);
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) {
    c.noalias() = ma * mb;
    benchmark::DoNotOptimize(c.data());
  }
  report_gflops(state, 2.0 * static_cast<double>(n * n * n), bb::bench::thread_cpu_seconds() - cpu_start);
}

BENCHMARK(BM_MatMul)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_Gemm)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_EigenProduct)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->MinTime(0.5);

constexpr std::int64_t kMillion = 1 << 20;

void BM_Add1M(benchmark::State& state) {
  KernelCall call("Add", 14, {matrix(1, kMillion, 0.1f), matrix(1, kMillion, 0.2f)});
  if (!call.error().empty() || !call.run()) {
    state.SkipWithError(call.error().c_str());
    return;
  }
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) {
    call.run();
    benchmark::DoNotOptimize(call.output().as_tensor().raw());
  }
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  state.counters["ns_per_element"] = cpu * 1e9 / (static_cast<double>(state.iterations()) * kMillion);
}

void BM_AddLoop1M(benchmark::State& state) {
  const Tensor a = matrix(1, kMillion, 0.1f), b = matrix(1, kMillion, 0.2f);
  const float* x = a.data<float>();
  const float* y = b.data<float>();
  std::vector<float> out(kMillion);
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) {
    float* o = out.data();
    for (std::int64_t i = 0; i < kMillion; ++i) o[i] = x[i] + y[i];
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  state.counters["ns_per_element"] = cpu * 1e9 / (static_cast<double>(state.iterations()) * kMillion);
}

BENCHMARK(BM_Add1M)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_AddLoop1M)->Unit(benchmark::kMicrosecond)->MinTime(0.5);

// The chain's source: each firing writes the same 4-float tensor (a shared handle).
class FourFloats final : public runtime::Kernel {
 public:
  static bb::Expected<std::unique_ptr<FourFloats>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<FourFloats>();
  }
  runtime::OpResult compute(runtime::Invocation& inv) override {
    inv.out(0) = value_;
    return runtime::OpResult::ok();
  }

 private:
  Value value_ = Value::tensor(matrix(1, 4, 0.25f).reshaped({4}));
};
constexpr std::string_view kBenchDomain = "bench.bb";
const runtime::OpRegistrar kFourFloats{kBenchDomain, "FourFloats", ir::OpKind::kCompute,
                                       &runtime::make_kernel<FourFloats>};

onnx::ModelProto add_chain(int length) {
  bb::testing::GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  bb::testing::GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1);
  g.node(kBenchDomain, "FourFloats", "x", {"t"}, {"v0"});
  for (int i = 0; i < length; ++i) {
    const std::string in = "v" + std::to_string(i), out = "v" + std::to_string(i + 1);
    g.node(ir::kOnnxDomain, "Add", "add" + std::to_string(i), {in, "one"}, {out});
  }
  *g.raw().mutable_graph()->add_initializer() = runtime::to_proto(matrix(1, 4, 0.0f).reshaped({4}));
  g.raw().mutable_graph()->mutable_initializer(0)->set_name("one");
  auto* import = g.raw().add_opset_import();
  import->set_domain(std::string(kBenchDomain));
  import->set_version(1);
  return g.compiled();
}

void BM_AddChain(benchmark::State& state) {
  constexpr int kLength = 1000;
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  auto program = runtime::Program::build(add_chain(kLength), "add_chain.bb");
  if (!program) {
    state.SkipWithError(program.error().message.c_str());
    return;
  }
  runtime::NodeConfig config;
  config.peer = *bb::PeerId::identity("local");
  auto node = runtime::Node::create(*program, scheduler, std::move(config));
  if (!node) {
    state.SkipWithError(node.error().message.c_str());
    return;
  }
  (*node)->start();
  for (int i = 0; i < 50; ++i) scheduler.run_one();  // frames and pools reach their steady size
  const std::uint64_t dispatches_before = (*node)->metrics().dispatches;
  const std::uint64_t allocations_before = bb::testing::heap_allocations();
  const double cpu_start = bb::bench::thread_cpu_seconds();
  for (auto _ : state) scheduler.run_one();  // one firing: Interval, the source, 1,000 Adds
  const double cpu = bb::bench::thread_cpu_seconds() - cpu_start;
  const std::uint64_t allocations = bb::testing::heap_allocations() - allocations_before;
  const auto dispatches = static_cast<double>((*node)->metrics().dispatches - dispatches_before);
  if (dispatches != static_cast<double>(state.iterations()) * (kLength + 2))
    state.SkipWithError("the chain did not run to its end: an Add failed (bbrun it to see why)");
  state.counters["ns_per_node"] = cpu * 1e9 / dispatches;
  state.counters["allocs_per_dispatch"] = static_cast<double>(allocations) / dispatches;
}
BENCHMARK(BM_AddChain)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
