// The simulation invariants of docs/simulation.md ("Testing"), over many seeds × fault schedules, with real
// nodes (engine + kernels) on the simulated network:
//   - no envelope leaves for a peer in cooldown (the node's table, and — without jitter —
//     the schedule its outcomes imply; a held send is held only while the schedule says so);
//   - every Send attempt ends in exactly one outcome (or is orphaned by its sender's crash);
//   - within one receiver incarnation and the dedup window, no duplicate passes the dedup gate;
//   - no blocklisted (or, with an allowlist, unlisted) sender's payload reaches a graph,
//     and nothing passes BackoffGateRx from a sender in cooldown;
//   - the same seed gives the same trace hash.
//
// BB_SIM_SEEDS sets the number of seeds (default 200; `make soak` runs many more).
#include <gtest/gtest.h>

#include <cstdlib>

#include "bb/sim/random.h"
#include "sim_harness.h"

namespace bb::testing {
namespace {

using runtime::Reason;

std::uint64_t seeds_to_run() {
  if (const char* env = std::getenv("BB_SIM_SEEDS")) return std::strtoull(env, nullptr, 10);
  return 200;
}

// One randomly drawn deployment: nodes, graphs, network, settings and faults.
struct Scenario {
  std::uint64_t seed = 0;
  std::int64_t duration_ns = 0;
  sim::SimulationConfig config;
  std::vector<std::string> names;
  std::vector<std::shared_ptr<const runtime::Program>> programs;
  std::vector<sim::Fault> faults;
  std::string text;  // what was drawn, for failure messages
};

std::string ms(std::int64_t ns) { return std::to_string(ns / 1000) + "us"; }

Scenario draw(std::uint64_t seed) {
  sim::SimRng rng(seed * 0x9e3779b97f4a7c15ULL + 1);
  Scenario s;
  s.seed = seed;
  s.duration_ns = rng.between(500, 2000) * kMs;
  const auto n = static_cast<std::size_t>(rng.between(3, 6));
  for (std::size_t i = 0; i < n; ++i) s.names.push_back("n" + std::to_string(i));

  sim::NetworkConfig& net = s.config.network;
  net.seed = seed;
  const std::int64_t lo = rng.between(100, 5000) * 1000;
  net.latency = rng.chance(0.5) ? sim::Latency::fixed(lo) : sim::Latency::uniform(lo, lo + rng.between(0, 8000) * 1000);
  net.loss = rng.chance(0.8) ? rng.unit() * 0.3 : 0.0;
  net.duplicate = rng.chance(0.8) ? rng.unit() * 0.3 : 0.0;

  runtime::NodeSettings& st = s.config.settings;
  st.backoff.base_ns = rng.between(1, 10) * kMs;
  st.backoff.cap_ns = st.backoff.base_ns * rng.between(4, 64);
  const runtime::Jitter jitters[] = {runtime::Jitter::kNone, runtime::Jitter::kNone, runtime::Jitter::kFull,
                                     runtime::Jitter::kEqual, runtime::Jitter::kDecorrelated};
  st.backoff.jitter = jitters[rng.below(5)];
  st.governor.threshold = static_cast<std::uint32_t>(rng.between(1, 6));
  st.send.timeout_ns = rng.between(20, 300) * kMs;
  if (rng.chance(0.3)) st.governor.blocklist = {peer(s.names[rng.below(n)])};
  if (rng.chance(0.15)) {
    for (const auto& name : s.names)
      if (rng.chance(0.6)) st.governor.allowlist.push_back(peer(name));
    if (st.governor.allowlist.empty()) st.governor.allowlist.push_back(peer(s.names[0]));
  }

  // Every node ticks, sends each tick to one or two fixed peers and to a fresh sample of
  // all the others, sometimes on a channel nobody listens to or with an extra payload,
  // and receives on "data".
  for (std::size_t i = 0; i < n; ++i) {
    SimGraph g;
    g.interval("t", rng.between(5, 40) * kMs);
    std::vector<std::string_view> others;
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) others.push_back(s.names[j]);
    const std::size_t fixed = 1 + rng.below(2);
    for (std::size_t k = 0; k < fixed; ++k) {
      auto& send = g.send("to" + std::to_string(k), {"t"}, others[rng.below(others.size())], "data");
      if (rng.chance(0.2)) GraphBuilder::set_int(send, ir::kAttrDeadlineNs, rng.between(1, 30) * kMs);
    }
    auto& ps = g.add(ir::kSyscallDomain, ir::kPeers, "peers", {}, {"ps"});
    auto* attr = ps.add_attribute();
    attr->set_name(std::string(ir::kAttrPeers));
    attr->set_type(onnx::AttributeProto::STRINGS);
    for (auto o : others) attr->add_strings("id:" + std::string(o));
    auto& sample = g.add(ir::kSyscallDomain, ir::kSamplePeers, "sample", {"ps", "t"}, {"chosen"});
    GraphBuilder::set_int(sample, ir::kAttrK, rng.between(1, static_cast<std::int64_t>(others.size())));
    g.send_dynamic("fan", {"t"}, "chosen", "data");
    if (rng.chance(0.2)) g.send("astray", {"t"}, others[rng.below(others.size())], "nobody_listens");
    if (rng.chance(0.2)) g.send("wide", {"t", "t"}, others[rng.below(others.size())], "data");
    g.recv("in", 1, "data");
    s.programs.push_back(g.program(s.names[i] + ".bb"));
  }

  const auto faults = rng.below(4);
  for (std::uint64_t f = 0; f < faults; ++f) {
    sim::Fault fault;
    fault.at_ns = rng.between(0, s.duration_ns * 3 / 4);
    fault.kind = rng.chance(0.6) ? sim::FaultKind::kCrash : sim::FaultKind::kPartition;
    for (const auto& name : s.names)
      if (rng.chance(0.35)) fault.peers.push_back(peer(name));
    if (fault.peers.empty()) fault.peers.push_back(peer(s.names[rng.below(n)]));
    if (rng.chance(0.8)) fault.for_ns = rng.between(10, 800) * kMs;
    s.faults.push_back(std::move(fault));
  }

  s.text = "seed " + std::to_string(seed) + ": " + std::to_string(n) + " nodes, " + ms(s.duration_ns) + ", latency " +
           ms(net.latency.lo_ns) + ".." + ms(net.latency.hi_ns) + ", loss " + std::to_string(net.loss) +
           ", duplicate " + std::to_string(net.duplicate) + ", jitter " + std::string(runtime::to_string(st.backoff.jitter)) +
           ", blocklist " + std::to_string(st.governor.blocklist.size()) + ", allowlist " +
           std::to_string(st.governor.allowlist.size());
  for (const auto& f : s.faults) {
    s.text += "; " + std::string(sim::to_string(f.kind)) + " at " + ms(f.at_ns) + " of";
    for (const auto& p : f.peers) s.text += " " + p.to_text();
    s.text += f.for_ns ? " for " + ms(*f.for_ns) : std::string(" for good");
  }
  return s;
}

struct Outcome {
  std::string sha;
  std::vector<runtime::NodeReport> reports;
  sim::NetworkTotals totals;
  std::uint64_t held = 0;
  std::size_t incarnations = 0;
};

Outcome run(const Scenario& s) {
  seen_log().clear();
  SimRun r(s.config);
  for (std::size_t i = 0; i < s.names.size(); ++i) r.sim.add_node(peer(s.names[i]), s.programs[i]);
  for (const auto& f : s.faults) r.sim.add_fault(f);
  {
    SCOPED_TRACE(s.text);
    r.run(s.duration_ns);
  }
  return Outcome{r.checker.sha(), r.reports, r.sim.network().totals(), r.checker.held(), r.checker.instances().size()};
}

TEST(SimInvariants, HoldOverManySeedsAndFaultSchedules) {
  const std::uint64_t seeds = seeds_to_run();
  // What the runs exercised, so the invariants are not checked on nothing.
  std::uint64_t duplicates = 0, blocklisted = 0, not_allowlisted = 0, shed = 0, arity = 0, held = 0, orphaned = 0,
                rejected = 0, timeouts = 0, restarts = 0, partitioned = 0, delivered = 0;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    const Scenario s = draw(seed);
    const Outcome a = run(s);
    const Outcome b = run(s);
    ASSERT_EQ(a.sha, b.sha) << s.text << ": the same seed gave another trace";
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing scenario: " << s.text;
      return;
    }
    for (const auto& r : a.reports) {
      duplicates += r.metrics.receive_drops[static_cast<int>(Reason::kDuplicate)];
      blocklisted += r.metrics.receive_drops[static_cast<int>(Reason::kBlocklisted)];
      not_allowlisted += r.metrics.receive_drops[static_cast<int>(Reason::kNotAllowlisted)];
      shed += r.metrics.receive_drops[static_cast<int>(Reason::kCooldown)];
      arity += r.metrics.receive_drops[static_cast<int>(Reason::kArityMismatch)];
      rejected += r.metrics.attempts[static_cast<int>(runtime::OutcomeKind::kRejected)];
      timeouts += r.metrics.attempts[static_cast<int>(runtime::OutcomeKind::kTimeout)];
    }
    held += a.held;
    orphaned += a.totals.orphaned;
    partitioned += a.totals.partitioned;
    delivered += a.totals.delivered;
    restarts += a.incarnations - s.names.size();
  }
  std::cout << seeds << " seeds: " << delivered << " delivered, " << held << " sends held in cooldown, " << duplicates
            << " duplicates dropped, " << blocklisted << " blocklisted and " << not_allowlisted
            << " unlisted senders dropped, " << shed << " shed by BackoffGateRx, " << arity << " arity mismatches, "
            << rejected << " rejected, " << timeouts << " timeouts, " << partitioned << " partitioned, " << orphaned
            << " orphaned by crashes, " << restarts << " restarts\n";
  if (seeds < 100) return;
  EXPECT_GT(duplicates, 0u);
  EXPECT_GT(blocklisted, 0u);
  EXPECT_GT(not_allowlisted, 0u);
  EXPECT_GT(shed, 0u);
  EXPECT_GT(arity, 0u);
  EXPECT_GT(held, 0u);
  EXPECT_GT(orphaned, 0u);
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(timeouts, 0u);
  EXPECT_GT(partitioned, 0u);
  EXPECT_GT(restarts, 0u);
}

}  // namespace
}  // namespace bb::testing
