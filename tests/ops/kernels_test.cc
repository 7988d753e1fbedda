// Kernel behaviour through a node on the virtual clock.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "bb/ir/names.h"
#include "engine_harness.h"

namespace bb::testing {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Value;
constexpr std::int64_t kMs = runtime::kMillisecond;

std::vector<Value>& sink() {
  static std::vector<Value> values;
  return values;
}
class Sink final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Sink>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Sink>();
  }
  OpResult compute(Invocation& inv) override {
    for (std::uint32_t i = 0; i < inv.input_count(); ++i) sink().push_back(inv.in(i));
    return OpResult::ok();
  }
};
const runtime::OpRegistrar kSink{kTestDomain, "Sink", ir::OpKind::kEffect, &runtime::make_kernel<Sink>};

class Kernels : public ::testing::Test {
 protected:
  void SetUp() override { sink().clear(); }
};

runtime::Tensor floats(std::initializer_list<float> values, std::initializer_list<std::int64_t> dims) {
  runtime::Tensor t = runtime::Tensor::allocate(runtime::DType::kFloat, runtime::Shape(dims));
  std::copy(values.begin(), values.end(), t.mutable_data<float>());
  return t;
}

TEST_F(Kernels, IntervalFiresAtMultiplesOfPeriodAndHonoursCount) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 7);
  GraphBuilder::set_int(tick, ir::kAttrCount, 3);
  g.node(kTestDomain, "Sink", "s", {"t"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(sink().size(), 3u);
  EXPECT_EQ(sink()[0].as_int(), 0);
  EXPECT_EQ(sink()[1].as_int(), 7);
  EXPECT_EQ(sink()[2].as_int(), 14);
  EXPECT_EQ(sink()[2].kind(), runtime::ValueKind::kTimestamp);
}

TEST_F(Kernels, AfterFiresOnceAtTheDelayAndClockReadsNow) {
  GraphBuilder g;
  auto& after = g.syscall(ir::kAfter, "after", {}, {"t"});
  GraphBuilder::set_int(after, ir::kAttrDelayNs, 25);
  g.syscall(ir::kClock, "clock", {"t"}, {"now"});
  g.node(kTestDomain, "Sink", "s", {"now"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(sink().size(), 1u);
  EXPECT_EQ(sink()[0].as_int(), 25);
}

TEST_F(Kernels, ConstantKinds) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  auto& a = g.syscall(ir::kConstant, "a", {}, {"va"});
  GraphBuilder::set_string(a, ir::kAttrValueString, "hello");
  auto& b = g.syscall(ir::kConstant, "b", {}, {"vb"});
  GraphBuilder::set_string(b, ir::kAttrValueBytes, std::string("\0\1", 2));
  g.node(kTestDomain, "Sink", "s", {"t", "va", "vb"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(sink().size(), 3u);
  EXPECT_EQ(sink()[1].kind(), runtime::ValueKind::kString);
  EXPECT_EQ(sink()[1].as_bytes(), "hello");
  EXPECT_EQ(sink()[2].kind(), runtime::ValueKind::kBytes);
  EXPECT_EQ(sink()[2].as_bytes().size(), 2u);
}

TEST_F(Kernels, ConstantNeedsExactlyOneValue) {
  GraphBuilder g;
  auto& a = g.syscall(ir::kConstant, "a", {}, {"va"});
  GraphBuilder::set_string(a, ir::kAttrValueString, "x");
  GraphBuilder::set_int(a, ir::kAttrValueInt, 1);
  auto program = runtime::Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(program);
  runtime::VirtualClock clock;
  runtime::Scheduler s(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("x");
  auto node = runtime::Node::create(*program, s, config);
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("needs exactly one of"), std::string::npos);
}

TEST_F(Kernels, AggregateDirect) {
  GraphBuilder g;
  auto& agg = g.syscall(ir::kAggregate, "agg", {"x"}, {"m"});
  GraphBuilder::set_int(agg, ir::kAttrCount, 2);
  auto* in = g.raw().mutable_graph()->add_input();
  in->set_name("x");
  auto program = runtime::Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(program) << program.error().message;
  runtime::VirtualClock clock;
  runtime::Scheduler s(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("x");
  config.inputs = {{"x", Value::tensor(floats({0, 0}, {2}))}};  // every graph input needs a value
  auto node = runtime::Node::create(*program, s, config);
  ASSERT_TRUE(node) << node.error().message;
  // Drive the kernel through an Invocation.
  const auto& pn = (*program)->nodes()[0];
  auto made = pn.op->factory(runtime::KernelInit{*pn.proto, 0, pn.spec, **node, **node});
  ASSERT_TRUE(made);
  auto& kernel = **made;
  struct NoHooks final : Invocation::Hooks {
    runtime::PendingId defer(std::uint32_t) override { return 0; }
    void decide(std::uint32_t, Reason, const PeerId*) override {}
  } hooks;
  auto call = [&](const Value& v, Value& out) {
    const Value* ins[] = {&v};
    Invocation inv(ins, 1, &out, 1, **node, **node, 0, 1, nullptr);
    inv.hooks = &hooks;
    return kernel.compute(inv);
  };
  Value out;
  EXPECT_EQ(call(Value::tensor(floats({1, 3}, {2})), out).status, runtime::Status::kOk);
  EXPECT_FALSE(out.has_value());  // not yet a full round
  EXPECT_EQ(call(Value::tensor(floats({1, 2, 3}, {3})), out).reason, Reason::kShapeMismatch);
  EXPECT_EQ(call(Value::tensor(floats({3, 5}, {2})), out).status, runtime::Status::kOk);
  ASSERT_EQ(out.kind(), runtime::ValueKind::kTensor);
  EXPECT_EQ(out.as_tensor().data<float>()[0], 2.0f);
  EXPECT_EQ(out.as_tensor().data<float>()[1], 4.0f);
  EXPECT_EQ(call(Value::int64(1), out).reason, Reason::kBadInput);
}

TEST_F(Kernels, DynamicBackoffGateFiltersPeersInCooldown) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a", "id:b", "id:c"});
  auto& gate = g.syscall(ir::kBackoffGateTx, "gate", {"t", "ps"}, {"t2", "ps2"});
  GraphBuilder::set_int(gate, ir::kAttrDynamicPeers, 1);
  g.node(kTestDomain, "Sink", "s", {"t2", "ps2"}, {});
  Harness h(g.compiled());
  h.node().backoff().record_failure(*PeerId::identity("b"), 0);
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(sink().size(), 2u);
  ASSERT_EQ(sink()[1].as_peer_list().size(), 2u);
  EXPECT_EQ(sink()[1].as_peer_list()[0].to_text(), "id:a");
  EXPECT_EQ(sink()[1].as_peer_list()[1].to_text(), "id:c");
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.gates[1][0], 2u);
  EXPECT_EQ(m.gates[1][static_cast<int>(Reason::kCooldown)], 1u);
  bool traced = false;
  for (const auto& t : h.trace())
    if (t.event == "deny") traced = t.peer == "id:b" && t.reason == "cooldown";
  EXPECT_TRUE(traced);
}

TEST_F(Kernels, DynamicGateDeniesWhenNoPeerRemains) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a"});
  auto& gate = g.syscall(ir::kPeerHealthGateTx, "gate", {"t", "ps"}, {"t2", "ps2"});
  GraphBuilder::set_int(gate, ir::kAttrDynamicPeers, 1);
  g.node(kTestDomain, "Sink", "s", {"t2", "ps2"}, {});
  runtime::NodeConfig config;
  config.settings.governor.blocklist = {*PeerId::identity("a")};
  Harness h(g.compiled(), std::move(config));
  h.run(runtime::Scheduler::kForever);
  EXPECT_TRUE(sink().empty());
  EXPECT_EQ(h.node().report().metrics.gates[0][static_cast<int>(Reason::kBlocklisted)], 1u);
  EXPECT_EQ(h.node().report().metrics.skipped, 1u);
}

TEST_F(Kernels, SamplePeersDrawsKDistinctPeersFromTheSeed) {
  auto run = [](std::uint64_t seed) {
    sink().clear();
    GraphBuilder g;
    auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
    GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1);
    GraphBuilder::set_int(tick, ir::kAttrCount, 20);
    auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
    GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a", "id:b", "id:c", "id:d", "id:e", "id:f"});
    auto& sample = g.syscall(ir::kSamplePeers, "sample", {"ps", "t"}, {"chosen"});
    GraphBuilder::set_int(sample, ir::kAttrK, 3);
    g.node(kTestDomain, "Sink", "s", {"chosen"}, {});
    runtime::NodeConfig config;
    config.seed = seed;
    Harness h(g.compiled(), std::move(config));
    h.run(runtime::Scheduler::kForever);
    std::vector<std::string> draws;
    for (const auto& v : sink()) {
      std::string d;
      EXPECT_EQ(v.as_peer_list().size(), 3u);
      std::set<std::string> distinct;
      for (const auto& p : v.as_peer_list()) {
        d += p.to_text();
        distinct.insert(p.to_text());
      }
      EXPECT_EQ(distinct.size(), 3u);
      draws.push_back(d);
    }
    return draws;
  };
  const auto a = run(1);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_EQ(a, run(1));
  EXPECT_NE(a, run(2));
  EXPECT_GT(std::set<std::string>(a.begin(), a.end()).size(), 3u);  // redrawn per execution
}

TEST_F(Kernels, IncrMetricCountsPerName) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1);
  GraphBuilder::set_int(tick, ir::kAttrCount, 4);
  auto& m = g.syscall(ir::kIncrMetric, "m", {"t"}, {});
  GraphBuilder::set_string(m, ir::kAttrName, "ticks");
  GraphBuilder::set_int(m, ir::kAttrDelta, 3);
  auto& l = g.syscall(ir::kLog, "log", {"t"}, {});
  GraphBuilder::set_string(l, ir::kAttrLevel, "debug");
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  const auto metrics = h.node().report().metrics;
  ASSERT_EQ(metrics.counters.size(), 1u);
  EXPECT_EQ(metrics.counters[0].first, "ticks");
  EXPECT_EQ(metrics.counters[0].second, 12);
}

}  // namespace
}  // namespace bb::testing
