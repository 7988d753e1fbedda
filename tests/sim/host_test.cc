// Real nodes (engine + kernels) on the simulated network: Send and Recv end to end, the
// feedback loop (docs/wire.md) with exact timings, the rx gates live, crash/restart, and
// metrics across incarnations. Every run is also watched by the invariant Checker.
#include <gtest/gtest.h>

#include "bb/ir/gates.h"
#include "sim_harness.h"

namespace bb::testing {
namespace {

using runtime::OutcomeKind;
using runtime::Reason;

std::uint64_t outcome(const runtime::NodeReport& r, OutcomeKind k) { return r.metrics.attempts[static_cast<int>(k)]; }
std::uint64_t dropped(const runtime::NodeReport& r, Reason why) { return r.metrics.receive_drops[static_cast<int>(why)]; }
std::uint64_t gate(const runtime::NodeReport& r, std::string_view op, Reason why) {
  return r.metrics.gates[static_cast<std::size_t>(ir::find_gate(ir::kSyscallDomain, op)->gate)][static_cast<int>(why)];
}

sim::SimulationConfig fixed_latency(std::int64_t latency_ns) {
  sim::SimulationConfig c;
  c.network.latency = sim::Latency::fixed(latency_ns);
  return c;
}

std::vector<Seen> seen_at(std::string_view receiver) {
  std::vector<Seen> out;
  for (const Seen& s : seen_log())
    if (s.receiver == "id:" + std::string(receiver)) out.push_back(s);
  return out;
}

// Every trace line of one kind for one (node, peer), as times.
class TraceTimes final : public runtime::TraceSink {
 public:
  explicit TraceTimes(runtime::TraceSink& next) : next_(next) {}
  void write(const runtime::TraceRecord& r) override {
    next_.write(r);
    lines.push_back({r.t_ns, std::string(r.node), std::string(r.op_type), std::string(runtime::to_string(r.event)),
                     std::string(r.outcome), std::string(r.reason), std::string(r.peer)});
  }
  std::vector<std::int64_t> times(std::string_view node, std::string_view event, std::string_view peer,
                                  std::string_view detail = {}) const {
    std::vector<std::int64_t> out;
    for (const auto& l : lines)
      if (l.node == node && l.event == event && l.peer == peer && (detail.empty() || l.outcome == detail || l.reason == detail))
        out.push_back(l.t);
    return out;
  }
  struct Line {
    std::int64_t t;
    std::string node, op_type, event, outcome, reason, peer;
  };
  std::vector<Line> lines;

 private:
  runtime::TraceSink& next_;
};

class Host : public ::testing::Test {
 protected:
  void SetUp() override { seen_log().clear(); }
};

// alice ticks `period` and sends each tick to bob on "ping"; bob answers every ping
// that passed his rx gates with a "pong" carrying the same value.
std::pair<std::shared_ptr<const runtime::Program>, std::shared_ptr<const runtime::Program>> ping_pong(
    std::int64_t period) {
  SimGraph a;
  a.interval("t", period);
  a.send("ping", {"t"}, "bob", "ping");
  a.recv("pong_in", 1, "pong");
  SimGraph b;
  const auto in = b.recv("ping_in", 1, "ping", /*seen=*/false);
  b.send("pong", {in[0]}, "alice", "pong");
  return {a.program("alice.bb"), b.program("bob.bb")};
}

TEST_F(Host, PingPongTimesFollowTheLatency) {
  SimRun run(fixed_latency(5 * kMs));
  const auto [alice, bob] = ping_pong(50 * kMs);
  run.sim.add_node(peer("alice"), alice);
  run.sim.add_node(peer("bob"), bob);
  run.run(1000 * kMs);
  const auto pongs = seen_at("alice");
  ASSERT_EQ(pongs.size(), 20u);
  for (std::size_t k = 0; k < pongs.size(); ++k) {
    const std::int64_t tick = static_cast<std::int64_t>(k) * 50 * kMs;
    EXPECT_EQ(pongs[k].t_ns, tick + 10 * kMs) << "ping at t, arrives t+L, pong arrives t+2L";
    ASSERT_EQ(pongs[k].values.size(), 2u);
    EXPECT_EQ(pongs[k].values[0].as_int(), tick) << "the payload travelled both ways unchanged";
    EXPECT_EQ(pongs[k].values[1].as_peer(), peer("bob")) << "the Recv's last output is the sender";
    EXPECT_EQ(pongs[k].sender, "id:bob");
  }
  EXPECT_EQ(outcome(run.report("alice"), OutcomeKind::kDelivered), 20u);
  EXPECT_EQ(outcome(run.report("bob"), OutcomeKind::kDelivered), 20u);
  EXPECT_EQ(run.report("bob").metrics.receives_accepted, 20u);
  const auto net = run.sim.network_stats();
  EXPECT_EQ(net.sent, 40u);
  EXPECT_EQ(net.delivered, 40u);
}

TEST_F(Host, PingPongWithLatencyAndLossAddsUpAndRetriesFollowTheSchedule) {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    seen_log().clear();
    sim::SimulationConfig c;
    c.network.seed = seed;
    c.network.latency = sim::Latency::uniform(1 * kMs, 9 * kMs);
    c.network.loss = 0.25;
    c.settings.send.timeout_ns = 200 * kMs;
    SimRun run(std::move(c));
    auto [alice, bob] = ping_pong(50 * kMs);
    {
      // 60 ticks (until 2.95 s), then quiet: every attempt has its outcome by 5 s.
      SimGraph a;
      GraphBuilder::set_int(a.interval("t", 50 * kMs), ir::kAttrCount, 60);
      a.send("ping", {"t"}, "bob", "ping");
      a.recv("pong_in", 1, "pong");
      alice = a.program("alice.bb");
    }
    run.sim.add_node(peer("alice"), alice);
    run.sim.add_node(peer("bob"), bob);
    run.run(5000 * kMs);
    const auto& a = run.report("alice");
    const auto& b = run.report("bob");
    const Instance& ai = run.checker.instances().at({"id:alice", 1});
    const Instance& bi = run.checker.instances().at({"id:bob", 1});
    SCOPED_TRACE("seed " + std::to_string(seed));
    // alice: every tick left or was held by her cooldown (the Checker saw each on schedule).
    EXPECT_EQ(60u, ai.attempts + gate(a, ir::kBackoffGateTx, Reason::kCooldown));
    EXPECT_EQ(ai.attempts, outcome(a, OutcomeKind::kDelivered) + outcome(a, OutcomeKind::kTimeout));
    EXPECT_GT(outcome(a, OutcomeKind::kTimeout), 0u);
    EXPECT_GT(gate(a, ir::kBackoffGateTx, Reason::kCooldown) + gate(b, ir::kBackoffGateTx, Reason::kCooldown), 0u)
        << "no retry was ever held";
    // Every delivered ping started one execution at bob; bob answers each one that passed
    // his gates unless his own cooldown towards alice holds the pong.
    EXPECT_EQ(b.metrics.executions, outcome(a, OutcomeKind::kDelivered));
    EXPECT_EQ(b.metrics.receives_accepted, bi.attempts + gate(b, ir::kBackoffGateTx, Reason::kCooldown));
    EXPECT_EQ(bi.attempts, outcome(b, OutcomeKind::kDelivered) + outcome(b, OutcomeKind::kTimeout));
    // Every delivered pong reached alice's graph unless her BackoffGateRx shed it.
    EXPECT_EQ(a.metrics.receives_accepted + dropped(a, Reason::kCooldown), outcome(b, OutcomeKind::kDelivered));
    EXPECT_EQ(seen_at("alice").size(), a.metrics.receives_accepted);
    // Losses are exactly the timeouts.
    EXPECT_EQ(run.sim.network().totals().lost, outcome(a, OutcomeKind::kTimeout) + outcome(b, OutcomeKind::kTimeout));
    EXPECT_EQ(run.sim.network().totals().delivered, outcome(a, OutcomeKind::kDelivered) + outcome(b, OutcomeKind::kDelivered));
  }
}

TEST_F(Host, CrashedPeerIsHeldWithGrowingCooldownsAndTrafficResumesAfterTheRestart) {
  SimRun run(fixed_latency(5 * kMs));
  SimGraph a;
  a.interval("t", 50 * kMs);
  a.send("to_bob", {"t"}, "bob", "tick");
  SimGraph b;
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.sim.add_fault(sim::Fault{100 * kMs, sim::FaultKind::kCrash, {peer("bob")}, 300 * kMs});
  ASSERT_TRUE(run.sim.start());
  run.sim.run(400 * kMs);
  {
    const auto mid = run.sim.node(peer("alice"))->report();
    ASSERT_EQ(mid.peers.size(), 1u);
    EXPECT_EQ(mid.peers[0].peer, "id:bob");
    EXPECT_EQ(mid.peers[0].failures, 5u);
    EXPECT_EQ(mid.peers[0].next_retry_ns, 520 * kMs);
    EXPECT_TRUE(mid.peers[0].down) << "5 consecutive failures: past the governor's threshold";
  }
  run.sim.run(1000 * kMs);
  run.reports = run.sim.reports();
  run.checker.finish();
  run.checker.check_seen(seen_log());
  for (const auto& v : run.checker.violations()) ADD_FAILURE() << v;
  const auto& alice = run.report("alice");
  // Attempts at 0, 50, 100 (→ unreachable, cooldown 10 ms), 150 (20 ms), 200 (40 ms), 250
  // (80 ms, until 340), 350 (160 ms, until 520), then 550 delivered and every tick after.
  EXPECT_EQ(outcome(alice, OutcomeKind::kUnreachable), 5u);
  EXPECT_EQ(gate(alice, ir::kBackoffGateTx, Reason::kCooldown), 4u) << "ticks 300, 400, 450, 500 held";
  EXPECT_EQ(outcome(alice, OutcomeKind::kDelivered), 2u + 9u);
  EXPECT_TRUE(alice.peers.empty()) << "the delivery at 560 ms cleared bob's entry";
  const auto bob_seen = seen_at("bob");
  ASSERT_EQ(bob_seen.size(), 11u);
  EXPECT_EQ(bob_seen[0].receiver_incarnation, 1u);
  EXPECT_EQ(bob_seen[1].receiver_incarnation, 1u);
  EXPECT_EQ(bob_seen[2].receiver_incarnation, 2u);
  EXPECT_EQ(bob_seen[2].t_ns, 555 * kMs) << "the first tick after the cooldown reaches the restarted bob";
  EXPECT_EQ(run.report("bob").metrics.receives_accepted, 11u) << "metrics add up across incarnations";
  EXPECT_EQ(run.sim.network().incarnation(peer("bob")), 2u);
}

TEST_F(Host, AttemptTimesOfTheCrashScheduleAreExact) {
  sim::SimulationConfig c = fixed_latency(5 * kMs);
  Checker checker(c.settings);
  TraceTimes trace(checker);
  c.trace = &trace;
  sim::Simulation sim(c);
  checker.watch(sim);
  SimGraph a;
  a.interval("t", 50 * kMs);
  a.send("to_bob", {"t"}, "bob", "tick");
  SimGraph b;
  b.recv("in", 1, "tick");
  sim.add_node(peer("alice"), a.program("alice.bb"));
  sim.add_node(peer("bob"), b.program("bob.bb"));
  sim.add_fault(sim::Fault{100 * kMs, sim::FaultKind::kCrash, {peer("bob")}, 300 * kMs});
  ASSERT_TRUE(sim.start());
  sim.run(700 * kMs);
  checker.finish();
  for (const auto& v : checker.violations()) ADD_FAILURE() << v;
  auto ms = [](std::vector<std::int64_t> v) {
    for (auto& t : v) t /= kMs;
    return v;
  };
  EXPECT_EQ(ms(trace.times("id:alice", "attempt", "id:bob")),
            (std::vector<std::int64_t>{0, 50, 100, 150, 200, 250, 350, 550, 600, 650}));
  EXPECT_EQ(ms(trace.times("id:alice", "outcome", "id:bob", "unreachable")),
            (std::vector<std::int64_t>{110, 160, 210, 260, 360}));
  EXPECT_EQ(ms(trace.times("id:alice", "deny", "id:bob", "cooldown")), (std::vector<std::int64_t>{300, 400, 450, 500}));
  EXPECT_EQ(ms(trace.times("id:alice", "outcome", "id:bob", "delivered")), (std::vector<std::int64_t>{10, 60, 560, 610, 660}));
}

TEST_F(Host, BackoffGateRxShedsAPeerInOutboundCooldown) {
  SimRun run(fixed_latency(5 * kMs));
  SimGraph a;  // alice and bob tick to each other
  a.interval("t", 50 * kMs);
  a.send("to_bob", {"t"}, "bob", "tick");
  a.recv("in", 1, "tick");
  SimGraph b;
  b.interval("t", 50 * kMs);
  b.send("to_alice", {"t"}, "alice", "tick");
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.sim.add_fault(sim::Fault{100 * kMs, sim::FaultKind::kCrash, {peer("bob")}, 200 * kMs});
  run.run(400 * kMs);
  // alice failed towards bob at 110, 160, 210 and 260 ms: cooldown until 340 ms. The
  // restarted bob's tick at 300 ms arrives at 305 ms and is shed; the one at 355 ms passes.
  const auto& alice = run.report("alice");
  EXPECT_EQ(dropped(alice, Reason::kCooldown), 1u);
  EXPECT_EQ(gate(alice, ir::kBackoffGateRx, Reason::kCooldown), 1u);
  std::vector<std::int64_t> from_bob;
  for (const Seen& s : seen_at("alice")) from_bob.push_back(s.t_ns / kMs);
  EXPECT_EQ(from_bob, (std::vector<std::int64_t>{5, 55, 355}));
  EXPECT_EQ(outcome(run.report("bob"), OutcomeKind::kDelivered), 2u + 2u)
      << "the shed envelope was delivered by the transport: receiving is not a success signal";
}

TEST_F(Host, BlocklistedSenderNeverReachesAGraphAndIsNeverSentTo) {
  sim::SimulationConfig c = fixed_latency(2 * kMs);
  c.settings.governor.blocklist = {peer("mallory")};
  SimRun run(std::move(c));
  SimGraph m;
  m.interval("t", 10 * kMs);
  m.send("to_bob", {"t"}, "bob", "tick");
  SimGraph b;
  b.interval("t", 10 * kMs);
  b.send("to_mallory", {"t"}, "mallory", "tick");
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("mallory"), m.program("mallory.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(100 * kMs);
  const auto& bob = run.report("bob");
  EXPECT_TRUE(seen_at("bob").empty());
  EXPECT_EQ(dropped(bob, Reason::kBlocklisted), 10u);
  EXPECT_EQ(gate(bob, ir::kPeerHealthGateRx, Reason::kBlocklisted), 10u);
  EXPECT_EQ(gate(bob, ir::kPeerHealthGateTx, Reason::kBlocklisted), 10u);
  EXPECT_EQ(outcome(bob, OutcomeKind::kDelivered) + outcome(bob, OutcomeKind::kUnreachable), 0u) << "nothing left for mallory";
}

TEST_F(Host, AllowlistAdmitsOnlyListedSenders) {
  sim::SimulationConfig c = fixed_latency(2 * kMs);
  c.settings.governor.allowlist = {peer("alice"), peer("bob")};
  SimRun run(std::move(c));
  for (std::string_view from : {"alice", "carol"}) {
    SimGraph g;
    g.interval("t", 10 * kMs);
    g.send("to_bob", {"t"}, "bob", "tick");
    run.sim.add_node(peer(from), g.program(std::string(from) + ".bb"));
  }
  SimGraph b;
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(100 * kMs);
  EXPECT_EQ(seen_at("bob").size(), 10u);
  for (const Seen& s : seen_at("bob")) EXPECT_EQ(s.sender, "id:alice");
  EXPECT_EQ(dropped(run.report("bob"), Reason::kNotAllowlisted), 10u);
}

TEST_F(Host, DuplicatesTheNetworkMakesAreDroppedByTheDedupGate) {
  sim::SimulationConfig c = fixed_latency(2 * kMs);
  c.network.duplicate = 1.0;
  SimRun run(std::move(c));
  SimGraph a;
  a.interval("t", 10 * kMs);
  a.send("to_bob", {"t"}, "bob", "tick");
  SimGraph b;
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(100 * kMs);
  EXPECT_EQ(run.sim.network().totals().duplicated, 10u);
  EXPECT_EQ(seen_at("bob").size(), 10u);
  EXPECT_EQ(dropped(run.report("bob"), Reason::kDuplicate), 10u);
  EXPECT_EQ(gate(run.report("bob"), ir::kDedupGateRx, Reason::kDuplicate), 10u);
  EXPECT_EQ(run.report("bob").metrics.executions, 20u);
}

TEST_F(Host, ChannelsRouteEnvelopesAndArityMismatchesAreDropped) {
  SimRun run(fixed_latency(2 * kMs));
  SimGraph a;
  a.add(ir::kSyscallDomain, ir::kPulse, "go", {}, {"t"});
  auto& k = a.add(ir::kSyscallDomain, ir::kConstant, "k", {}, {"k"});
  GraphBuilder::set_int(k, ir::kAttrValueInt, 7);
  a.send("one", {"t"}, "bob", "data");
  a.send("two", {"t", "k"}, "bob", "data");
  a.send("other", {"t"}, "bob", "other");
  a.send("nowhere", {"t"}, "bob", "nowhere");
  SimGraph b;
  b.recv("r1", 1, "data");
  b.recv("r2", 2, "data");
  b.recv("r3", 1, "other");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(100 * kMs);
  const auto& bob = run.report("bob");
  // "data" reaches r1 and r2 (each envelope starts one execution per Recv of its
  // channel): "one" passes r1 only, "two" passes r2 only. "other" reaches r3 only.
  EXPECT_EQ(bob.metrics.executions, 5u);
  EXPECT_EQ(bob.metrics.receives_accepted, 3u);
  EXPECT_EQ(dropped(bob, Reason::kArityMismatch), 2u);
  const auto got = seen_at("bob");
  ASSERT_EQ(got.size(), 3u);
  std::multiset<std::size_t> arities;
  for (const Seen& s : got) arities.insert(s.values.size());
  EXPECT_EQ(arities, (std::multiset<std::size_t>{2, 2, 3}));
  // "nowhere" has no Recv on bob: the transport answers `rejected`, a failure for alice.
  const auto& alice = run.report("alice");
  EXPECT_EQ(outcome(alice, OutcomeKind::kDelivered), 3u);
  EXPECT_EQ(outcome(alice, OutcomeKind::kRejected), 1u);
  ASSERT_EQ(alice.peers.size(), 1u) << "the rejection came last (the four outcomes arrive in send order)";
  EXPECT_EQ(alice.peers[0].failures, 1u);
}

TEST_F(Host, ASendOfStaticValuesOnlyIsReportedAndMakesNoAttempt) {
  SimRun run(fixed_latency(2 * kMs));
  SimGraph a;
  auto& k = a.add(ir::kSyscallDomain, ir::kConstant, "k", {}, {"k"});
  GraphBuilder::set_int(k, ir::kAttrValueInt, 7);
  a.send("hello", {"k"}, "bob", "tick");
  SimGraph b;
  b.recv("in", 1, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(100 * kMs);
  EXPECT_EQ(run.sim.network().totals().sent, 0u);
  EXPECT_TRUE(seen_at("bob").empty());
}

TEST_F(Host, DeadlineTurnsALateOutcomeIntoTimeoutAndTheDeliveredOutputFiresOnlyOnDelivery) {
  SimRun run(fixed_latency(20 * kMs));
  SimGraph a;
  a.add(ir::kSyscallDomain, ir::kPulse, "go", {}, {"t"});
  auto& tight = a.send("tight", {"t"}, "bob", "tick");
  GraphBuilder::set_int(tight, ir::kAttrDeadlineNs, 30 * kMs);
  tight.add_output("tight_ack");
  auto& easy = a.send("easy", {"t"}, "carol", "tick");
  easy.add_output("easy_ack");
  a.add(kSimTestDomain, "Seen", "acked_tight", {"tight_ack"}, {});
  a.add(kSimTestDomain, "Seen", "acked_easy", {"easy_ack"}, {});
  SimGraph r;
  r.recv("in", 1, "tick", /*seen=*/false);
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), r.program("r.bb"));
  run.sim.add_node(peer("carol"), r.program("r.bb"));
  run.run(1000 * kMs);
  const auto& alice = run.report("alice");
  EXPECT_EQ(outcome(alice, OutcomeKind::kTimeout), 1u) << "the round trip of 40 ms is past the 30 ms deadline";
  EXPECT_EQ(outcome(alice, OutcomeKind::kDelivered), 1u);
  const auto acks = seen_at("alice");
  ASSERT_EQ(acks.size(), 1u) << "only the delivered Send fires its output";
  EXPECT_EQ(acks[0].t_ns, 40 * kMs);
  EXPECT_EQ(alice.metrics.skipped, 1u) << "the timed-out Send's dependent";
  EXPECT_EQ(run.report("bob").metrics.receives_accepted, 1u) << "a timeout says nothing about the destination";
}

TEST_F(Host, DynamicDestinationsAreFilteredPerPeer) {
  SimRun run(fixed_latency(5 * kMs));
  SimGraph a;
  a.interval("t", 50 * kMs);
  auto& ps = a.add(ir::kSyscallDomain, ir::kPeers, "peers", {}, {"ps"});
  GraphBuilder::set_strings(ps, ir::kAttrPeers, {"id:bob", "id:carol", "id:dave"});
  a.send_dynamic("fan", {"t"}, "ps", "tick");
  SimGraph r;
  r.recv("in", 1, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  for (std::string_view n : {"bob", "carol", "dave"}) run.sim.add_node(peer(n), r.program("r.bb"));
  run.sim.add_fault(sim::Fault{100 * kMs, sim::FaultKind::kCrash, {peer("carol")}, 300 * kMs});
  run.run(1000 * kMs);
  EXPECT_EQ(seen_at("bob").size(), 20u);
  EXPECT_EQ(seen_at("dave").size(), 20u);
  EXPECT_EQ(seen_at("carol").size(), 2u + 9u) << "the same schedule as a static Send";
  const auto& alice = run.report("alice");
  EXPECT_EQ(gate(alice, ir::kBackoffGateTx, Reason::kCooldown), 4u) << "one decision per peer: only carol's";
  EXPECT_EQ(gate(alice, ir::kBackoffGateTx, Reason::kNone), 60u - 4u);
  EXPECT_EQ(alice.metrics.skipped, 0u) << "a filtering gate that keeps some peers does not deny";
}

TEST_F(Host, EnvelopesRefusedAtArrivalAreCountedInTheReceiversReceives) {
  sim::SimulationConfig c = fixed_latency(2 * kMs);
  c.network.limits.max_payloads = 1;
  SimRun run(std::move(c));
  SimGraph a;
  a.interval("t", 10 * kMs);
  a.send("two", {"t", "t"}, "bob", "tick");
  SimGraph b;
  b.recv("in", 2, "tick");
  run.sim.add_node(peer("alice"), a.program("alice.bb"));
  run.sim.add_node(peer("bob"), b.program("bob.bb"));
  run.run(35 * kMs);
  const auto& bob = run.report("bob");
  ASSERT_EQ(bob.refused.size(), 1u);
  EXPECT_EQ(bob.refused[0].first, "too_many_payloads");
  EXPECT_GE(bob.refused[0].second, 2u);
  EXPECT_EQ(outcome(run.report("alice"), OutcomeKind::kRejected), bob.refused[0].second);
  const std::string json = runtime::metrics_json(run.reports, nullptr, "");
  EXPECT_NE(json.find("\"receives\": {\"accepted\": 0, \"too_many_payloads\": "), std::string::npos) << json;
}

TEST_F(Host, SameSeedSameTraceOtherSeedOtherTrace) {
  auto once = [](std::uint64_t seed) {
    seen_log().clear();
    sim::SimulationConfig c;
    c.network.seed = seed;
    c.network.latency = sim::Latency::uniform(1 * kMs, 9 * kMs);
    c.network.loss = 0.1;
    c.network.duplicate = 0.1;
    c.settings.backoff.jitter = runtime::Jitter::kFull;
    SimRun run(std::move(c));
    const auto [alice, bob] = ping_pong(20 * kMs);
    run.sim.add_node(peer("alice"), alice);
    run.sim.add_node(peer("bob"), bob);
    run.run(2000 * kMs);
    return run.checker.sha();
  };
  const std::string a = once(11);
  EXPECT_EQ(a, once(11));
  EXPECT_NE(a, once(12));
}

TEST(NodeSeed, IsStableAndSeparatesPeersAndIncarnations) {
  const PeerId alice = peer("alice");
  EXPECT_EQ(sim::node_seed(7, alice, 1), sim::node_seed(7, alice, 1));
  EXPECT_NE(sim::node_seed(7, alice, 1), sim::node_seed(7, alice, 2));
  EXPECT_NE(sim::node_seed(7, alice, 1), sim::node_seed(7, peer("bob"), 1));
  EXPECT_NE(sim::node_seed(7, alice, 1), sim::node_seed(8, alice, 1));
  // Pinned: a change here changes every simulated run's trace for a given seed.
  EXPECT_EQ(sim::node_seed(7, alice, 1), 798764130338158695u);
}

}  // namespace
}  // namespace bb::testing
