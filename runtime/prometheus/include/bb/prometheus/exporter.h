// `bbrun --metrics-listen HOST:PORT`: one node's metrics served at /metrics in the
// Prometheus text format by prometheus-cpp's HTTP server (its own threads).
//
// Every `period_ns` of the node's clock a scheduler event on the node's thread copies a
// snapshot into the registry; the server threads read only the registry. The event
// re-arms itself only while the scheduler has other work, so an idle run still ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bb/ir/expected.h"
#include "bb/prometheus/node_metrics.h"
#include "bb/runtime/node.h"
#include "bb/runtime/scheduler.h"

namespace prometheus {
class Exposer;
}

namespace bb::prom {

struct ExporterOptions {
  std::string listen;                     // HOST:PORT (PORT 0: any free port)
  std::size_t max_peer_labels = 10;       // busiest peers with their own label
  std::int64_t period_ns = 250'000'000;   // snapshot period
};

class Exporter {
 public:
  // Binds and starts serving (an empty registry until the first snapshot). Fails with a
  // message naming the address when it cannot listen.
  static Expected<std::unique_ptr<Exporter>, std::string> listen(const ExporterOptions& options);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // The port actually bound (useful with PORT 0).
  int port() const;
  // The node's observer: counts attempts and holds per peer (set it in NodeConfig).
  PeerTraffic& traffic() { return traffic_; }
  // Starts the periodic snapshots of `node` on `scheduler` (the node's thread).
  void watch(const runtime::Node& node, runtime::Scheduler& scheduler, const TransportStatsSource* transport = nullptr);
  // One snapshot now.
  void snapshot();
  // The last snapshot, and no more timer: call it before the node or the scheduler go
  // (the server keeps answering with the final values until the Exporter is destroyed).
  void stop();

 private:
  explicit Exporter(const ExporterOptions& options);
  void arm();

  ExporterOptions options_;
  NodeMetricsRegistry metrics_;
  PeerTraffic traffic_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  const runtime::Node* node_ = nullptr;
  runtime::Scheduler* scheduler_ = nullptr;
  const TransportStatsSource* transport_ = nullptr;
  runtime::EventId timer_ = 0;
};

}  // namespace bb::prom
