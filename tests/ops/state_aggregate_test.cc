// The ops federated learning is built from, through a node on the virtual clock:
// StateGet/StateSet (state across executions), Aggregate with weights, quorum and
// round timeout, Record (series in the metrics), and how the metrics report them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/ir/sha256.h"
#include "engine_harness.h"

namespace bb::testing {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Tensor;
using runtime::Value;
constexpr std::int64_t kMs = runtime::kMillisecond;

struct Seen {
  std::int64_t t_ns;
  Value value;
};
std::vector<Seen>& seen() {
  static std::vector<Seen> values;
  return values;
}
// Keeps its first input with the time (test domain).
class Keep final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Keep>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Keep>();
  }
  OpResult compute(Invocation& inv) override {
    seen().push_back({inv.now_ns(), inv.in(0)});
    return OpResult::ok();
  }
};
// A timestamp as a float tensor [2]: {t in ms, 1}: a distinct update per execution.
class Update final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Update>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Update>();
  }
  OpResult compute(Invocation& inv) override {
    Tensor t = Tensor::allocate(runtime::DType::kFloat, {2});
    t.mutable_data<float>()[0] = static_cast<float>(inv.in(0).as_int() / kMs);
    t.mutable_data<float>()[1] = 1.0f;
    inv.out(0) = Value::tensor(std::move(t));
    // The weight: 1 + t in ms (int64), so later updates weigh more.
    if (inv.output_count() > 1) inv.out(1) = Value::tensor(Tensor::scalar<std::int64_t>(1 + inv.in(0).as_int() / kMs));
    return OpResult::ok();
  }
};
const runtime::OpRegistrar kKeep{kTestDomain, "Keep", ir::OpKind::kEffect, &runtime::make_kernel<Keep>};
const runtime::OpRegistrar kUpdate{kTestDomain, "Update", ir::OpKind::kCompute, &runtime::make_kernel<Update>};

class FederatedOps : public ::testing::Test {
 protected:
  void SetUp() override { seen().clear(); }
};

std::int64_t counter(const runtime::Node& node, std::string_view name) {
  for (const auto& [n, v] : node.report().metrics.counters)
    if (n == name) return v;
  ADD_FAILURE() << "no counter " << name;
  return -1;
}

const runtime::Series* series(const runtime::NodeMetrics& m, std::string_view name) {
  for (const auto& s : m.series)
    if (s.name == name) return &s;
  return nullptr;
}

// ---- StateGet / StateSet -----------------------------------------------------------

TEST_F(FederatedOps, StateGetGivesTheInitialValueThenWhatStateSetStored) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 10 * kMs);
  GraphBuilder::set_int(tick, ir::kAttrCount, 3);
  auto& init = g.syscall(ir::kConstant, "init", {}, {"initial"});
  GraphBuilder::set_int(init, ir::kAttrValueInt, -1);
  auto& get = g.syscall(ir::kStateGet, "get", {"t", "initial"}, {"current"});
  GraphBuilder::set_string(get, ir::kAttrName, "s");
  g.node(kTestDomain, "Keep", "keep", {"current"}, {});
  auto& set = g.syscall(ir::kStateSet, "set", {"t"}, {"stored"});
  GraphBuilder::set_string(set, ir::kAttrName, "s");
  g.node(kTestDomain, "Keep", "after_set", {"stored"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  // Per tick: the value read (before this tick's set), then the set's trigger.
  ASSERT_EQ(seen().size(), 6u);
  EXPECT_EQ(seen()[0].value.kind(), runtime::ValueKind::kInt64);
  EXPECT_EQ(seen()[0].value.as_int(), -1);
  EXPECT_EQ(seen()[1].value.kind(), runtime::ValueKind::kTrigger);
  EXPECT_EQ(seen()[2].value.kind(), runtime::ValueKind::kTimestamp);
  EXPECT_EQ(seen()[2].value.as_int(), 0);  // tick 0's value, read at tick 1
  EXPECT_EQ(seen()[4].value.as_int(), 10 * kMs);
  const auto report = h.node().report();
  ASSERT_EQ(report.states.size(), 1u);
  EXPECT_EQ(report.states[0].name, "s");
  EXPECT_EQ(report.states[0].value, "timestamp 20ms");
  EXPECT_EQ(report.states[0].sha256, "");  // not a tensor
}

TEST_F(FederatedOps, StatesOfDifferentNamesAreSeparate) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  auto& a = g.syscall(ir::kStateSet, "set_a", {"t"}, {});
  GraphBuilder::set_string(a, ir::kAttrName, "a");
  auto& init = g.syscall(ir::kConstant, "init", {}, {"initial"});
  GraphBuilder::set_int(init, ir::kAttrValueInt, 7);
  auto& get = g.syscall(ir::kStateGet, "get_b", {"t", "initial"}, {"b"});
  GraphBuilder::set_string(get, ir::kAttrName, "b");
  g.node(kTestDomain, "Keep", "keep", {"b"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].value.as_int(), 7);
}

TEST_F(FederatedOps, StateGetWithoutInitialValueFailsUntilSet) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  auto& get = g.syscall(ir::kStateGet, "get", {"t", ""}, {"v"});
  GraphBuilder::set_string(get, ir::kAttrName, "s");
  g.node(kTestDomain, "Keep", "keep", {"v"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  EXPECT_TRUE(seen().empty());
  bool failed = false;
  for (const auto& line : h.trace())
    if (line.op == "get" && line.event == "fail") failed = line.reason == "bad_input";
  EXPECT_TRUE(failed);
}

TEST_F(FederatedOps, StateNeedsAName) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  g.syscall(ir::kStateSet, "set", {"t"}, {});
  auto program = runtime::Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(program);
  runtime::VirtualClock clock;
  runtime::Scheduler s(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("x");
  auto node = runtime::Node::create(*program, s, config);
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("'name' is required"), std::string::npos) << node.error().message;
}

// ---- Aggregate ---------------------------------------------------------------------

// Interval (period, count ticks) -> Update -> Aggregate -> Keep(result), Keep(heard).
onnx::ModelProto aggregate_graph(std::int64_t ticks, std::int64_t count, std::int64_t quorum, std::int64_t timeout_ns,
                                 bool weighted) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 10 * kMs);
  GraphBuilder::set_int(tick, ir::kAttrCount, ticks);
  if (weighted)
    g.node(kTestDomain, "Update", "update", {"t"}, {"u", "w"});
  else
    g.node(kTestDomain, "Update", "update", {"t"}, {"u"});
  auto& agg = weighted ? g.syscall(ir::kAggregate, "agg", {"u", "w"}, {"mean", "heard"})
                       : g.syscall(ir::kAggregate, "agg", {"u"}, {"mean", "heard"});
  GraphBuilder::set_int(agg, ir::kAttrCount, count);
  if (timeout_ns > 0) {
    GraphBuilder::set_int(agg, ir::kAttrQuorum, quorum);
    GraphBuilder::set_int(agg, ir::kAttrTimeoutNs, timeout_ns);
  }
  g.node(kTestDomain, "Keep", "keep_mean", {"mean"}, {});
  g.node(kTestDomain, "Keep", "keep_heard", {"heard"}, {});
  return g.compiled();
}

TEST_F(FederatedOps, AggregateClosesAFullRoundAtOnceAndCancelsItsTimer) {
  Harness h(aggregate_graph(4, 2, 1, 100 * kMs, false));
  h.run(runtime::Scheduler::kForever);
  // Rounds {0, 10} and {20, 30} ms: closed by their last update, never by a timer.
  ASSERT_EQ(seen().size(), 4u);
  EXPECT_EQ(seen()[0].t_ns, 10 * kMs);
  EXPECT_EQ(seen()[0].value.as_tensor().data<float>()[0], 5.0f);
  EXPECT_EQ(seen()[1].value.as_tensor().data<std::int64_t>()[0], 2);
  EXPECT_EQ(seen()[2].t_ns, 30 * kMs);
  EXPECT_EQ(seen()[2].value.as_tensor().data<float>()[0], 25.0f);
  EXPECT_EQ(counter(h.node(), "agg.rounds"), 2);
  EXPECT_EQ(counter(h.node(), "agg.rounds_timeout"), 0);
  EXPECT_EQ(counter(h.node(), "agg.updates"), 4);
  EXPECT_EQ(h.clock().now_ns(), 30 * kMs) << "no timer left behind";
}

TEST_F(FederatedOps, AggregateClosesAtTheTimeoutWithTheUpdatesItHas) {
  // count 5, quorum 2, timeout 25 ms from the first update (t = 0): updates at 0, 10, 20.
  Harness h(aggregate_graph(3, 5, 2, 25 * kMs, false));
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(seen().size(), 2u);
  EXPECT_EQ(seen()[0].t_ns, 25 * kMs);
  EXPECT_EQ(seen()[0].value.as_tensor().data<float>()[0], 10.0f);  // mean of 0, 10, 20
  EXPECT_EQ(seen()[1].value.as_tensor().data<std::int64_t>()[0], 3);
  EXPECT_EQ(counter(h.node(), "agg.rounds"), 1);
  EXPECT_EQ(counter(h.node(), "agg.rounds_timeout"), 1);
  EXPECT_EQ(counter(h.node(), "agg.rounds_dropped"), 0);
  const auto report = h.node().report();
  const auto* per_round = series(report.metrics, "agg.updates_per_round");
  ASSERT_NE(per_round, nullptr);
  ASSERT_EQ(per_round->points.size(), 1u);
  EXPECT_EQ(per_round->points[0].t_ns, 25 * kMs);
  EXPECT_EQ(per_round->points[0].value, 3.0);
  // The timer started an execution of its own: the Aggregate is its trigger.
  bool timer_frame = false;
  for (const auto& line : h.trace())
    if (line.op == "agg" && line.t_ns == 25 * kMs && line.event == "fire") timer_frame = true;
  EXPECT_TRUE(timer_frame);
}

TEST_F(FederatedOps, AggregateDropsARoundBelowQuorumAtTheTimeout) {
  // Updates at 0 and 10 ms, quorum 3, timeout 15 ms: dropped at 15 ms; the update at
  // 20 ms opens a new round that times out alone at 35 ms and is dropped too.
  Harness h(aggregate_graph(3, 5, 3, 15 * kMs, false));
  h.run(runtime::Scheduler::kForever);
  EXPECT_TRUE(seen().empty());
  EXPECT_EQ(counter(h.node(), "agg.rounds"), 0);
  EXPECT_EQ(counter(h.node(), "agg.rounds_dropped"), 2);
  EXPECT_EQ(counter(h.node(), "agg.updates"), 3);
  EXPECT_EQ(h.clock().now_ns(), 35 * kMs);
}

TEST_F(FederatedOps, AggregateWeightsUpdatesByTheirCount) {
  // Updates {0, 1}, {10, 1}, {20, 1} with weights 1, 11, 21: Σwx / Σw.
  Harness h(aggregate_graph(3, 3, 1, 0, true));
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(seen().size(), 2u);
  const float* mean = seen()[0].value.as_tensor().data<float>();
  EXPECT_FLOAT_EQ(mean[0], static_cast<float>((0.0 * 1 + 10.0 * 11 + 20.0 * 21) / 33.0));
  EXPECT_FLOAT_EQ(mean[1], 1.0f);
}

TEST_F(FederatedOps, AggregateAttributesAreChecked) {
  auto error = [](std::int64_t count, std::int64_t quorum, std::int64_t timeout, bool quorum_only) {
    GraphBuilder g;
    auto& agg = g.syscall(ir::kAggregate, "agg", {"x"}, {"m"});
    GraphBuilder::set_int(agg, ir::kAttrCount, count);
    if (quorum_only || timeout != 0) GraphBuilder::set_int(agg, ir::kAttrQuorum, quorum);
    if (!quorum_only) GraphBuilder::set_int(agg, ir::kAttrTimeoutNs, timeout);
    auto* in = g.raw().mutable_graph()->add_input();
    in->set_name("x");
    auto program = runtime::Program::build(g.compiled(), "g.bb");
    EXPECT_TRUE(program);
    runtime::VirtualClock clock;
    runtime::Scheduler s(clock);
    runtime::NodeConfig config;
    config.peer = *PeerId::identity("x");
    config.inputs = {{"x", runtime::Value::tensor(runtime::Tensor::zeros(runtime::DType::kFloat, {1}))}};
    auto node = runtime::Node::create(*program, s, config);
    return node ? std::string() : node.error().message;
  };
  EXPECT_NE(error(3, 4, 10, false).find("'quorum' = 4 is out of range [1, count = 3]"), std::string::npos);
  EXPECT_NE(error(3, 0, 10, false).find("out of range"), std::string::npos);
  // The range is the op table's (the loader checks it as bbc does): at least 1.
  EXPECT_NE(error(3, 2, -5, false).find("'timeout_ns' = -5 is out of range: it must be at least 1"), std::string::npos);
  EXPECT_NE(error(3, 2, 0, true).find("'quorum' needs 'timeout_ns'"), std::string::npos);
  EXPECT_EQ(error(3, 2, 10, false), "");
}

TEST_F(FederatedOps, AggregateDeniesABadWeight) {
  GraphBuilder g;
  auto& agg = g.syscall(ir::kAggregate, "agg", {"x", "w"}, {"m"});
  GraphBuilder::set_int(agg, ir::kAttrCount, 2);
  for (const char* name : {"x", "w"}) g.raw().mutable_graph()->add_input()->set_name(name);
  auto program = runtime::Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(program) << program.error().message;
  runtime::VirtualClock clock;
  runtime::Scheduler s(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("x");
  for (const char* name : {"x", "w"})  // graph inputs need values to load
    config.inputs.emplace_back(name, runtime::Value::tensor(runtime::Tensor::zeros(runtime::DType::kFloat, {1})));
  auto node = runtime::Node::create(*program, s, config);
  ASSERT_TRUE(node) << node.error().message;
  const auto& pn = (*program)->nodes()[0];
  auto made = pn.op->factory(runtime::KernelInit{*pn.proto, 0, pn.spec, **node, **node});
  ASSERT_TRUE(made);
  struct NoHooks final : Invocation::Hooks {
    runtime::PendingId defer(std::uint32_t) override { return 0; }
    void decide(std::uint32_t, runtime::Reason, const PeerId*) override {}
  } hooks;
  auto call = [&](const Value& x, const Value& w) {
    const Value* ins[] = {&x, &w};
    Value out;
    Invocation inv(ins, 2, &out, 1, **node, **node, 0, 1, nullptr);
    inv.hooks = &hooks;
    return (*made)->compute(inv).reason;
  };
  const Value x = Value::tensor(Tensor::scalar<float>(1.0f));
  EXPECT_EQ(call(x, Value::tensor(Tensor::scalar<float>(0.0f))), runtime::Reason::kInvalidValue);
  EXPECT_EQ(call(x, Value::tensor(Tensor::scalar<float>(-2.0f))), runtime::Reason::kInvalidValue);
  EXPECT_EQ(call(x, Value::tensor(Tensor::scalar<float>(std::numeric_limits<float>::infinity()))),
            runtime::Reason::kInvalidValue);
  EXPECT_EQ(call(x, Value::tensor(Tensor::zeros(runtime::DType::kFloat, {2}))), runtime::Reason::kInvalidValue);
  EXPECT_EQ(call(x, Value::int64(3)), runtime::Reason::kInvalidValue);
  EXPECT_EQ(call(x, Value::tensor(Tensor::scalar<std::int32_t>(4))), runtime::Reason::kNone);
}

// ---- Record and the metrics -----------------------------------------------------------

TEST_F(FederatedOps, RecordAppendsPointsAndTheMetricsCarrySeriesAndStates) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 10 * kMs);
  GraphBuilder::set_int(tick, ir::kAttrCount, 2);
  g.node(kTestDomain, "Update", "update", {"t"}, {"u", "w"});
  auto& rec = g.syscall(ir::kRecord, "rec", {"w"}, {});
  GraphBuilder::set_string(rec, ir::kAttrName, "weight");
  auto& set = g.syscall(ir::kStateSet, "keep", {"u"}, {});
  GraphBuilder::set_string(set, ir::kAttrName, "model");
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  const auto report = h.node().report();
  const auto* weight = series(report.metrics, "weight");
  ASSERT_NE(weight, nullptr);
  ASSERT_EQ(weight->points.size(), 2u);
  EXPECT_EQ(weight->points[0].t_ns, 0);
  EXPECT_EQ(weight->points[0].value, 1.0);
  EXPECT_EQ(weight->points[1].t_ns, 10 * kMs);
  EXPECT_EQ(weight->points[1].value, 11.0);
  ASSERT_EQ(report.states.size(), 1u);
  EXPECT_EQ(report.states[0].value, "tensor float[2]");
  const float last[2] = {10.0f, 1.0f};
  EXPECT_EQ(report.states[0].sha256, sha256_hex(std::string_view(reinterpret_cast<const char*>(last), sizeof last)));
  const std::string json = runtime::metrics_json(std::span(&report, 1), nullptr, "");
  EXPECT_NE(json.find("\"series\": {\n        \"weight\": [[0, 1], [10000000, 11]]\n      }"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"states\": {\"model\": {\"value\": \"tensor float[2]\", \"sha256\": \"" +
                      report.states[0].sha256 + "\"}}"),
            std::string::npos)
      << json;
  const std::string text = runtime::summary_text(std::span(&report, 1), nullptr);
  EXPECT_NE(text.find("  series weight: 2 point(s), last 11 at 10ms\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  state model: tensor float[2], sha256 " + report.states[0].sha256), std::string::npos) << text;
}

TEST_F(FederatedOps, MergedMetricsConcatenateSeriesInOrder) {
  runtime::NodeMetrics a, b;
  a.series.push_back({"acc", {{1, 0.5}}});
  b.series.push_back({"acc", {{5, 0.75}}});
  b.series.push_back({"other", {{6, 1}}});
  a.merge(b);
  ASSERT_EQ(a.series.size(), 2u);
  ASSERT_EQ(a.series[0].points.size(), 2u);
  EXPECT_EQ(a.series[0].points[1].value, 0.75);
  EXPECT_EQ(a.series[1].name, "other");
}

}  // namespace
}  // namespace bb::testing
