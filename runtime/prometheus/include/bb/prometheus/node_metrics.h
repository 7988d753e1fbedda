// A node's metrics in a Prometheus registry (`bbrun --metrics-listen`, docs/observability.md).
//
// The engine is single-threaded and owns its state: nothing here reads a node. The
// node's thread takes a Snapshot (a copy) and update() writes it into the registry;
// the HTTP server's threads only read the registry, whose metrics are atomic.
//
// Peer labels are bounded: at each update the `max_peer_labels` busiest peers (attempts
// plus held sends, ties by name) keep their own `peer` label and every other peer is
// counted under peer="other". Counters grow by what happened since the last update,
// under the label the peer has now; a peer that leaves the top loses its series, so
// the number of series never exceeds (max_peer_labels + 1) per label combination.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "bb/runtime/metrics.h"
#include "bb/runtime/node.h"
#include "bb/runtime/reasons.h"

namespace bb::prom {

// The transport's side (bytes and connection state per peer). A network transport
// implements TransportStatsSource; the exporter calls it on the node's thread at every
// snapshot. Without one the transport families stay empty.
enum class ConnectionState : std::uint8_t { kIdle, kConnecting, kReady, kTransientFailure, kShutdown };
inline constexpr int kConnectionStates = 5;
// "idle", "connecting", "ready", "transient_failure", "shutdown".
std::string_view to_string(ConnectionState state);

struct PeerTransportStats {
  std::string peer;  // text form
  std::uint64_t bytes_sent = 0;      // cumulative
  std::uint64_t bytes_received = 0;  // cumulative
  ConnectionState state = ConnectionState::kIdle;
};

class TransportStatsSource {
 public:
  virtual ~TransportStatsSource() = default;
  // Appends one entry per peer the transport knows (called on the node's thread).
  virtual void transport_stats(std::vector<PeerTransportStats>& out) const = 0;
};

// What the node's Send attempts did per destination (cumulative), gathered by
// PeerTraffic from the feedback loop.
struct PeerCounts {
  std::array<std::uint64_t, runtime::kOutcomeKinds> attempts{};  // by OutcomeKind
  std::array<std::uint64_t, runtime::kReasonCount> held{};       // Tx gate holds by Reason
  std::uint64_t total() const;
};

// Counts attempts and holds per destination peer: a PeerObserver for the node.
class PeerTraffic final : public runtime::PeerObserver {
 public:
  void outcome(const runtime::PeerOutcome& change) override;
  void held(std::int64_t t_ns, std::string_view node, std::string_view peer, runtime::Reason reason) override;
  const std::map<std::string, PeerCounts, std::less<>>& peers() const { return peers_; }

 private:
  std::map<std::string, PeerCounts, std::less<>> peers_;
};

// One copy of a node's state, taken on its thread.
struct Snapshot {
  std::int64_t now_ns = 0;
  runtime::NodeReport report;  // counters, gates, receives, peers with failures
  std::size_t frames_alive = 0;
  std::size_t attempts_in_flight = 0;
  std::map<std::string, PeerCounts, std::less<>> traffic;
  std::vector<PeerTransportStats> transport;
};

// `now_ns`: the node's clock (the remaining cooldowns are measured from it).
Snapshot take_snapshot(std::int64_t now_ns, const runtime::Node& node, const PeerTraffic& traffic,
                       const TransportStatsSource* transport);

class NodeMetricsRegistry {
 public:
  explicit NodeMetricsRegistry(std::size_t max_peer_labels = 10);
  NodeMetricsRegistry(const NodeMetricsRegistry&) = delete;
  NodeMetricsRegistry& operator=(const NodeMetricsRegistry&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  void update(const Snapshot& snapshot);

 private:
  using Labels = std::map<std::string, std::string>;
  // One metric family and the series created in it, by labels.
  template <class T>
  struct Series {
    prometheus::Family<T>* family;
    std::map<Labels, T*> metrics;
    T& at(const Labels& labels);
    void remove_peer(const std::string& peer);  // every series with peer=`peer`
  };
  struct PeerSeen {  // cumulative values at the last update
    PeerCounts counts;
    std::uint64_t bytes_sent = 0, bytes_received = 0;
  };
  std::vector<std::string> top_peers(const Snapshot& s) const;
  void update_node(const Snapshot& s);
  void update_peers(const Snapshot& s);

  std::size_t max_peer_labels_;
  std::shared_ptr<prometheus::Registry> registry_;
  Series<prometheus::Counter> executions_, dispatches_, skipped_, attempts_, held_, gates_, receives_,
      transport_bytes_;
  Series<prometheus::Gauge> failures_, remaining_, up_, peers_down_, frames_alive_, in_flight_, graph_counters_,
      connection_;
  std::map<std::string, PeerSeen, std::less<>> seen_;  // by peer
  std::vector<std::string> labelled_;                  // peers with their own label now, sorted
};

}  // namespace bb::prom
