// A running peer (docs/runtime.md): the engine, its framework state, metrics and trace.
//
// Node::create is the one place a node is assembled, for bbrun's single and networked
// runs, every simulated peer and the tests alike: a shared Program with a shared
// Scheduler (one for a single-node run, one for a whole simulation), its own PeerId,
// seed, incarnation, settings and graph inputs, its kernels, and its transport, made by
// NodeConfig::transport once the node exists (the transport calls back on_outcome /
// on_envelope and asks accepts_channel).
//
// A node is three parts and the glue between them: the dataflow executor (Executor:
// frames, the ready set, dispatch, the static run; it knows nothing of the wire), the
// attempt/outcome bookkeeping (AttemptTable), and the network feedback policy
// (NetworkFeedback: outcomes into backoff and governor, rx-drop accounting, held sends).
// Kernels see the node as KernelServices (timers, triggers, declared state) and, for
// network ops, NetworkServices; per dispatch they see an Invocation.
//
// Single-threaded: all calls come from the scheduler's thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/runtime/admission.h"
#include "bb/runtime/attempts.h"
#include "bb/runtime/executor.h"
#include "bb/runtime/kernel.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/network_feedback.h"
#include "bb/runtime/program.h"
#include "bb/runtime/trace.h"
#include "bb/runtime/transport.h"

namespace bb::runtime {

// Makes a node's transport once its kernels exist. The transport calls back into the
// node (`endpoint`, on the node's thread) and admits only the channels some Recv of the
// node listens on (`accepts`). It returns the transport, owned by whoever made it (the
// caller, or the network it belongs to) and outliving the node, or a sentence saying why
// it could not start.
using TransportFactory =
    std::function<Expected<Transport*, std::string>(TransportEndpoint& endpoint, ChannelFilter accepts)>;

struct NodeConfig {
  PeerId peer;                     // this node's PeerId
  std::uint64_t seed = 0;          // the node's RNG (jitter, SamplePeers)
  std::uint64_t incarnation = 1;   // changes at every (re)start
  NodeSettings settings;
  std::int64_t max_executions = -1;  // stop starting executions after this many (-1: no limit)
  TraceSink* trace = nullptr;        // null: tracing off
  PeerObserver* observer = nullptr;  // null: nobody watches the feedback loop
  // Graph inputs given by the user (--input NAME=FILE.pb).
  std::vector<std::pair<std::string, Value>> inputs;
  // Empty: no transport, every attempt ends `unreachable` at once (a single-node run).
  TransportFactory transport;
};

class Node final : public KernelServices,
                   public NetworkServices,
                   public TransportEndpoint,
                   private ExecutorEvents,
                   private Invocation::Hooks {
 public:
  // Instantiates every kernel (attributes parsed once; every bad node reported at once),
  // takes the graph inputs, then makes and attaches the transport (kTransport when it
  // cannot start). The node runs once start() is called.
  static Expected<std::unique_ptr<Node>, LoadError> create(std::shared_ptr<const Program> program,
                                                           Scheduler& scheduler, NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Replaces the transport Send hands envelopes to (tests swap in their own). Without one
  // every attempt is `unreachable`.
  void attach(Transport& transport) { transport_ = &transport; }
  // Runs the static nodes, then lets the trigger sources schedule their firings.
  void start();

  // TransportEndpoint.
  void on_outcome(AttemptId attempt, const Outcome& outcome) override;
  void on_envelope(const bb::Envelope& envelope, SenderAuth) override { deliver(envelope); }
  void on_envelope_from(const bb::Envelope& envelope, SenderAuth, std::uint32_t link) override {
    deliver(envelope, link);
  }
  // A `link` trace record (no op, exec 0).
  void on_link_state(std::string_view peer, std::string_view state, std::string_view reason) override;
  // Starts one execution per Recv of the envelope's channel (prebuilt index). `link`: the
  // transport's inbound link (TransportEndpoint::on_envelope_from), or kNoLink.
  static constexpr std::uint32_t kNoLink = UINT32_MAX;
  void deliver(const bb::Envelope& envelope, std::uint32_t link = kNoLink);
  // Whether some Recv listens on `channel` (a transport answers `rejected` otherwise).
  bool accepts_channel(std::string_view channel) const {
    return recv_by_channel_.contains(absl::string_view(channel.data(), channel.size()));
  }

  // The execution limit was reached and every frame has ended.
  bool done() const { return executor_.limit_reached() && executor_.live_frames() == 0; }
  std::size_t live_frames() const { return executor_.live_frames(); }
  // Frames ever allocated (they are recycled): bounded by the frames alive at once.
  std::size_t frame_pool_size() const { return executor_.frame_pool_size(); }
  std::size_t in_flight_attempts() const { return attempts_.live(); }
  std::int64_t start_ns() const { return start_ns_; }
  const std::string& peer_text() const { return peer_text_; }
  const Program& program() const { return *program_; }
  const NodeMetrics& metrics() const { return metrics_; }
  // Graph output k (Program::graph_outputs()): from the static run, or from the last
  // execution that produced it; empty when nothing did.
  const Value& output(std::size_t k) const { return executor_.output(k); }
  // Metrics plus the per-peer backoff dump (peers with failures, sorted).
  NodeReport report() const;

  // KernelServices and NetworkServices.
  void fire(std::uint32_t index) override { executor_.execute(index, nullptr); }
  void send_attempt(PendingId pending, PeerIndex dst, const bb::Envelope& envelope) override;

 private:
  Node(std::shared_ptr<const Program> program, Scheduler& scheduler, NodeConfig config);
  Expected<void, LoadError> instantiate();

  // Invocation::Hooks.
  PendingId defer(std::uint32_t index) override;
  void decide(std::uint32_t index, Reason reason, const PeerId* peer) override;
  void denied_peer(std::uint32_t index, Reason reason, const PeerId& peer);
  // ExecutorEvents: tracing, and what the network side makes of the dataflow.
  void began(std::uint32_t frame) override;
  void ran(std::uint32_t frame, std::uint32_t node) override;
  void failed(std::uint32_t frame, std::uint32_t node, const OpResult& result) override;
  void deferred(std::uint32_t frame, std::uint32_t node) override;
  void ended(std::uint32_t frame) override;

  void complete(PendingId id);
  void trace(TraceEvent event, std::uint32_t node, std::uint64_t exec, std::string_view outcome,
             std::string_view reason, std::string_view peer);

  std::shared_ptr<const Program> program_;
  TraceSink* trace_;
  Transport* transport_ = nullptr;
  std::string peer_text_;
  std::int64_t start_ns_ = 0;
  std::vector<std::pair<std::string, Value>> inputs_;  // until instantiate() binds them
  KernelBlock kernel_block_;  // where kernels_ live: outlives them
  std::vector<std::unique_ptr<Kernel>> kernels_;
  std::vector<std::string> op_names_;  // trace `op`: the node name, `#<index>` when unnamed (tracing only)
  NetworkFeedback feedback_;
  AttemptTable attempts_;
  Executor executor_;
  PendingId last_deferred_ = 0;  // set by defer() during one compute
  absl::flat_hash_map<std::string, std::vector<std::uint32_t>> recv_by_channel_;
  // What the last envelope of an inbound link resolved to: its sender (one reference
  // held) and its channel's Recvs. Checked against each envelope's bytes, so a link's
  // next envelope from the same sender on the same channel is neither hashed nor
  // interned again. Links share the 16 entries by their number (a fixed memory cost per
  // node, however many nodes send to it); two links on one entry only miss more often.
  struct Link {
    PeerIndex sender = kNoPeer;
    std::string channel;
    const std::vector<std::uint32_t>* recvs = nullptr;  // into recv_by_channel_ (never changes after load)
  };
  std::array<Link, 16> links_;
};

}  // namespace bb::runtime
