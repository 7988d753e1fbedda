// Real nodes (engine + kernels) on the simulated network, for tests: graph pieces
// compiled by bbc (the compiler library), a `Seen` kernel that records what passed a Recv's gate chain,
// and a Checker that watches a Simulation and checks the invariants of docs/simulation.md.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "bb/compiler/compile.h"
#include "bb/ir/gates.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_shape.h"
#include "bb/runtime/backoff_table.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/trace.h"
#include "bb/sim/host.h"
#include "graph_builder.h"

namespace bb::testing {

inline constexpr std::string_view kSimTestDomain = "test.bb.sim";
inline constexpr std::int64_t kMs = runtime::kMillisecond;

inline PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

// ---- What reached a graph ------------------------------------------------------------------

// One envelope that passed DedupGateRx → PeerHealthGateRx → BackoffGateRx.
struct Seen {
  std::int64_t t_ns;
  std::string receiver;
  std::uint64_t receiver_incarnation;
  std::string sender;
  std::uint64_t sender_incarnation;
  std::uint64_t message_id;
  bool sender_in_cooldown;  // the receiver's outbound cooldown towards the sender, at that instant
  std::vector<runtime::Value> values;
};

inline std::vector<Seen>& seen_log() {
  static std::vector<Seen> log;
  return log;
}

// test.bb.sim/Seen(values…): records its inputs and the frame's envelope.
class SeenKernel final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<SeenKernel>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<SeenKernel>();
  }
  runtime::OpResult compute(runtime::Invocation& inv) override {
    Seen s{inv.now_ns(), inv.network().self().to_text(), inv.network().incarnation(), "", 0, 0, false, {}};
    if (const auto* env = inv.envelope()) {
      s.sender = inv.network().peers().text(env->sender);
      s.sender_incarnation = env->incarnation;
      s.message_id = env->message_id;
      s.sender_in_cooldown = !inv.network().backoff().should_retry(env->sender, inv.now_ns());
    }
    for (std::uint32_t i = 0; i < inv.input_count(); ++i) s.values.push_back(inv.in(i));
    seen_log().push_back(std::move(s));
    return runtime::OpResult::ok();
  }
};

inline const runtime::OpRegistrar kSeenKernel{kSimTestDomain, "Seen", ir::OpKind::kEffect,
                                              &runtime::make_kernel<SeenKernel>};

// ---- Graph pieces, compiled by bbc ------------------------------------------------------------

// A source graph (ungated Sends and Recvs, as a user writes them) that program() compiles
// with the compiler library, so the gate chains the nodes run are exactly what bbc writes.
// The test's own `Seen` observers are not ops bbc knows: they are set aside, the graph is
// compiled, and they are put back behind the rx chain (a Recv output j they read becomes
// the chain's last output j) before the passport is stamped again.
class SimGraph {
 public:
  // Send(peer, channel) over `payloads`; returns it so callers can add attributes
  // (deadline_ns) or an output.
  onnx::NodeProto& send(std::string_view key, std::vector<std::string> payloads, std::string_view to,
                        std::string_view channel) {
    auto& s = add(ir::kWireDomain, ir::kSend, std::string(key), payloads, {});
    GraphBuilder::set_string(s, ir::kAttrPeer, GraphBuilder::peer_bytes(to));
    if (!channel.empty()) GraphBuilder::set_string(s, ir::kAttrChannel, channel);
    return s;
  }

  // The dynamic form: the last input is a peer list.
  onnx::NodeProto& send_dynamic(std::string_view key, std::vector<std::string> payloads, std::string_view peers,
                                std::string_view channel) {
    payloads.emplace_back(peers);
    auto& s = add(ir::kWireDomain, ir::kSend, std::string(key), payloads, {});
    if (!channel.empty()) GraphBuilder::set_string(s, ir::kAttrChannel, channel);
    return s;
  }

  // Recv(channel) with `payloads` outputs and the sender, observed by a Seen (behind the rx
  // chain once compiled). Returns the Recv's outputs (payloads, then sender): nodes that
  // read them read the rx chain's outputs once compiled.
  std::vector<std::string> recv(std::string_view key, std::size_t payloads, std::string_view channel,
                                bool seen = true) {
    const std::string k(key);
    std::vector<std::string> out;
    for (std::size_t j = 0; j < payloads; ++j) out.push_back(k + ".p" + std::to_string(j));
    out.push_back(k + ".from");
    auto& r = add(ir::kWireDomain, ir::kRecv, k, {}, out);
    if (!channel.empty()) GraphBuilder::set_string(r, ir::kAttrChannel, channel);
    if (seen) add(kSimTestDomain, "Seen", "seen@" + k, out, {});
    return out;
  }

  onnx::NodeProto& add(std::string_view domain, std::string_view op, const std::string& name,
                       const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
    auto& n = g_.node(domain, op, name, {}, {});
    for (const auto& i : inputs) n.add_input(i);
    for (const auto& o : outputs) n.add_output(o);
    return n;
  }
  onnx::NodeProto& interval(const std::string& out, std::int64_t period_ns) {
    auto& n = add(ir::kSyscallDomain, ir::kInterval, "tick", {}, {out});
    GraphBuilder::set_int(n, ir::kAttrPeriodNs, period_ns);
    return n;
  }

  // The model bbc compiles from this graph, with the observers put back.
  onnx::ModelProto compiled() const {
    onnx::ModelProto source = g_.raw_copy();
    std::vector<onnx::NodeProto> observers;
    auto* nodes = source.mutable_graph()->mutable_node();
    for (int i = nodes->size() - 1; i >= 0; --i) {
      if (nodes->Get(i).domain() != kSimTestDomain) continue;
      observers.insert(observers.begin(), nodes->Get(i));
      nodes->DeleteSubrange(i, 1);
    }
    compiler::DiagnosticEngine diags{"sim_graph"};
    std::ostringstream log;
    auto result = compiler::compile_model(source, "sim_graph", {}, diags, log);
    EXPECT_EQ(result.status.kind, compiler::PassStatus::Kind::kOk) << result.status.message;
    for (const auto& f : diags.findings())
      EXPECT_NE(f.severity, compiler::Severity::kError) << compiler::format_text(f);
    onnx::ModelProto model;
    EXPECT_TRUE(model.ParseFromString(result.bytes));
    // A Recv's output j, as its rx chain's last gate hands it on.
    const ir::GateInfo* last = nullptr;
    for (const auto& g : ir::kGates)
      if (!g.tx && (last == nullptr || g.rank > last->rank)) last = &g;
    std::map<std::string, std::string> gated;
    for (const auto& n : model.graph().node()) {
      if (!ir::is_recv(n)) continue;
      for (int j = 0; j < n.output_size(); ++j) gated[n.output(j)] = ir::gate_output_name(n.name(), last->out_infix, j);
    }
    for (auto observer : observers) {
      for (auto& in : *observer.mutable_input())
        if (auto it = gated.find(in); it != gated.end()) in = it->second;
      *model.mutable_graph()->add_node() = std::move(observer);
    }
    auto* op = model.add_opset_import();
    op->set_domain(std::string(kSimTestDomain));
    op->set_version(1);
    auto passport = ir::read_passport(model);
    EXPECT_TRUE(passport);
    if (passport) {
      passport->digest = ir::graph_digest(model);
      ir::write_passport(model, *passport);
    }
    return model;
  }

  std::shared_ptr<const runtime::Program> program(const std::string& label) const {
    auto p = runtime::Program::build(compiled(), label);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return p ? *p : nullptr;
  }

 private:
  GraphBuilder g_;
};

// ---- Watching a simulation ---------------------------------------------------------------------

// A node instance: one incarnation of a peer.
struct Instance {
  std::uint64_t attempts = 0;        // trace `attempt`
  std::uint64_t outcomes = 0;        // trace `outcome`
  std::uint64_t net_outcomes = 0;    // outcomes the network handed to it
  std::uint64_t in_flight_at_stop = 0;
  bool stopped = false;
  // The backoff schedule implied by its outcomes (no jitter): failures and next retry.
  std::map<std::string, std::pair<std::uint32_t, std::int64_t>> shadow;
};

// Watches a Simulation: the trace of every node, every network event, every instance.
// Checks as the run goes (violations are collected, not thrown) and at the end.
class Checker final : public runtime::TraceSink {
 public:
  explicit Checker(const runtime::NodeSettings& settings) : settings_(settings) {}

  void watch(sim::Simulation& sim) {
    sim_ = &sim;
    sim.on_started = [this](const PeerId& p, runtime::Node& n) { instances_[{p.to_text(), n.incarnation()}]; };
    sim.on_stopping = [this](const PeerId& p, runtime::Node& n) {
      Instance& i = instances_[{p.to_text(), n.incarnation()}];
      i.in_flight_at_stop = n.in_flight_attempts();
      i.stopped = true;
    };
    sim.network().set_observer([this](const sim::NetEvent& e) { on_net(e); });
  }

  void write(const runtime::TraceRecord& r) override {
    hash_.write(r);
    ++events_;
    if (r.event == runtime::TraceEvent::kAttempt) on_attempt(r);
    if (r.event == runtime::TraceEvent::kOutcome) on_outcome(r);
    if (r.event == runtime::TraceEvent::kDeny && r.reason == runtime::to_string(runtime::Reason::kCooldown) &&
        r.op_type == ir::kBackoffGateTx && !r.peer.empty())  // a filtering gate's final denial names no peer
      on_held(r);
  }

  // Ends the run: stops every node and drains the network, then checks the totals.
  void finish() {
    sim_->stop();
    sim_->run(runtime::Scheduler::kForever);
    std::uint64_t attempts = 0, outcomes = 0;
    for (const auto& [key, i] : instances_) {
      attempts += i.attempts;
      outcomes += i.outcomes;
      if (i.attempts != i.outcomes + i.in_flight_at_stop)
        fail(key.first + " incarnation " + std::to_string(key.second) + ": " + std::to_string(i.attempts) +
             " attempts, " + std::to_string(i.outcomes) + " outcomes, " + std::to_string(i.in_flight_at_stop) +
             " in flight when it stopped");
      if (i.net_outcomes != i.outcomes)
        fail(key.first + " incarnation " + std::to_string(key.second) + ": the network handed " +
             std::to_string(i.net_outcomes) + " outcomes, the node took " + std::to_string(i.outcomes));
    }
    const auto& t = sim_->network().totals();
    if (t.sent != attempts) fail("network sent " + std::to_string(t.sent) + ", nodes attempted " + std::to_string(attempts));
    if (t.sent != net_outcome_events_ + net_orphaned_events_)
      fail("sent " + std::to_string(t.sent) + " but " + std::to_string(net_outcome_events_) + " outcomes + " +
           std::to_string(net_orphaned_events_) + " orphaned: an attempt without exactly one ending");
    if (outcomes != net_outcome_events_) fail("outcome events differ from outcomes taken");
  }

  // The receiver-side invariants over what reached the graphs (Seen).
  void check_seen(const std::vector<Seen>& log) {
    std::set<std::tuple<std::string, std::uint64_t, std::string, std::uint64_t, std::uint64_t>> passed;
    for (const Seen& s : log) {
      if (s.sender.empty()) continue;  // not an envelope frame
      if (!passed.insert({s.receiver, s.receiver_incarnation, s.sender, s.sender_incarnation, s.message_id}).second)
        fail(s.receiver + ": a duplicate passed the dedup gate (from " + s.sender + " msg " +
             std::to_string(s.message_id) + ")");
      const PeerId from = PeerId::from_text(s.sender).value();
      for (const auto& b : settings_.governor.blocklist)
        if (b == from) fail(s.receiver + ": a payload of blocklisted " + s.sender + " reached the graph");
      if (!settings_.governor.allowlist.empty() &&
          std::find(settings_.governor.allowlist.begin(), settings_.governor.allowlist.end(), from) ==
              settings_.governor.allowlist.end())
        fail(s.receiver + ": a payload of non-allowlisted " + s.sender + " reached the graph");
      if (s.sender_in_cooldown) fail(s.receiver + ": BackoffGateRx let through " + s.sender + " in cooldown");
    }
  }

  std::string sha() { return hash_.finish_sha256(); }
  std::uint64_t events() const { return events_; }
  std::uint64_t held() const { return held_; }
  const std::vector<std::string>& violations() const { return violations_; }
  const std::map<std::pair<std::string, std::uint64_t>, Instance>& instances() const { return instances_; }

 private:
  Instance& live(std::string_view node) {
    const PeerId p = PeerId::from_text(node).value();
    runtime::Node* n = sim_->node(p);
    return instances_[{std::string(node), n ? n->incarnation() : 0}];
  }

  void on_attempt(const runtime::TraceRecord& r) {
    Instance& i = live(r.node);
    ++i.attempts;
    runtime::Node* n = sim_->node(PeerId::from_text(r.node).value());
    const PeerId dst = PeerId::from_text(r.peer).value();
    if (n != nullptr && !n->backoff().should_retry(dst, r.t_ns))
      fail(std::string(r.node) + ": an envelope left for " + std::string(r.peer) + " in cooldown at " +
           std::to_string(r.t_ns));
    if (settings_.backoff.jitter != runtime::Jitter::kNone) return;
    const auto it = i.shadow.find(std::string(r.peer));
    if (it != i.shadow.end() && r.t_ns < it->second.second)
      fail(std::string(r.node) + ": attempt to " + std::string(r.peer) + " at " + std::to_string(r.t_ns) +
           " before the schedule allows (" + std::to_string(it->second.second) + ")");
  }

  // A Send held for cooldown: the schedule must say so (no jitter).
  void on_held(const runtime::TraceRecord& r) {
    ++held_;
    if (settings_.backoff.jitter != runtime::Jitter::kNone) return;
    Instance& i = live(r.node);
    const auto it = i.shadow.find(std::string(r.peer));
    if (it == i.shadow.end() || r.t_ns >= it->second.second)
      fail(std::string(r.node) + ": held a send to " + std::string(r.peer) + " at " + std::to_string(r.t_ns) +
           " although the schedule allows it");
  }

  void on_outcome(const runtime::TraceRecord& r) {
    Instance& i = live(r.node);
    ++i.outcomes;
    auto& [failures, next] = i.shadow[std::string(r.peer)];
    if (r.outcome == runtime::to_string(runtime::OutcomeKind::kDelivered)) {
      failures = 0;
      next = 0;
      return;
    }
    ++failures;
    next = r.t_ns + runtime::backoff_delay(settings_.backoff.base_ns, settings_.backoff.cap_ns, failures);
  }

  void on_net(const sim::NetEvent& e) {
    if (e.kind == sim::NetEventKind::kOrphaned) ++net_orphaned_events_;
    if (e.kind != sim::NetEventKind::kOutcome) return;
    ++net_outcome_events_;
    ++live(sim_->network().peer(e.src).to_text()).net_outcomes;
  }

  void fail(std::string what) {
    if (violations_.size() < 20) violations_.push_back(std::move(what));
  }

  sim::Simulation* sim_ = nullptr;
  runtime::NodeSettings settings_;
  runtime::JsonlTrace hash_{nullptr};
  std::uint64_t events_ = 0, held_ = 0;
  std::uint64_t net_outcome_events_ = 0, net_orphaned_events_ = 0;
  std::map<std::pair<std::string, std::uint64_t>, Instance> instances_;
  std::vector<std::string> violations_;
};

// A simulation whose every node is watched by a Checker.
struct SimRun {
  explicit SimRun(sim::SimulationConfig config) : checker(config.settings), sim(traced(std::move(config), checker)) {
    checker.watch(sim);
  }
  static sim::SimulationConfig traced(sim::SimulationConfig config, Checker& checker) {
    config.trace = &checker;
    return config;
  }
  // Starts, runs [0, until), ends and drains; fails the test on any violation.
  void run(std::int64_t until_ns) {
    auto started = sim.start();
    ASSERT_TRUE(started) << started.error();
    sim.run(until_ns);
    reports = sim.reports();
    checker.finish();
    checker.check_seen(seen_log());
    for (const auto& v : checker.violations()) ADD_FAILURE() << v;
  }
  const runtime::NodeReport& report(std::string_view name) const {
    for (const auto& r : reports)
      if (r.peer == "id:" + std::string(name)) return r;
    static const runtime::NodeReport kNone;
    ADD_FAILURE() << "no report for " << name;
    return kNone;
  }

  Checker checker;
  sim::Simulation sim;
  std::vector<runtime::NodeReport> reports;
};

}  // namespace bb::testing
