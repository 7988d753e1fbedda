#include "bb/sim/host.h"

#include <spdlog/spdlog.h>

#include "bb/ir/envelope.h"

namespace bb::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t node_seed(std::uint64_t run_seed, const PeerId& peer, std::uint64_t incarnation) {
  std::uint64_t x = splitmix64(run_seed);
  for (const char c : peer.bytes()) x = splitmix64(x ^ static_cast<unsigned char>(c));
  return splitmix64(x ^ incarnation);
}

Simulation::Simulation(SimulationConfig config)
    : config_(std::move(config)), net_([&] {
        NetworkConfig n = config_.network;
        n.send_timeout_ns = config_.settings.send.timeout_ns;
        return n;
      }()) {
  net_.set_hooks({.on_crash = [this](const PeerId& p) { crash(p); },
                  .on_restart = [this](const PeerId& p, std::uint64_t inc) { restart(p, inc); }});
  net_.set_partition_hook([this](const std::vector<PeerId>& members, bool started) {
    if (on_partition) on_partition(members, now_ns(), started);
  });
}

Simulation::~Simulation() {
  // Nodes first: their kernels cancel timers in the network's scheduler.
  for (Hosted& h : hosted_) {
    if (!h.node) continue;
    if (on_stopping) on_stopping(h.peer, *h.node);
    net_.detach(h.peer);
    h.node.reset();
  }
}

void Simulation::add_node(const PeerId& peer, std::shared_ptr<const runtime::Program> program,
                          std::vector<std::pair<std::string, runtime::Value>> inputs) {
  net_.add_node(peer);
  hosted_.push_back(Hosted{peer, std::move(program), std::move(inputs), nullptr, {}});
}

void Simulation::add_fault(const Fault& fault) { net_.add_fault(fault); }

Simulation::Hosted* Simulation::find(const PeerId& peer) {
  for (Hosted& h : hosted_)
    if (h.peer == peer) return &h;
  return nullptr;
}

runtime::Node* Simulation::node(const PeerId& peer) {
  Hosted* h = find(peer);
  return h == nullptr ? nullptr : h->node.get();
}

Expected<std::unique_ptr<runtime::Node>, std::string> Simulation::create(Hosted& h, std::uint64_t incarnation) {
  runtime::NodeConfig config;
  config.peer = h.peer;
  config.seed = node_seed(config_.network.seed, h.peer, incarnation);
  config.incarnation = incarnation;
  config.settings = config_.settings;
  config.trace = config_.trace;
  config.observer = config_.observer;
  config.inputs = h.inputs;  // values share their payloads: no copy of the tensors
  config.transport = [this, &peer = h.peer](runtime::TransportEndpoint& endpoint, runtime::ChannelFilter accepts)
      -> Expected<runtime::Transport*, std::string> { return &net_.attach(peer, endpoint, std::move(accepts)); };
  auto node = runtime::Node::create(h.program, net_.scheduler(), std::move(config));
  if (!node) return unexpected(h.peer.to_text() + ": " + node.error().message);
  return std::move(*node);
}

void Simulation::launch(Hosted& h, std::unique_ptr<runtime::Node> node) {
  runtime::Node* n = node.get();
  h.node = std::move(node);
  n->start();
  if (on_started) on_started(h.peer, *n);
}

Expected<void, std::string> Simulation::start() {
  std::vector<std::unique_ptr<runtime::Node>> made(hosted_.size());
  std::string problems;
  for (std::size_t i = 0; i < hosted_.size(); ++i) {
    auto node = create(hosted_[i], net_.incarnation(hosted_[i].peer) + 1);
    if (!node) {
      problems += (problems.empty() ? "" : "\n") + node.error();
      continue;
    }
    made[i] = std::move(*node);
  }
  if (!problems.empty()) {
    // The instances that were made are attached: the network must not call them.
    for (std::size_t i = 0; i < hosted_.size(); ++i)
      if (made[i]) net_.detach(hosted_[i].peer);
    return unexpected(std::move(problems));
  }
  for (std::size_t i = 0; i < hosted_.size(); ++i) launch(hosted_[i], std::move(made[i]));
  return {};
}

void Simulation::run(std::int64_t until_ns, const std::atomic<bool>* stop) { net_.scheduler().run(until_ns, stop); }

void Simulation::retire(Hosted& h) {
  if (on_stopping) on_stopping(h.peer, *h.node);
  h.retired.merge(h.node->report().metrics);
  h.node.reset();  // the destructor cancels the node's timers
}

void Simulation::crash(const PeerId& peer) {
  Hosted* h = find(peer);
  if (h == nullptr || !h->node) return;
  retire(*h);
  if (on_crash) on_crash(peer, now_ns());
}

void Simulation::stop() {
  stopped_ = true;
  for (Hosted& h : hosted_) {
    if (!h.node) continue;
    net_.detach(h.peer);
    retire(h);
  }
}

void Simulation::restart(const PeerId& peer, std::uint64_t incarnation) {
  Hosted* h = find(peer);
  if (h == nullptr || stopped_) return;
  auto node = create(*h, incarnation);
  if (!node) {
    // The same program instantiated before; a failure here is a bug, not an input error.
    spdlog::error("restart of {} failed: {}", peer.to_text(), node.error());
    return;
  }
  launch(*h, std::move(*node));
  if (on_restart) on_restart(peer, now_ns(), incarnation);
}

std::vector<runtime::NodeReport> Simulation::reports() const {
  std::vector<runtime::NodeReport> out;
  for (const Hosted& h : hosted_) {
    runtime::NodeReport r;
    if (h.node) r = h.node->report();
    r.peer = h.peer.to_text();
    runtime::NodeMetrics live = std::move(r.metrics);
    r.metrics = h.retired;
    r.metrics.merge(live);
    const ir::EnvelopeRejections& refused = net_.rejections(h.peer);
    for (const ir::EnvelopeReason reason : ir::kEnvelopeReasons)
      if (refused.count(reason) != 0) r.refused.emplace_back(std::string(ir::to_string(reason)), refused.count(reason));
    out.push_back(std::move(r));
  }
  return out;
}

runtime::NetworkStats Simulation::network_stats() const {
  const NetworkTotals& t = net_.totals();
  return runtime::NetworkStats{t.sent, t.delivered, t.lost, t.duplicated};
}

}  // namespace bb::sim
