#include "bb/prometheus/exporter.h"

#include <exception>

#include <prometheus/exposer.h>

namespace bb::prom {

Exporter::Exporter(const ExporterOptions& options) : options_(options), metrics_(options.max_peer_labels) {}

Exporter::~Exporter() = default;

void Exporter::stop() {
  if (scheduler_ != nullptr && timer_ != 0) scheduler_->cancel(timer_);
  timer_ = 0;
  snapshot();
  node_ = nullptr;
}

Expected<std::unique_ptr<Exporter>, std::string> Exporter::listen(const ExporterOptions& options) {
  std::unique_ptr<Exporter> out(new Exporter(options));
  try {
    // One server thread is plenty for a scrape every few seconds.
    out->exposer_ = std::make_unique<prometheus::Exposer>(options.listen, 1);
  } catch (const std::exception& e) {
    return unexpected("--metrics-listen " + options.listen + ": cannot listen (" + e.what() +
                      ") [hint: HOST:PORT with a free port, e.g. 127.0.0.1:9464]");
  }
  out->exposer_->RegisterCollectable(out->metrics_.registry());
  return out;
}

int Exporter::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void Exporter::watch(const runtime::Node& node, runtime::Scheduler& scheduler, const TransportStatsSource* transport) {
  node_ = &node;
  scheduler_ = &scheduler;
  transport_ = transport;
  snapshot();
  arm();
}

void Exporter::arm() {
  timer_ = scheduler_->after(options_.period_ns, runtime::EventClass::kTimer, [this] {
    timer_ = 0;
    snapshot();
    if (!scheduler_->empty()) arm();  // nothing else to do: let the run end
  });
}

void Exporter::snapshot() {
  if (node_ == nullptr || scheduler_ == nullptr) return;
  metrics_.update(take_snapshot(scheduler_->now_ns(), *node_, traffic_, transport_));
}

}  // namespace bb::prom
