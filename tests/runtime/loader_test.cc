#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/wire_shape.h"
#include "engine_harness.h"

namespace bb::testing {
namespace {

using runtime::LoadError;
using runtime::Program;

GraphBuilder simple() {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.gated_send("send0", "t", "bob");
  return g;
}

TEST(Loader, RefusesAModelWithoutPassport) {
  auto r = Program::build(simple().raw(), "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kNotCompiled);
  EXPECT_NE(r.error().message.find("not compiled: run 'bbc compile graph.onnx' first"), std::string::npos);
}

TEST(Loader, RefusesAnotherPassportVersion) {
  auto m = simple().compiled();
  ir::set_metadata(m, ir::kPassportCompiled, "v2");
  auto r = Program::build(m, "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kBadPassport);
}

TEST(Loader, LimitsComeBeforeThePassport) {
  runtime::LoadOptions options;
  options.limits.max_nodes = 1;
  auto r = Program::build(simple().raw(), "g.bb", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kLimit) << r.error().message;
  EXPECT_NE(r.error().message.find("g.bb: node"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--max-nodes"), std::string::npos) << r.error().message;

  auto m = simple().compiled();
  auto* huge = m.mutable_graph()->add_initializer();
  huge->set_name("huge");
  huge->add_dims(std::int64_t{1} << 40);
  r = Program::build(m, "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kLimit);
  EXPECT_NE(r.error().message.find("g.bb: initializer 'huge': tensor declares 1099511627776 elements"),
            std::string::npos)
      << r.error().message;
  options = {};
  options.limits.max_nodes = 100;
  EXPECT_TRUE(Program::build(simple().compiled(), "g.bb", options));
}

TEST(Loader, DigestMismatchUnlessNoVerify) {
  auto m = simple().compiled();
  m.mutable_graph()->mutable_node(0)->set_name("renamed");
  auto r = Program::build(m, "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kDigest);
  runtime::LoadOptions options;
  options.verify_digest = false;
  EXPECT_TRUE(Program::build(m, "g.bb", options));
}

TEST(Loader, ReportsEveryUnresolvedNodeAtOnce) {
  GraphBuilder g;
  g.node("", "Frobnicate", "r1", {"x"}, {"y"});  // ops no build has a kernel for
  g.node("", "Wobble", "", {"y"}, {"z"});
  g.node("com.example", "Mystery", "m", {"z"}, {"w"});
  auto* in = g.raw().mutable_graph()->add_input();
  in->set_name("x");
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kUnresolved);
  const auto& msg = r.error().message;
  EXPECT_NE(msg.find("g.bb: node 'r1' (Frobnicate #0): error: no kernel for 'ai.onnx::Frobnicate'"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("node (Wobble #1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("com.example::Mystery"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 node(s) without a kernel"), std::string::npos) << msg;
}

runtime::LoadError node_error(const onnx::ModelProto& m) {
  auto program = Program::build(m, "g.bb");
  EXPECT_TRUE(program) << (program ? "" : program.error().message);
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("local");
  auto node = runtime::Node::create(*program, scheduler, config);
  EXPECT_FALSE(node);
  return node ? LoadError{} : node.error();
}

TEST(Loader, TxGateWithoutDestinationIsALoadErrorNamingTheNode) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.syscall(ir::kBackoffGateTx, "gate", {"t"}, {"t2"});
  g.syscall(ir::kPeerHealthGateTx, "gate2", {"t2"}, {"t3"});
  const auto e = node_error(g.compiled());
  EXPECT_EQ(e.kind, LoadError::Kind::kInvalid);
  EXPECT_NE(e.message.find("g.bb: node 'gate' (BackoffGateTx #1): error: has neither 'peer' nor 'dynamic_peers'"),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("node 'gate2' (PeerHealthGateTx #2)"), std::string::npos) << e.message;
}

TEST(Loader, MalformedAttributesAreLoadErrors) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  auto& gate = g.syscall(ir::kBackoffGateTx, "gate", {"t"}, {"t2"});
  GraphBuilder::set_string(gate, ir::kAttrPeer, std::string("\x12\x05" "abc", 5));
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"u"});
  GraphBuilder::set_string(tick, ir::kAttrPeriodNs, "10ms");
  auto& peers = g.syscall(ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(peers, ir::kAttrPeers, {"id:a", "not base58 0OIl"});
  const auto e = node_error(g.compiled());
  EXPECT_NE(e.message.find("node 'gate' (BackoffGateTx #1): error: attribute 'peer' is not a valid PeerId"),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("node 'tick' (Interval #2): error: attribute 'period_ns' must be INT, found STRING"),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("node 'peers' (Peers #3): error: entry 1 of 'peers'"), std::string::npos) << e.message;
}

TEST(Loader, PlanMarksStaticNodesAndUsesSlots) {
  GraphBuilder g;
  auto& c = g.syscall(ir::kConstant, "c", {}, {"k"});
  GraphBuilder::set_int(c, ir::kAttrValueInt, 1);
  g.syscall(ir::kPassThrough, "s", {"k"}, {"k2"});
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.syscall(ir::kOnTrigger, "j", {"t", "k2"}, {"u"});
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(r) << r.error().message;
  const auto nodes = (*r)->nodes();
  EXPECT_TRUE(nodes[0].is_static);
  EXPECT_TRUE(nodes[1].is_static);
  EXPECT_FALSE(nodes[2].is_static);
  EXPECT_TRUE(nodes[2].is_source);
  EXPECT_FALSE(nodes[3].is_static);
  EXPECT_EQ(nodes[3].dynamic_inputs, 1u);
  EXPECT_EQ(std::vector<std::uint32_t>((*r)->static_order().begin(), (*r)->static_order().end()),
            (std::vector<std::uint32_t>{0, 1}));
}

TEST(Loader, CycleAndDanglingInputAreReported) {
  GraphBuilder g;
  g.syscall(ir::kPassThrough, "a", {"y"}, {"x"});
  g.syscall(ir::kPassThrough, "b", {"x"}, {"y"});
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cycle"), std::string::npos);
  GraphBuilder d;
  d.syscall(ir::kPassThrough, "a", {"nowhere"}, {"x"});
  auto r2 = Program::build(d.compiled(), "g.bb");
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("input 'nowhere' is never produced"), std::string::npos);
}

// Resolve and plan share one walk: an input produced by a later node is found after it.
TEST(Loader, ConsumerBeforeProducerIsPlannedInTopologicalOrder) {
  GraphBuilder g;
  g.syscall(ir::kPassThrough, "late", {"t"}, {"u"});
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(r) << r.error().message;
  const auto nodes = (*r)->nodes();
  ASSERT_EQ(nodes.size(), 2u);
  const std::uint32_t t_slot = nodes[1].output_begin;
  EXPECT_EQ((*r)->input_refs()[nodes[0].input_begin], t_slot);
  const auto consumers = (*r)->consumers(t_slot);
  EXPECT_EQ(std::vector<std::uint32_t>(consumers.begin(), consumers.end()), (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(nodes[0].dynamic_inputs, 1u);
}

// The walk tells the plan whether node order is a topological order; a node reading its
// own output breaks it as a later producer does, and is on a cycle.
TEST(Loader, ANodeReadingItsOwnOutputIsOnACycle) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.syscall(ir::kOnTrigger, "self", {"t", "u"}, {"u"});
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("node 'self' (OnTrigger #1): error: the node is on a cycle"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("pulse"), std::string::npos) << r.error().message;
}

// Release after last use is the same whether the nodes come in producer order or not:
// a static value read by a static node and by a frame is kept after the static run, one
// read only by static nodes is released after its static readers (static_uses).
TEST(Loader, ReleaseCountsDoNotDependOnNodeOrder) {
  auto plan = [](bool reversed) {
    GraphBuilder g;
    std::vector<std::function<void()>> add;
    add.push_back([&g] {
      auto& c = g.syscall(ir::kConstant, "c", {}, {"k"});
      GraphBuilder::set_int(c, ir::kAttrValueInt, 1);
    });
    add.push_back([&g] { g.syscall(ir::kPassThrough, "s", {"k"}, {"k2"}); });
    add.push_back([&g] { g.syscall(ir::kPassThrough, "s2", {"k2"}, {"k3"}); });
    add.push_back([&g] { g.syscall(ir::kPulse, "pulse", {}, {"t"}); });
    add.push_back([&g] { g.syscall(ir::kOnTrigger, "j", {"t", "k", "k3"}, {"u"}); });
    if (reversed) std::reverse(add.begin(), add.end());
    for (auto& f : add) f();
    auto r = Program::build(g.compiled(), "g.bb");
    EXPECT_TRUE(r) << r.error().message;
    // By value name: the slots differ with the order.
    std::map<std::string, std::string> by_name;
    const auto nodes = (*r)->nodes();
    for (const auto& pn : nodes)
      for (std::uint32_t j = 0; j < pn.output_count; ++j) {
        const std::uint32_t s = pn.output_begin + j;
        by_name[pn.proto->output(static_cast<int>(j))] = "uses " + std::to_string((*r)->static_uses(s)) +
                                                         " keep " + std::to_string((*r)->keep_after_static(s)) +
                                                         " static " + std::to_string(pn.is_static);
      }
    return by_name;
  };
  const auto in_order = plan(false);
  EXPECT_EQ(in_order, plan(true));
  EXPECT_EQ(in_order.at("k"), "uses 1 keep 1 static 1");   // read by s (static) and by j's frame
  EXPECT_EQ(in_order.at("k2"), "uses 1 keep 0 static 1");  // by s2 only
  EXPECT_EQ(in_order.at("k3"), "uses 0 keep 1 static 1");  // by j's frame only
  EXPECT_EQ(in_order.at("u"), "uses 0 keep 0 static 0");
}

// The findings come in a fixed order: values produced twice, then per node its missing
// inputs and its arity.
TEST(Loader, PlanFindingsComeInNodeOrder) {
  GraphBuilder g;
  g.syscall(ir::kPassThrough, "a", {"nowhere"}, {"x"});
  g.syscall(ir::kPassThrough, "b", {"x", "x"}, {"y"});
  g.syscall(ir::kPassThrough, "c", {"y"}, {"x"});
  auto r = Program::build(g.compiled(), "g.bb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, LoadError::Kind::kInvalid);
  const std::string& m = r.error().message;
  const auto twice = m.find("value 'x' is produced twice");
  const auto missing = m.find("input 'nowhere' is never produced");
  const auto arity = m.find("node 'b'");
  ASSERT_NE(twice, std::string::npos) << m;
  ASSERT_NE(missing, std::string::npos) << m;
  ASSERT_NE(arity, std::string::npos) << m;
  EXPECT_LT(twice, missing);
  EXPECT_LT(missing, arity);
  EXPECT_NE(m.find("2 inputs and 1 outputs do not fit the op's arity"), std::string::npos) << m;
}

}  // namespace
}  // namespace bb::testing
