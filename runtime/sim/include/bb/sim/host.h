// Real nodes on the simulated network (docs/simulation.md): the engine (bb::runtime::Node with
// the kernels of bb::ops) hosted on a SimNetwork. This is what `bbrun --sim` runs and
// what the simulation tests drive.
//
// A Simulation owns the network and one Node per peer. Every node shares the network's
// scheduler and virtual clock. A crash destroys the node's instance (its framework
// state, frames and timers go with it) after saving its metrics; a restart creates a
// fresh instance with the next incarnation and a new seed. Reports add up the metrics
// of every incarnation of a peer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/settings.h"
#include "bb/runtime/trace.h"
#include "bb/sim/network.h"

namespace bb::sim {

// The seed of one node instance: splitmix64 folded over the run seed, the peer's bytes
// and the incarnation. Stable across platforms and builds (never std::hash).
std::uint64_t node_seed(std::uint64_t run_seed, const PeerId& peer, std::uint64_t incarnation);

struct SimulationConfig {
  NetworkConfig network;            // seed, latency, loss, duplication, limits
  runtime::NodeSettings settings;   // every node's framework state; send.timeout is the
                                    // network's deadline for envelopes without deadline_ns
  runtime::TraceSink* trace = nullptr;           // every node writes here (event order)
  runtime::PeerObserver* observer = nullptr;     // every node's feedback loop
};

class Simulation {
 public:
  explicit Simulation(SimulationConfig config);
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  ~Simulation();

  // Adds a peer that runs `program`. Call before start().
  // `inputs` feed graph inputs by name (every instance of the node gets the same values).
  void add_node(const PeerId& peer, std::shared_ptr<const runtime::Program> program,
                std::vector<std::pair<std::string, runtime::Value>> inputs = {});
  // Schedules a fault (SimNetwork::add_fault). Call before start().
  void add_fault(const Fault& fault);
  // Creates every node's first instance (all kernel errors at once, one per line), then
  // starts them in the order they were added.
  Expected<void, std::string> start();
  // Runs the shared scheduler over [now, until_ns), or until `stop` becomes true.
  void run(std::int64_t until_ns, const std::atomic<bool>* stop = nullptr);
  // Ends every live instance as a crash does (metrics kept, state lost) and disables
  // restarts. Running on afterwards drains the network: every attempt still in flight
  // ends as `orphaned`.
  void stop();

  SimNetwork& network() { return net_; }
  const SimNetwork& network() const { return net_; }
  std::int64_t now_ns() const { return net_.clock().now_ns(); }
  // The peer's live instance; null while it is crashed (or for an unknown peer).
  runtime::Node* node(const PeerId& peer);
  std::size_t size() const { return hosted_.size(); }
  const PeerId& peer(std::size_t i) const { return hosted_[i].peer; }

  // One report per peer, in the order they were added: metrics summed over every
  // incarnation, the envelopes the network refused at its arrival (by reason), and the
  // backoff state of the live instance (none while crashed: a crash loses it).
  std::vector<runtime::NodeReport> reports() const;
  // The `network` object of the metrics JSON.
  runtime::NetworkStats network_stats() const;

  // Called after an instance started, and before an instance is destroyed by a crash
  // (or by the Simulation's destructor). Tests watch the nodes through these.
  std::function<void(const PeerId& peer, runtime::Node& node)> on_started;
  std::function<void(const PeerId& peer, runtime::Node& node)> on_stopping;
  // Called after a crash took the peer down and after a restart brought it back.
  std::function<void(const PeerId& peer, std::int64_t t_ns)> on_crash;
  std::function<void(const PeerId& peer, std::int64_t t_ns, std::uint64_t incarnation)> on_restart;
  // Called when a partition cuts `members` off from the rest (`started`) and when it heals.
  std::function<void(const std::vector<PeerId>& members, std::int64_t t_ns, bool started)> on_partition;

 private:
  struct Hosted {
    PeerId peer;
    std::shared_ptr<const runtime::Program> program;
    std::vector<std::pair<std::string, runtime::Value>> inputs;
    std::unique_ptr<runtime::Node> node;  // null while crashed
    runtime::NodeMetrics retired;         // metrics of the instances that crashed
  };

  Expected<std::unique_ptr<runtime::Node>, std::string> create(Hosted& h, std::uint64_t incarnation);
  void launch(Hosted& h, std::unique_ptr<runtime::Node> node);
  void crash(const PeerId& peer);
  void restart(const PeerId& peer, std::uint64_t incarnation);
  Hosted* find(const PeerId& peer);
  void retire(Hosted& h);

  SimulationConfig config_;
  SimNetwork net_;
  std::vector<Hosted> hosted_;  // in add_node() order
  bool stopped_ = false;
};

}  // namespace bb::sim
