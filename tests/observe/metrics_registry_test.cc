// The Prometheus registry of a node (bb::prom::NodeMetricsRegistry) on hand-made
// snapshots: names and labels, node totals, peer labels bounded to the busiest N plus
// `other` with nothing lost, gauges of backoff and health, the transport hook.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "bb/prometheus/node_metrics.h"

namespace bb::prom {
namespace {

using runtime::OutcomeKind;
using runtime::Reason;

std::string text(const NodeMetricsRegistry& m) { return prometheus::TextSerializer().Serialize(m.registry()->Collect()); }

// Every sample line of `metric`: labels text -> value.
std::map<std::string, double> series(const std::string& exposition, const std::string& metric) {
  std::map<std::string, double> out;
  std::istringstream in(exposition);
  const std::regex line("^" + metric + "\\{([^}]*)\\} (\\S+)$");
  std::smatch m;
  for (std::string l; std::getline(in, l);)
    if (std::regex_match(l, m, line)) out[m[1].str()] = std::stod(m[2].str());
  return out;
}

double sum(const std::map<std::string, double>& s) {
  double n = 0;
  for (const auto& [labels, v] : s) n += v;
  return n;
}

std::set<std::string> peers_of(const std::map<std::string, double>& s) {
  std::set<std::string> out;
  const std::regex peer("peer=\"([^\"]*)\"");
  std::smatch m;
  for (const auto& [labels, v] : s)
    if (std::regex_search(labels, m, peer)) out.insert(m[1].str());
  return out;
}

Snapshot base() {
  Snapshot s;
  s.now_ns = 1'000'000'000;
  s.report.peer = "id:me";
  s.report.metrics.executions = 7;
  s.report.metrics.dispatches = 30;
  s.report.metrics.gate_present[1] = true;  // BackoffGateTx
  s.report.metrics.gates[1][0] = 5;
  s.report.metrics.gates[1][static_cast<std::size_t>(Reason::kCooldown)] = 2;
  s.report.metrics.receive_drops[static_cast<std::size_t>(Reason::kDuplicate)] = 3;
  s.report.metrics.counters = {{"rounds", 4}};
  s.report.refused = {{"oversized", 1}};
  s.frames_alive = 2;
  return s;
}

TEST(NodeMetricsRegistry, NodeTotalsAndNames) {
  NodeMetricsRegistry m;
  m.update(base());
  const std::string t = text(m);
  EXPECT_NE(t.find("bb_executions_total{node=\"id:me\"} 7"), std::string::npos) << t;
  EXPECT_NE(t.find("bb_dispatches_total{node=\"id:me\"} 30"), std::string::npos);
  EXPECT_NE(t.find("bb_gate_decisions_total{gate=\"BackoffGateTx\",node=\"id:me\",outcome=\"denied\",reason=\"cooldown\"} 2"),
            std::string::npos) << t;
  EXPECT_NE(t.find("bb_gate_decisions_total{gate=\"BackoffGateTx\",node=\"id:me\",outcome=\"allowed\",reason=\"\"} 5"),
            std::string::npos);
  EXPECT_NE(t.find("bb_receives_total{node=\"id:me\",outcome=\"dropped\",reason=\"duplicate\"} 3"), std::string::npos);
  EXPECT_NE(t.find("bb_receives_total{node=\"id:me\",outcome=\"refused\",reason=\"oversized\"} 1"), std::string::npos);
  EXPECT_NE(t.find("bb_graph_counter{name=\"rounds\",node=\"id:me\"} 4"), std::string::npos);
  EXPECT_NE(t.find("bb_frames_alive{node=\"id:me\"} 2"), std::string::npos);
  EXPECT_NE(t.find("# TYPE bb_executions_total counter"), std::string::npos);
  // Counters follow the node's totals (they only grow).
  Snapshot later = base();
  later.report.metrics.executions = 9;
  m.update(later);
  EXPECT_NE(text(m).find("bb_executions_total{node=\"id:me\"} 9"), std::string::npos);
}

TEST(NodeMetricsRegistry, PeerLabelsAreTheBusiestNPlusOtherAndNothingIsLost) {
  NodeMetricsRegistry m(3);
  Snapshot s = base();
  std::uint64_t attempts = 0;
  for (int i = 0; i < 15; ++i) {
    auto& c = s.traffic["id:p" + std::to_string(10 + i)];
    c.attempts[static_cast<std::size_t>(OutcomeKind::kDelivered)] = 10 + i;  // p24 is the busiest
    c.held[static_cast<std::size_t>(Reason::kCooldown)] = 1;
    attempts += 10 + i;
  }
  m.update(s);
  auto a = series(text(m), "bb_attempts_total");
  EXPECT_EQ(peers_of(a), (std::set<std::string>{"id:p22", "id:p23", "id:p24", "other"}));
  EXPECT_EQ(sum(a), static_cast<double>(attempts));
  EXPECT_EQ(sum(series(text(m), "bb_sends_held_total")), 15.0);
  EXPECT_EQ(peers_of(series(text(m), "bb_peer_up")), (std::set<std::string>{"id:p22", "id:p23", "id:p24"}));

  // p10 becomes the busiest: it takes a label, p22 loses its series; only growth is added.
  s.traffic["id:p10"].attempts[static_cast<std::size_t>(OutcomeKind::kTimeout)] = 100;
  m.update(s);
  a = series(text(m), "bb_attempts_total");
  EXPECT_EQ(peers_of(a), (std::set<std::string>{"id:p10", "id:p23", "id:p24", "other"}));
  EXPECT_LE(a.size(), 4u * runtime::kOutcomeKinds);
  EXPECT_EQ(a["node=\"id:me\",outcome=\"timeout\",peer=\"id:p10\""], 100.0);
}

TEST(NodeMetricsRegistry, BackoffAndHealthGaugesOfLabelledPeers) {
  NodeMetricsRegistry m;
  Snapshot s = base();
  s.traffic["id:bob"].attempts[static_cast<std::size_t>(OutcomeKind::kUnreachable)] = 6;
  s.traffic["id:carol"].attempts[static_cast<std::size_t>(OutcomeKind::kDelivered)] = 6;
  s.report.peers.push_back(runtime::PeerReport{"id:bob", 6, s.now_ns + 250'000'000, true});
  m.update(s);
  const std::string t = text(m);
  EXPECT_NE(t.find("bb_peer_backoff_failures{node=\"id:me\",peer=\"id:bob\"} 6"), std::string::npos) << t;
  EXPECT_NE(t.find("bb_peer_backoff_remaining_seconds{node=\"id:me\",peer=\"id:bob\"} 0.25"), std::string::npos) << t;
  EXPECT_NE(t.find("bb_peer_up{node=\"id:me\",peer=\"id:bob\"} 0"), std::string::npos);
  EXPECT_NE(t.find("bb_peer_up{node=\"id:me\",peer=\"id:carol\"} 1"), std::string::npos);
  EXPECT_NE(t.find("bb_peers_down{node=\"id:me\"} 1"), std::string::npos);
}

TEST(NodeMetricsRegistry, TransportHookFillsBytesAndConnectionState) {
  struct FakeTransport final : TransportStatsSource {
    void transport_stats(std::vector<PeerTransportStats>& out) const override {
      out.push_back({"id:bob", 1000, 250, ConnectionState::kReady});
    }
  } transport;
  NodeMetricsRegistry m;
  Snapshot s = base();
  s.traffic["id:bob"].attempts[0] = 1;
  transport.transport_stats(s.transport);
  m.update(s);
  const std::string t = text(m);
  EXPECT_NE(t.find("bb_transport_bytes_total{direction=\"sent\",node=\"id:me\",peer=\"id:bob\"} 1000"), std::string::npos)
      << t;
  EXPECT_NE(t.find("bb_transport_bytes_total{direction=\"received\",node=\"id:me\",peer=\"id:bob\"} 250"),
            std::string::npos);
  EXPECT_NE(t.find("bb_transport_connection_state{node=\"id:me\",peer=\"id:bob\",state=\"ready\"} 1"), std::string::npos);
  EXPECT_NE(t.find("bb_transport_connection_state{node=\"id:me\",peer=\"id:bob\",state=\"connecting\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace bb::prom
