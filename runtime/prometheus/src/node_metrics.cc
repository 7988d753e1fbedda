#include "bb/prometheus/node_metrics.h"

#include <algorithm>
#include <array>

#include "bb/ir/gates.h"
#include "bb/runtime/transport.h"

namespace bb::prom {
namespace {

constexpr std::array<std::string_view, kConnectionStates> kStates{"idle", "connecting", "ready", "transient_failure",
                                                                  "shutdown"};
constexpr std::string_view kOther = "other";

template <class T>
prometheus::Family<T>& family(prometheus::Registry& r, const std::string& name, const std::string& help);
template <>
prometheus::Family<prometheus::Counter>& family(prometheus::Registry& r, const std::string& name,
                                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
template <>
prometheus::Family<prometheus::Gauge>& family(prometheus::Registry& r, const std::string& name,
                                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

std::string label(runtime::OutcomeKind k) { return std::string(runtime::to_string(k)); }
std::string label(runtime::Reason r) { return std::string(runtime::to_string(r)); }

}  // namespace

std::string_view to_string(ConnectionState state) { return kStates[static_cast<std::size_t>(state)]; }

std::uint64_t PeerCounts::total() const {
  std::uint64_t n = 0;
  for (auto a : attempts) n += a;
  for (auto h : held) n += h;
  return n;
}

void PeerTraffic::outcome(const runtime::PeerOutcome& c) {
  auto it = peers_.find(c.peer);
  if (it == peers_.end()) it = peers_.emplace(std::string(c.peer), PeerCounts{}).first;
  ++it->second.attempts[static_cast<std::size_t>(c.outcome)];
}

void PeerTraffic::held(std::int64_t, std::string_view, std::string_view peer, runtime::Reason reason) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) it = peers_.emplace(std::string(peer), PeerCounts{}).first;
  ++it->second.held[static_cast<std::size_t>(reason)];
}

Snapshot take_snapshot(std::int64_t now_ns, const runtime::Node& node, const PeerTraffic& traffic,
                       const TransportStatsSource* transport) {
  Snapshot s;
  s.now_ns = now_ns;
  s.report = node.report();
  s.frames_alive = node.live_frames();
  s.attempts_in_flight = node.in_flight_attempts();
  s.traffic = traffic.peers();
  if (transport != nullptr) transport->transport_stats(s.transport);
  return s;
}

template <class T>
T& NodeMetricsRegistry::Series<T>::at(const Labels& labels) {
  auto it = metrics.find(labels);
  if (it != metrics.end()) return *it->second;
  T& m = family->Add(labels);
  metrics.emplace(labels, &m);
  return m;
}

template <class T>
void NodeMetricsRegistry::Series<T>::remove_peer(const std::string& peer) {
  for (auto it = metrics.begin(); it != metrics.end();) {
    auto p = it->first.find("peer");
    if (p != it->first.end() && p->second == peer) {
      family->Remove(it->second);
      it = metrics.erase(it);
    } else {
      ++it;
    }
  }
}

NodeMetricsRegistry::NodeMetricsRegistry(std::size_t max_peer_labels)
    : max_peer_labels_(max_peer_labels), registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  using C = prometheus::Counter;
  using G = prometheus::Gauge;
  executions_.family = &family<C>(r, "bb_executions_total", "Executions started by a trigger source or an envelope");
  dispatches_.family = &family<C>(r, "bb_dispatches_total", "Kernel runs, static and in executions");
  skipped_.family = &family<C>(r, "bb_skipped_total", "Nodes that did not run because something upstream failed");
  attempts_.family = &family<C>(r, "bb_attempts_total", "Send attempts by destination peer and outcome");
  held_.family = &family<C>(r, "bb_sends_held_total", "Sends a Tx gate held, by destination peer and reason");
  gates_.family = &family<C>(r, "bb_gate_decisions_total", "Gate decisions by gate, outcome (allowed, denied) and reason");
  receives_.family = &family<C>(r, "bb_receives_total",
                                "Received envelopes by outcome (accepted, dropped, refused) and reason");
  transport_bytes_.family = &family<C>(r, "bb_transport_bytes_total", "Bytes the transport moved, by peer and direction");
  failures_.family = &family<G>(r, "bb_peer_backoff_failures", "Consecutive failed attempts towards a peer");
  remaining_.family = &family<G>(r, "bb_peer_backoff_remaining_seconds",
                                 "Seconds until the backoff gate lets a Send to the peer through again");
  up_.family = &family<G>(r, "bb_peer_up", "1 when the peer-health governor considers the peer up, else 0");
  peers_down_.family = &family<G>(r, "bb_peers_down", "Peers the peer-health governor considers down");
  frames_alive_.family = &family<G>(r, "bb_frames_alive", "Executions in progress (frames alive)");
  in_flight_.family = &family<G>(r, "bb_attempts_in_flight", "Send attempts waiting for their outcome");
  graph_counters_.family = &family<G>(r, "bb_graph_counter", "IncrMetric counters of the graph, by name");
  connection_.family = &family<G>(r, "bb_transport_connection_state",
                                  "1 for the transport connection's current state towards a peer, else 0");
}

std::vector<std::string> NodeMetricsRegistry::top_peers(const Snapshot& s) const {
  std::vector<std::pair<std::uint64_t, std::string>> ranked;
  for (const auto& [peer, counts] : s.traffic) ranked.emplace_back(counts.total(), peer);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ranked.size() && out.size() < max_peer_labels_; ++i)
    if (ranked[i].second != kOther) out.push_back(ranked[i].second);
  std::sort(out.begin(), out.end());
  return out;
}

void NodeMetricsRegistry::update(const Snapshot& s) {
  update_node(s);
  update_peers(s);
}

void NodeMetricsRegistry::update_node(const Snapshot& s) {
  const runtime::NodeMetrics& m = s.report.metrics;
  const std::string& node = s.report.peer;
  auto set_total = [](prometheus::Counter& c, std::uint64_t total) {
    const double delta = static_cast<double>(total) - c.Value();
    if (delta > 0) c.Increment(delta);
  };
  set_total(executions_.at({{"node", node}}), m.executions);
  set_total(dispatches_.at({{"node", node}}), m.dispatches);
  set_total(skipped_.at({{"node", node}}), m.skipped);
  for (int g = 0; g < runtime::kGateKinds; ++g) {
    if (!m.gate_present[static_cast<std::size_t>(g)]) continue;
    const std::string gate(ir::kGates[static_cast<std::size_t>(g)].op_type);
    const auto& counts = m.gates[static_cast<std::size_t>(g)];
    set_total(gates_.at({{"node", node}, {"gate", gate}, {"outcome", "allowed"}, {"reason", ""}}), counts[0]);
    for (int r = 1; r < runtime::kReasonCount; ++r)
      if (counts[static_cast<std::size_t>(r)] != 0)
        set_total(gates_.at({{"node", node}, {"gate", gate}, {"outcome", "denied"},
                             {"reason", label(static_cast<runtime::Reason>(r))}}),
                  counts[static_cast<std::size_t>(r)]);
  }
  set_total(receives_.at({{"node", node}, {"outcome", "accepted"}, {"reason", ""}}), m.receives_accepted);
  for (int r = 1; r < runtime::kReasonCount; ++r)
    if (m.receive_drops[static_cast<std::size_t>(r)] != 0)
      set_total(receives_.at({{"node", node}, {"outcome", "dropped"}, {"reason", label(static_cast<runtime::Reason>(r))}}),
                m.receive_drops[static_cast<std::size_t>(r)]);
  for (const auto& [reason, count] : s.report.refused)
    set_total(receives_.at({{"node", node}, {"outcome", "refused"}, {"reason", reason}}), count);
  frames_alive_.at({{"node", node}}).Set(static_cast<double>(s.frames_alive));
  in_flight_.at({{"node", node}}).Set(static_cast<double>(s.attempts_in_flight));
  std::size_t down = 0;
  for (const auto& p : s.report.peers) down += p.down ? 1 : 0;
  peers_down_.at({{"node", node}}).Set(static_cast<double>(down));
  for (const auto& [name, value] : m.counters)
    graph_counters_.at({{"node", node}, {"name", name}}).Set(static_cast<double>(value));
}

void NodeMetricsRegistry::update_peers(const Snapshot& s) {
  const std::string& node = s.report.peer;
  const std::vector<std::string> top = top_peers(s);
  for (const auto& peer : labelled_) {
    if (std::binary_search(top.begin(), top.end(), peer)) continue;
    attempts_.remove_peer(peer), held_.remove_peer(peer), transport_bytes_.remove_peer(peer);
    failures_.remove_peer(peer), remaining_.remove_peer(peer), up_.remove_peer(peer), connection_.remove_peer(peer);
  }
  labelled_ = top;
  auto peer_label = [&](const std::string& peer) {
    return std::binary_search(top.begin(), top.end(), peer) ? peer : std::string(kOther);
  };

  for (const auto& [peer, counts] : s.traffic) {
    PeerSeen& seen = seen_[peer];
    const std::string p = peer_label(peer);
    for (int k = 0; k < runtime::kOutcomeKinds; ++k) {
      const auto now = counts.attempts[static_cast<std::size_t>(k)];
      auto& before = seen.counts.attempts[static_cast<std::size_t>(k)];
      if (now > before || p == peer)
        attempts_.at({{"node", node}, {"peer", p}, {"outcome", label(static_cast<runtime::OutcomeKind>(k))}})
            .Increment(static_cast<double>(now - before));
      before = now;
    }
    for (int r = 1; r < runtime::kReasonCount; ++r) {
      const auto now = counts.held[static_cast<std::size_t>(r)];
      auto& before = seen.counts.held[static_cast<std::size_t>(r)];
      if (now > before)
        held_.at({{"node", node}, {"peer", p}, {"reason", label(static_cast<runtime::Reason>(r))}})
            .Increment(static_cast<double>(now - before));
      before = now;
    }
  }
  // Backoff and health of the labelled peers: peers without failures are up, no cooldown.
  for (const auto& peer : top) {
    auto it = std::find_if(s.report.peers.begin(), s.report.peers.end(), [&](const auto& r) { return r.peer == peer; });
    const bool tracked = it != s.report.peers.end();
    const Labels labels{{"node", node}, {"peer", peer}};
    failures_.at(labels).Set(tracked ? it->failures : 0);
    const std::int64_t remaining = tracked ? it->next_retry_ns - s.now_ns : 0;
    remaining_.at(labels).Set(remaining > 0 ? static_cast<double>(remaining) / 1e9 : 0.0);
    up_.at(labels).Set(tracked && it->down ? 0 : 1);
  }
  for (const auto& t : s.transport) {
    PeerSeen& seen = seen_[t.peer];
    const std::string p = peer_label(t.peer);
    if (t.bytes_sent > seen.bytes_sent)
      transport_bytes_.at({{"node", node}, {"peer", p}, {"direction", "sent"}})
          .Increment(static_cast<double>(t.bytes_sent - seen.bytes_sent));
    if (t.bytes_received > seen.bytes_received)
      transport_bytes_.at({{"node", node}, {"peer", p}, {"direction", "received"}})
          .Increment(static_cast<double>(t.bytes_received - seen.bytes_received));
    seen.bytes_sent = t.bytes_sent;
    seen.bytes_received = t.bytes_received;
    if (p != t.peer) continue;  // a state per connection is only meaningful for a named peer
    for (int k = 0; k < kConnectionStates; ++k)
      connection_.at({{"node", node}, {"peer", p}, {"state", std::string(kStates[static_cast<std::size_t>(k)])}})
          .Set(static_cast<int>(t.state) == k ? 1 : 0);
  }
}

}  // namespace bb::prom
