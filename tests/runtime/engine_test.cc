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

// ---- Test kernels --------------------------------------------------------------------

std::map<std::string, std::vector<Value>>& captured() {
  static std::map<std::string, std::vector<Value>> values;
  return values;
}

class Capture final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Capture>, std::string> create(const runtime::KernelInit& init) {
    return std::make_unique<Capture>(init.node.name());
  }
  explicit Capture(std::string name) : name_(std::move(name)) {}
  OpResult compute(Invocation& inv) override {
    for (std::uint32_t i = 0; i < inv.input_count(); ++i) captured()[name_].push_back(inv.in(i));
    return OpResult::ok();
  }

 private:
  std::string name_;
};

class FailOp final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<FailOp>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<FailOp>();
  }
  OpResult compute(Invocation&) override { return OpResult::fail(Reason::kBadInput, "always fails"); }
};

const runtime::OpRegistrar kCapture{kTestDomain, "Capture", ir::OpKind::kEffect, &runtime::make_kernel<Capture>};
const runtime::OpRegistrar kFail{kTestDomain, "Fail", ir::OpKind::kCompute, &runtime::make_kernel<FailOp>};

// Release after last use: MakeTensor writes a fresh tensor; Hold keeps a second handle
// on its buffer; Probe records whether Hold's handle is the buffer's only one by then
// (the engine dropped the value after its last reader).
std::vector<runtime::Tensor>& held() {
  static std::vector<runtime::Tensor> tensors;
  return tensors;
}
std::vector<bool>& probed() {
  static std::vector<bool> unique;
  return unique;
}
class MakeTensor final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<MakeTensor>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<MakeTensor>();
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::tensor(runtime::Tensor::zeros(runtime::DType::kFloat, {1024}));
    return OpResult::ok();
  }
};
class Hold final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Hold>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Hold>();
  }
  OpResult compute(Invocation& inv) override {
    held().push_back(inv.in(0).as_tensor());
    inv.out(0) = Value::trigger();
    return OpResult::ok();
  }
};
class Probe final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Probe>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Probe>();
  }
  OpResult compute(Invocation&) override {
    probed().push_back(!held().empty() && held().back().unique());
    return OpResult::ok();
  }
};

const runtime::OpRegistrar kMakeTensor{kTestDomain, "MakeTensor", ir::OpKind::kCompute, &runtime::make_kernel<MakeTensor>};
const runtime::OpRegistrar kHold{kTestDomain, "Hold", ir::OpKind::kCompute, &runtime::make_kernel<Hold>};
const runtime::OpRegistrar kProbe{kTestDomain, "Probe", ir::OpKind::kEffect, &runtime::make_kernel<Probe>};

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    captured().clear();
    held().clear();
    probed().clear();
  }
};

// ---- Release after last use ------------------------------------------------------------------

// MakeTensor → v → Hold → h → Probe, in a frame (after a Pulse) or in the static run.
GraphBuilder hold_graph(bool in_frame, bool v_is_output) {
  GraphBuilder g;
  if (in_frame) {
    g.syscall(ir::kPulse, "pulse", {}, {"t"});
    g.node(kTestDomain, "MakeTensor", "make", {"t"}, {"v"});
  } else {
    g.node(kTestDomain, "MakeTensor", "make", {}, {"v"});
  }
  g.node(kTestDomain, "Hold", "hold", {"v"}, {"h"});
  g.node(kTestDomain, "Probe", "probe", {"h"}, {});
  if (v_is_output) g.raw().mutable_graph()->add_output()->set_name("v");
  return g;
}

TEST_F(Engine, AFrameDropsAValueAfterItsLastReader) {
  Harness h(hold_graph(true, false).compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(probed().size(), 1u);
  EXPECT_TRUE(probed()[0]) << "the frame still held 'v' after its only reader ran";
}

TEST_F(Engine, TheStaticRunDropsAValueAfterItsLastReader) {
  Harness h(hold_graph(false, false).compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(probed().size(), 1u);
  EXPECT_TRUE(probed()[0]) << "the static run still held 'v' after its only reader ran";
}

TEST_F(Engine, GraphOutputsAreKeptAndReadableAfterTheRun) {
  for (const bool in_frame : {true, false}) {
    probed().clear();
    Harness h(hold_graph(in_frame, true).compiled());
    h.run(runtime::Scheduler::kForever);
    ASSERT_EQ(probed().size(), 1u);
    EXPECT_FALSE(probed()[0]) << (in_frame ? "frame" : "static run");
    const Value& v = h.node().output(0);
    ASSERT_EQ(v.kind(), runtime::ValueKind::kTensor);
    EXPECT_EQ(v.as_tensor().size(), 1024);
  }
}

// ---- Readiness and branches ----------------------------------------------------------------

TEST_F(Engine, NodeFiresWhenAllInputsHaveValuesIncludingStaticOnes) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  auto& c = g.syscall(ir::kConstant, "const", {}, {"k"});
  GraphBuilder::set_int(c, ir::kAttrValueInt, 42);
  g.syscall(ir::kTee, "tee", {"t"}, {"a", "b"});
  g.node(kTestDomain, "Capture", "both", {"a", "k", "b"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(captured()["both"].size(), 3u);  // fired once, with three values
  EXPECT_EQ(captured()["both"][1].kind(), runtime::ValueKind::kInt64);
  EXPECT_EQ(captured()["both"][1].as_int(), 42);
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.executions, 1u);
  EXPECT_EQ(m.dispatches, 4u);  // const (static), pulse, tee, capture
}

TEST_F(Engine, NodeJoiningTwoSourcesNeverFires) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p1", {}, {"t1"});
  auto& a = g.syscall(ir::kAfter, "p2", {}, {"t2"});
  GraphBuilder::set_int(a, ir::kAttrDelayNs, 5);
  g.node(kTestDomain, "Capture", "join", {"t1", "t2"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  EXPECT_TRUE(captured()["join"].empty());
  EXPECT_EQ(h.node().report().metrics.executions, 2u);
  EXPECT_EQ(h.node().report().metrics.skipped, 0u);  // nothing failed
}

TEST_F(Engine, FailedNodeStopsOnlyItsBranch) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.syscall(ir::kTee, "tee", {"t"}, {"a", "b"});
  g.node(kTestDomain, "Fail", "bad", {"a"}, {"a2"});
  g.syscall(ir::kPassThrough, "after_bad", {"a2"}, {"a3"});
  g.node(kTestDomain, "Capture", "capture_a", {"a3"}, {});
  g.syscall(ir::kPassThrough, "sibling", {"b"}, {"b2"});
  g.node(kTestDomain, "Capture", "capture_b", {"b2"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  EXPECT_TRUE(captured()["capture_a"].empty());
  EXPECT_EQ(captured()["capture_b"].size(), 1u);
  EXPECT_EQ(h.node().report().metrics.skipped, 2u);  // after_bad and capture_a, transitively
  bool saw_fail = false;
  for (const auto& t : h.trace())
    if (t.op == "bad") {
      EXPECT_EQ(t.event, "fail");
      EXPECT_EQ(t.reason, "bad_input");
      saw_fail = true;
    }
  EXPECT_TRUE(saw_fail);
}

TEST_F(Engine, ReadyNodesRunInNodeIndexOrder) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.syscall(ir::kTee, "tee", {"t"}, {"a", "b", "c"});
  g.syscall(ir::kPassThrough, "x2", {"c"}, {"c2"});
  g.syscall(ir::kPassThrough, "x0", {"a"}, {"a2"});
  g.syscall(ir::kPassThrough, "x1", {"b"}, {"b2"});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  std::vector<std::string> order;
  for (const auto& t : h.trace()) order.push_back(t.op);
  EXPECT_EQ(order, (std::vector<std::string>{"pulse", "tee", "x2", "x0", "x1"}));
}

// Fan-outs narrow and wide (the ready set is kept sorted while small, as a heap beyond):
// a tee feeds `width` chains of two PassThroughs added in a shuffled order, so nodes
// become ready while others wait, and every run takes the smallest ready index, as a
// model of the ready set says.
TEST_F(Engine, ReadyNodesRunInNodeIndexOrderAtEveryWidth) {
  for (const std::size_t width : {2u, 5u, 9u, 40u}) {
    SCOPED_TRACE(width);
    GraphBuilder g;
    g.syscall(ir::kPulse, "pulse", {}, {"t"});
    auto& tee = g.syscall(ir::kTee, "tee", {"t"}, {});
    for (std::size_t i = 0; i < width; ++i) tee.add_output("o" + std::to_string(i));
    // Nodes 2, 3, …: the chains' first PassThroughs in a shuffled order (7 is prime to
    // every width), each chain's second one two places after its first.
    const auto x = [](std::size_t i) { return "x" + std::to_string(i); };
    const auto y = [](std::size_t i) { return "y" + std::to_string(i); };
    std::vector<std::size_t> perm;
    for (std::size_t i = 0; i < width; ++i) perm.push_back(i * 7 % width);
    std::vector<std::pair<std::string, std::string>> all;  // name, input
    for (std::size_t k = 0; k < width; ++k) {
      all.emplace_back(x(perm[k]), "o" + std::to_string(perm[k]));
      if (k >= 2) all.emplace_back(y(perm[k - 2]), x(perm[k - 2]) + ".out");
    }
    for (std::size_t k = width - 2; k < width; ++k) all.emplace_back(y(perm[k]), x(perm[k]) + ".out");
    for (const auto& [name, input] : all) g.syscall(ir::kPassThrough, name, {input}, {name + ".out"});
    // The model: indices 0 (pulse), 1 (tee), then `all` in order; run the smallest ready.
    std::map<std::string, std::size_t> index;
    for (std::size_t k = 0; k < all.size(); ++k) index[all[k].first] = k + 2;
    std::set<std::size_t> ready;
    for (const auto& [name, input] : all)
      if (input[0] == 'o') ready.insert(index[name]);
    std::vector<std::string> expected{"pulse", "tee"};
    while (!ready.empty()) {
      const std::size_t next = *ready.begin();
      ready.erase(ready.begin());
      const std::string& name = all[next - 2].first;
      expected.push_back(name);
      if (name[0] == 'x') ready.insert(index["y" + name.substr(1)]);
    }
    ASSERT_EQ(expected.size(), 2 + 2 * width);
    Harness h(g.compiled());
    h.run(runtime::Scheduler::kForever);
    std::vector<std::string> order;
    for (const auto& t : h.trace()) order.push_back(t.op);
    EXPECT_EQ(order, expected);
  }
}

// ---- The seed's contract: BackoffGateTx ----------------------------------------------------

TEST_F(Engine, BackoffGateForwardsInputsUnchangedWhenPeerMayBeTried) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  auto& c = g.syscall(ir::kConstant, "payload", {}, {"k"});
  auto* attr = c.add_attribute();
  attr->set_name(std::string(ir::kAttrValue));
  attr->set_type(onnx::AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  attr->mutable_t()->add_dims(2);
  attr->mutable_t()->add_float_data(1.5f);
  attr->mutable_t()->add_float_data(2.5f);
  auto& gate = g.syscall(ir::kBackoffGateTx, "gate", {"t", "k"}, {"t2", "k2"});
  GraphBuilder::set_string(gate, ir::kAttrPeer, GraphBuilder::peer_bytes("bob"));
  g.node(kTestDomain, "Capture", "out", {"t2", "k2"}, {});
  Harness h(g.compiled());
  h.run(runtime::Scheduler::kForever);
  ASSERT_EQ(captured()["out"].size(), 2u);
  EXPECT_EQ(captured()["out"][0].kind(), runtime::ValueKind::kTrigger);
  ASSERT_EQ(captured()["out"][1].kind(), runtime::ValueKind::kTensor);
  EXPECT_EQ(captured()["out"][1].as_tensor().data<float>()[1], 2.5f);
  EXPECT_EQ(h.node().report().metrics.gates[1][0], 1u);  // BackoffGateTx allowed
}

TEST_F(Engine, BackoffGateDeniesWithCooldownAndSendDoesNotRun) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.gated_send("send0", "t", "bob");
  runtime::NodeConfig config;
  Harness h(g.compiled(), std::move(config));
  // bob failed just now: in cooldown for 10 ms.
  h.node().backoff().record_failure(*PeerId::identity("bob"), 0);
  h.run(runtime::Scheduler::kForever);
  const auto trace = h.trace();
  bool denied = false;
  for (const auto& t : trace) {
    EXPECT_NE(t.op_type, ir::kSend) << "the Send's branch must not run";
    if (t.op_type == ir::kBackoffGateTx) {
      EXPECT_EQ(t.event, "deny");
      EXPECT_EQ(t.reason, "cooldown");
      EXPECT_EQ(t.peer, "id:bob");
      denied = true;
    }
  }
  EXPECT_TRUE(denied);
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.gates[1][static_cast<int>(Reason::kCooldown)], 1u);
  EXPECT_EQ(m.skipped, 1u);
  EXPECT_EQ(m.attempts[1], 0u);
}

TEST_F(Engine, IntervalSendBacksOffOnTheSchedule) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1 * kMs);
  g.gated_send("send0", "t", "bob");
  Harness h(g.compiled());
  h.run(1000 * kMs);
  std::vector<std::int64_t> attempts;
  std::size_t cooldowns = 0;
  for (const auto& t : h.trace()) {
    if (t.event == "attempt") attempts.push_back(t.t_ns);
    if (t.event == "deny") {
      EXPECT_EQ(t.reason, "cooldown");
      ++cooldowns;
    }
    if (t.event == "outcome") {
      EXPECT_EQ(t.outcome, "unreachable");
    }
  }
  EXPECT_EQ(attempts, (std::vector<std::int64_t>{0, 10 * kMs, 30 * kMs, 70 * kMs, 150 * kMs, 310 * kMs, 630 * kMs}));
  EXPECT_EQ(cooldowns, 1000u - 7u);
  const auto report = h.node().report();
  EXPECT_EQ(report.metrics.executions, 1000u);
  EXPECT_EQ(report.metrics.attempts[1], 7u);  // unreachable
  EXPECT_EQ(report.metrics.gates[0][0], 1000u);  // health gate: all allowed
  ASSERT_EQ(report.peers.size(), 1u);
  EXPECT_EQ(report.peers[0].peer, "id:bob");
  EXPECT_EQ(report.peers[0].failures, 7u);
  EXPECT_EQ(report.peers[0].next_retry_ns, 1270 * kMs);
  EXPECT_TRUE(report.peers[0].down);  // past the threshold of 5
}

// ---- Pending completions ----------------------------------------------------------------------

// Delivers every attempt 5 ms later.
class LaterTransport final : public runtime::Transport {
 public:
  LaterTransport(runtime::Scheduler& s, runtime::TransportEndpoint& e) : s_(s), e_(e) {}
  void send(runtime::AttemptId id, const bb::Envelope& env) override {
    sent.push_back(env);
    s_.after(5 * kMs, runtime::EventClass::kNetwork,
             [this, id] { e_.on_outcome(id, runtime::Outcome{runtime::OutcomeKind::kDelivered}); });
  }
  std::vector<bb::Envelope> sent;

 private:
  runtime::Scheduler& s_;
  runtime::TransportEndpoint& e_;
};

TEST_F(Engine, FrameWaitsForPendingSendAndContinuesOnDelivery) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a", "id:b"});
  auto& send = g.node(ir::kWireDomain, ir::kSend, "send", {"t", "ps"}, {"done"});
  GraphBuilder::set_string(send, ir::kAttrChannel, "ch");
  g.syscall(ir::kClock, "when", {"done"}, {"w"});
  g.node(kTestDomain, "Capture", "after", {"w"}, {});
  Harness h(g.compiled());
  LaterTransport transport(h.scheduler(), h.node());
  h.node().attach(transport);
  h.node().start();
  h.scheduler().run(1);
  EXPECT_EQ(h.node().live_frames(), 1u);  // waiting for the outcomes
  EXPECT_EQ(h.node().in_flight_attempts(), 2u);
  h.scheduler().run();
  EXPECT_EQ(h.node().live_frames(), 0u);
  ASSERT_EQ(captured()["after"].size(), 1u);
  EXPECT_EQ(captured()["after"][0].as_int(), 5 * kMs);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[0].dst_peer(), GraphBuilder::peer_bytes("a"));
  EXPECT_EQ(transport.sent[1].dst_peer(), GraphBuilder::peer_bytes("b"));
  EXPECT_EQ(transport.sent[0].src_peer(), GraphBuilder::peer_bytes("local"));
  EXPECT_EQ(transport.sent[0].channel(), "ch");
  EXPECT_EQ(transport.sent[0].schema_version(), 1u);
  EXPECT_NE(transport.sent[0].message_id(), transport.sent[1].message_id());
  ASSERT_EQ(transport.sent[0].payload_size(), 1);
  EXPECT_TRUE(transport.sent[0].payload(0).has_trigger());
  EXPECT_EQ(h.node().report().metrics.attempts[0], 2u);  // delivered
}

// Answers each attempt with the next outcome of a script, 1 ms later.
class ScriptedTransport final : public runtime::Transport {
 public:
  ScriptedTransport(runtime::Scheduler& s, runtime::TransportEndpoint& e, std::vector<runtime::Outcome> script)
      : s_(s), e_(e), script_(std::move(script)) {}
  void send(runtime::AttemptId id, const bb::Envelope&) override {
    const runtime::Outcome o = script_[next_++ % script_.size()];
    s_.after(1 * kMs, runtime::EventClass::kNetwork, [this, id, o] { e_.on_outcome(id, o); });
  }

 private:
  runtime::Scheduler& s_;
  runtime::TransportEndpoint& e_;
  std::vector<runtime::Outcome> script_;
  std::size_t next_ = 0;
};

// docs/wire.md: delivered → record_success + health reset; failed → record_failure + a
// health failure; advised → record_remote_advisory (no health change).
TEST_F(Engine, OutcomesFeedTheBackoffTableAndTheGovernor) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 100 * kMs);
  g.gated_send("send0", "t", "bob");
  runtime::NodeConfig config;
  config.settings.governor.threshold = 2;
  Harness h(g.compiled(), std::move(config));
  using K = runtime::OutcomeKind;
  ScriptedTransport transport(h.scheduler(), h.node(),
                              {{K::kTimeout}, {K::kRejected}, {K::kDelivered}, {K::kAdvised, 250 * kMs}, {K::kUnreachable}});
  h.node().attach(transport);
  const PeerId bob = *PeerId::identity("bob");
  h.node().start();
  auto state_at = [&](std::int64_t t) {
    h.scheduler().run(t);
    return h.node().backoff().state(bob);
  };
  auto s = state_at(50 * kMs);  // timeout at 1 ms: failure 1, retry at 11 ms
  ASSERT_TRUE(s);
  EXPECT_EQ(s->failures, 1u);
  EXPECT_EQ(s->next_retry_ns, 11 * kMs);
  EXPECT_FALSE(h.node().report().peers[0].down);
  s = state_at(150 * kMs);  // rejected at 101 ms: failure 2 (20 ms), down at the threshold of 2
  EXPECT_EQ(s->failures, 2u);
  EXPECT_EQ(s->next_retry_ns, 121 * kMs);
  EXPECT_TRUE(h.node().report().peers[0].down);
  s = state_at(250 * kMs);  // delivered at 201 ms: cleared, health reset
  EXPECT_FALSE(s.has_value());
  EXPECT_TRUE(h.node().report().peers.empty());
  s = state_at(350 * kMs);  // advised(250 ms) at 301 ms: hold until 551 ms, an attempt counted
  ASSERT_TRUE(s);
  EXPECT_EQ(s->next_retry_ns, 551 * kMs);
  EXPECT_EQ(s->failures, 1u);
  EXPECT_FALSE(h.node().report().peers[0].down) << "an advisory is not a health failure";
  h.scheduler().run(560 * kMs);  // ticks at 400 and 500 held; 600 not yet
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.gates[1][static_cast<int>(Reason::kCooldown)], 2u);
  EXPECT_EQ(m.attempts[static_cast<int>(K::kAdvised)], 1u);
  EXPECT_EQ(m.attempts[static_cast<int>(K::kDelivered)], 1u);
  EXPECT_EQ(m.attempts[static_cast<int>(K::kTimeout)], 1u);
  EXPECT_EQ(m.attempts[static_cast<int>(K::kRejected)], 1u);
}

// ---- Frames are recycled ------------------------------------------------------------------------

TEST_F(Engine, FramesDoNotGrowOverAMillionExecutions) {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1);
  g.syscall(ir::kPassThrough, "p1", {"t"}, {"t1"});
  g.syscall(ir::kPassThrough, "p2", {"t1"}, {"t2"});
  runtime::NodeConfig config;
  config.max_executions = 1'000'000;
  Harness h(g.compiled(), std::move(config), /*trace=*/false);
  h.node().start();
  while (!h.node().done() && h.scheduler().run_one()) {
  }
  EXPECT_EQ(h.node().report().metrics.executions, 1'000'000u);
  EXPECT_EQ(h.node().report().metrics.dispatches, 3'000'000u);
  EXPECT_EQ(h.node().live_frames(), 0u);
  EXPECT_EQ(h.node().frame_pool_size(), 1u);
}

// ---- Determinism --------------------------------------------------------------------------------

onnx::ModelProto sampling_graph() {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 3 * kMs);
  auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a", "id:b", "id:c", "id:d", "id:e"});
  auto& sample = g.syscall(ir::kSamplePeers, "sample", {"ps", "t"}, {"chosen"});
  GraphBuilder::set_int(sample, ir::kAttrK, 2);
  auto& h1 = g.syscall(ir::kPeerHealthGateTx, "h", {"t", "chosen"}, {"t1", "c1"});
  GraphBuilder::set_int(h1, ir::kAttrDynamicPeers, 1);
  auto& b1 = g.syscall(ir::kBackoffGateTx, "b", {"t1", "c1"}, {"t2", "c2"});
  GraphBuilder::set_int(b1, ir::kAttrDynamicPeers, 1);
  g.node(ir::kWireDomain, ir::kSend, "send", {"t2", "c2"}, {});
  return g.compiled();
}

std::string run_sampling(std::uint64_t seed) {
  runtime::NodeConfig config;
  config.seed = seed;
  config.settings.backoff.jitter = runtime::Jitter::kFull;
  Harness h(sampling_graph(), std::move(config));
  h.run(500 * kMs);
  return h.trace_sha();
}

TEST_F(Engine, SameSeedSameTrace) {
  const auto a = run_sampling(7);
  EXPECT_EQ(a, run_sampling(7));
  EXPECT_NE(a, run_sampling(8));
}

TEST_F(Engine, FilteringGateCountsOneDecisionPerPeer) {
  Harness h(sampling_graph());
  h.run(1);  // one tick at t = 0: 2 peers, both fresh
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.gates[0][0], 2u);
  EXPECT_EQ(m.gates[1][0], 2u);
  EXPECT_EQ(m.attempts[1], 2u);
}

// ---- Envelope hook ----------------------------------------------------------------------------

TEST_F(Engine, DeliverStartsOneExecutionPerRecvAndDedupDrops) {
  GraphBuilder g;
  auto& r = g.node(ir::kWireDomain, ir::kRecv, "recv", {}, {"x", "from"});
  GraphBuilder::set_string(r, ir::kAttrChannel, "ch");
  g.syscall(ir::kDedupGateRx, "d", {"x", "from"}, {"x1", "f1"});
  g.syscall(ir::kPeerHealthGateRx, "ph", {"x1", "f1"}, {"x2", "f2"});
  g.syscall(ir::kBackoffGateRx, "bo", {"x2", "f2"}, {"x3", "f3"});
  g.node(kTestDomain, "Capture", "got", {"x3", "f3"}, {});
  Harness h(g.compiled());
  h.node().start();
  EXPECT_TRUE(h.node().accepts_channel("ch"));
  EXPECT_FALSE(h.node().accepts_channel("other"));
  bb::Envelope env;
  env.set_schema_version(1);
  env.set_src_peer(GraphBuilder::peer_bytes("alice"));
  env.set_incarnation(1);
  env.set_message_id(9);
  env.set_channel("ch");
  env.add_payload()->set_int64_value(5);
  h.node().deliver(env);
  h.node().deliver(env);  // a duplicate
  env.set_message_id(10);
  env.add_payload()->set_int64_value(6);  // two payloads: arity mismatch
  h.node().deliver(env);
  ASSERT_EQ(captured()["got"].size(), 2u);
  EXPECT_EQ(captured()["got"][0].as_int(), 5);
  EXPECT_EQ(captured()["got"][1].as_peer().to_text(), "id:alice");
  const auto m = h.node().report().metrics;
  EXPECT_EQ(m.receives_accepted, 1u);
  EXPECT_EQ(m.receive_drops[static_cast<int>(Reason::kDuplicate)], 1u);
  EXPECT_EQ(m.receive_drops[static_cast<int>(Reason::kArityMismatch)], 1u);
  EXPECT_EQ(m.gates[2][static_cast<int>(Reason::kDuplicate)], 1u);
}

}  // namespace
}  // namespace bb::testing

namespace bb::testing {
namespace {

TEST(NetworkServices, PeerValueFollowsItsInternedIdWhenTheIdIsReused) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  Harness h(g.compiled(), {}, /*trace=*/false);
  runtime::Node& n = h.node();
  const PeerId alice = *PeerId::identity("alice"), bob = *PeerId::identity("bob");
  const runtime::PeerIndex a = n.peers().acquire(alice);
  const runtime::Value first = n.peer_value(a);
  EXPECT_EQ(first.as_peer(), alice);
  EXPECT_EQ(&n.peer_value(a), &n.peer_value(a));  // made once
  n.peers().release(a);
  const runtime::PeerIndex b = n.peers().acquire(bob);  // may reuse alice's id
  EXPECT_EQ(n.peer_value(b).as_peer(), bob);
  EXPECT_EQ(first.as_peer(), alice);  // values handed out before stay what they were
}

}  // namespace
}  // namespace bb::testing
