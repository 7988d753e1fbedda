// A running peer (docs/runtime.md): the engine, its framework state, metrics and trace.
//
// A Node is built from a shared Program with a shared Scheduler (one for a single-node
// run, one for a whole simulation), its own PeerId, seed, incarnation and settings. A
// transport is attached after construction (it needs the node as its endpoint) and
// calls back on_outcome / on_envelope.
//
// Execution: static nodes run once at start(); trigger sources then start executions,
// each with a fresh frame that runs only what its trigger reaches. A node fires when
// all its non-empty inputs have values; ready nodes run in node-index order. A failed
// or denied node writes nothing and its dependents in that frame are skipped. A frame
// ends, and is recycled, when nothing is ready and nothing is pending. The dispatch path
// works on slot indices only and allocates nothing in steady state.
//
// Single-threaded: all calls come from the scheduler's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/runtime/kernel.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/program.h"
#include "bb/runtime/trace.h"
#include "bb/runtime/transport.h"

namespace bb::runtime {

// What a send outcome did to the sender's view of a peer (docs/wire.md), for people
// watching a run (bbrun --sim logs the failures and the recoveries).
struct PeerOutcome {
  std::int64_t t_ns = 0;
  std::string_view node;  // the sender (text form)
  std::string_view peer;  // the destination (text form)
  OutcomeKind outcome = OutcomeKind::kDelivered;
  std::uint32_t failures = 0;      // consecutive failures after this outcome (0: cleared)
  std::uint32_t failures_before = 0;
  std::int64_t next_retry_ns = 0;  // BackoffGateTx holds sends to the peer until then
  bool down = false;               // the governor's health verdict after this outcome
  std::string_view reason = {};    // kRejected: the receiver's refusal label ("no_recv", …)
};

// Optional observer of the feedback loop: every outcome, after it fed the state, and
// every Send a Tx gate held. Costs one branch per outcome when unset.
class PeerObserver {
 public:
  virtual ~PeerObserver() = default;
  virtual void outcome(const PeerOutcome& change) = 0;
  // A Tx gate held a Send towards `peer` (cooldown, blocklisted, not_allowlisted).
  virtual void held(std::int64_t t_ns, std::string_view node, std::string_view peer, Reason reason) = 0;
};

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
};

class Node final : public NodeServices, public TransportEndpoint, private Invocation::Hooks {
 public:
  // Instantiates every kernel (attributes parsed once); reports every bad node at once.
  static Expected<std::unique_ptr<Node>, LoadError> create(std::shared_ptr<const Program> program,
                                                           Scheduler& scheduler, NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The transport Send hands envelopes to. Without one every attempt is `unreachable`.
  void attach(Transport& transport) { transport_ = &transport; }
  // Runs the static nodes, then lets the trigger sources schedule their firings.
  void start();

  // TransportEndpoint.
  void on_outcome(AttemptId attempt, const Outcome& outcome) override;
  void on_envelope(const bb::Envelope& envelope, SenderAuth) override { deliver(envelope); }
  // Starts one execution per Recv of the envelope's channel (prebuilt index).
  void deliver(const bb::Envelope& envelope);
  // Whether some Recv listens on `channel` (a transport answers `rejected` otherwise).
  bool accepts_channel(std::string_view channel) const {
    return recv_by_channel_.contains(absl::string_view(channel.data(), channel.size()));
  }

  // The execution limit was reached and every frame has ended.
  bool done() const { return limit_reached() && live_frames_ == 0; }
  std::size_t live_frames() const { return live_frames_; }
  // Frames ever allocated (they are recycled): bounded by the frames alive at once.
  std::size_t frame_pool_size() const { return frames_.size(); }
  std::size_t in_flight_attempts() const { return live_attempts_; }
  std::int64_t start_ns() const { return start_ns_; }
  const std::string& peer_text() const { return peer_text_; }
  const Program& program() const { return *program_; }
  // Graph output k (Program::graph_outputs()): from the static run, or from the last
  // execution that produced it; empty when nothing did.
  const Value& output(std::size_t k) const { return outputs_[k]; }
  // Metrics plus the per-peer backoff dump (peers with failures, sorted).
  NodeReport report() const;

  // NodeServices.
  void fire(std::uint32_t index) override;
  void send_attempt(PendingId pending, PeerIndex dst, const bb::Envelope& envelope) override;

 private:
  enum class NodeStatus : std::uint8_t { kWaiting, kReady, kDone, kPending, kFailed, kSkipped };
  struct NodeState {
    std::uint32_t epoch = 0;
    std::uint32_t missing = 0;
    NodeStatus status = NodeStatus::kWaiting;
  };
  struct Frame {
    std::uint64_t exec = 0;
    std::uint32_t epoch = 0;
    std::uint32_t pending = 0;
    std::uint32_t trigger = 0;  // the source node
    bool has_envelope = false;
    bool recv_dropped = false;
    bool running = false;  // inside run_frame
    Reason rx_reason = Reason::kNone;  // first rx gate denial
    EnvelopeMeta envelope;
    std::vector<Value> values;  // by slot
    std::vector<std::uint32_t> uses;  // by slot: readers that have not run yet (set when written)
    std::vector<NodeState> state;  // by node
    std::vector<std::uint32_t> written;
    std::vector<std::uint32_t> ready;  // min-heap of node indices
    std::vector<const Value*> inputs;  // gather buffer of one dispatch
  };
  struct Pending {
    std::uint32_t frame = 0, node = 0, generation = 0;
    std::uint32_t outstanding = 0, delivered = 0;
    Reason failure = Reason::kNone;
    bool armed = false, live = false;
  };
  struct Attempt {
    PendingId pending = 0;
    PeerIndex dst = kNoPeer;
    std::uint32_t generation = 0;
    bool live = false;
  };

  Node(std::shared_ptr<const Program> program, Scheduler& scheduler, NodeConfig config);
  Expected<void, LoadError> instantiate();

  // Hooks.
  PendingId defer(std::uint32_t index) override;
  void decide(std::uint32_t index, Reason reason, const PeerId* peer) override;

  bool limit_reached() const { return max_executions_ >= 0 && static_cast<std::int64_t>(metrics_.executions) >= max_executions_; }
  std::uint32_t acquire_frame();
  void release_frame(std::uint32_t id);
  NodeState& state_of(Frame& f, std::uint32_t node);
  void run_frame(std::uint32_t id);
  void dispatch(std::uint32_t frame_id, std::uint32_t node);
  void publish(Frame& f, std::uint32_t node);
  void release_inputs(Frame& f, std::uint32_t node);
  void fail_node(Frame& f, std::uint32_t node, const OpResult& result);
  void skip_downstream(Frame& f, std::uint32_t node);
  void complete(PendingId id);
  void run_static();
  void trace(TraceEvent event, std::uint32_t node, std::uint64_t exec, std::string_view outcome,
             std::string_view reason, std::string_view peer);

  std::shared_ptr<const Program> program_;
  void observe_hold(std::uint32_t node, PeerIndex peer, Reason reason);
  void note_rejection(PeerIndex dst, const Outcome& outcome);

  TraceSink* trace_;
  PeerObserver* observer_;
  Transport* transport_ = nullptr;
  std::string peer_text_;
  std::int64_t max_executions_;
  std::int64_t start_ns_ = 0;
  std::vector<std::pair<std::string, Value>> inputs_;
  std::vector<std::unique_ptr<Kernel>> kernels_;
  std::vector<std::string> op_names_;  // trace `op`: the node name, `#<index>` when unnamed (tracing only)
  std::vector<Value> static_values_;
  std::vector<Value> outputs_;  // by graph output: the last value each one had
  std::vector<const Value*> static_inputs_;  // gather buffer of the static run
  const Value empty_;
  std::vector<std::unique_ptr<Frame>> frames_;
  std::vector<std::uint32_t> free_frames_;
  std::size_t live_frames_ = 0;
  std::vector<Pending> pendings_;
  std::vector<std::uint32_t> free_pendings_;
  std::vector<Attempt> attempts_;
  std::vector<std::uint32_t> free_attempts_;
  std::size_t live_attempts_ = 0;
  std::vector<std::uint32_t> skip_stack_;
  std::uint32_t current_frame_ = 0;         // the frame whose node is in compute
  PendingId last_deferred_ = 0;             // set by defer() during one compute
  bool deferred_ = false;
  bool in_static_ = false;                  // the static run: no frame, exec 0
  std::uint64_t current_exec_ = 0;
  absl::flat_hash_map<std::string, std::vector<std::uint32_t>> recv_by_channel_;
};

}  // namespace bb::runtime
