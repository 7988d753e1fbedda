// The simulated network (docs/simulation.md): several nodes in one process, one shared
// Scheduler on a VirtualClock, a seeded RNG, a latency model, loss, duplication,
// partitions and crash/restart faults. See docs/simulation.md.
//
// Timing, with L, L' and L'' one-way latencies drawn per trip:
//   - an envelope sent at t arrives at t + L; the destination's state (up, partitioned,
//     its Recv channels) is judged at arrival;
//   - the sender hears `delivered` / `unreachable` / `rejected` at t + L + L';
//   - a lost or partitioned envelope, or an outcome later than the deadline, ends as
//     `timeout` at t + deadline (Envelope.deadline_ns, else send_timeout_ns);
//   - a duplicate copy arrives at t + L + L'' and produces no outcome;
//   - all network events run before timers at the same instant, then in the order
//     they were scheduled (faults are scheduled first, so a crash at t comes before an
//     arrival at t).
// Every attempt ends in exactly one outcome, unless its sender crashes first: the
// outcome of an attempt whose sender incarnation is gone is dropped and counted as
// `orphaned` (the node that would hear it no longer exists).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/bb.pb.h"
#include "bb/ir/envelope.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/admission.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/transport.h"
#include "bb/sim/random.h"

namespace bb::sim {

inline constexpr std::int64_t kMillisecond = 1'000'000;
inline constexpr std::int64_t kSecond = 1'000'000'000;

// One-way latency: fixed (lo == hi), or uniform in [lo, hi] drawn afresh per trip.
struct Latency {
  std::int64_t lo_ns = 5 * kMillisecond;
  std::int64_t hi_ns = 5 * kMillisecond;

  static Latency fixed(std::int64_t ns) { return {ns, ns}; }
  static Latency uniform(std::int64_t lo_ns, std::int64_t hi_ns) { return {lo_ns, hi_ns}; }
  bool is_fixed() const { return lo_ns == hi_ns; }
  friend bool operator==(const Latency&, const Latency&) = default;
};

struct NetworkConfig {
  std::uint64_t seed = 0;
  Latency latency;
  double loss = 0.0;       // probability that an envelope is lost
  double duplicate = 0.0;  // probability that a delivered envelope arrives twice
  std::int64_t send_timeout_ns = 1 * kSecond;  // deadline of envelopes without deadline_ns
  ir::EnvelopeLimits limits;                    // applied when an envelope arrives
  // Attempts of one node in flight (sent, outcome not yet heard) at most; the next is
  // rejected at once with kInFlightLimit (the deployment's network.max_in_flight).
  std::uint32_t max_in_flight = 65'536;
};

// The refusal label of an attempt over NetworkConfig::max_in_flight.
inline constexpr std::string_view kInFlightLimit = "in_flight_limit";
// The largest max_in_flight a deployment may set: the cap bounds the network's memory.
inline constexpr std::uint32_t kMaxInFlightLimit = 1u << 20;

enum class FaultKind : std::uint8_t { kCrash, kPartition };
// "crash", "partition".
std::string_view to_string(FaultKind kind);

struct Fault {
  std::int64_t at_ns = 0;
  FaultKind kind = FaultKind::kCrash;
  std::vector<PeerId> peers;
  // Crash: restart after this long (absent: stays down). Partition: heals after this
  // long (absent: lasts to the end).
  std::optional<std::int64_t> for_ns;
};

// Network-wide counters (docs/simulation.md "Network totals", plus the detail behind them).
struct NetworkTotals {
  std::uint64_t sent = 0;        // envelopes handed to the network (one per attempt)
  std::uint64_t delivered = 0;   // originals handed to a destination's endpoint
  std::uint64_t lost = 0;        // originals that never reached their destination (loss + partitions)
  std::uint64_t duplicated = 0;  // extra copies created
  std::uint64_t partitioned = 0;            // of `lost`: dropped by a partition
  std::uint64_t unreachable = 0;            // originals that found their destination down or unknown
  std::uint64_t rejected = 0;               // originals refused at arrival (limits or no Recv on the channel)
  std::uint64_t duplicates_delivered = 0;   // extra copies handed to an endpoint
  std::uint64_t orphaned = 0;               // outcomes dropped because their sender crashed
};

// What happened on the network, for logs and determinism checks.
enum class NetEventKind : std::uint8_t {
  kSend,             // an attempt entered the network
  kLost,             // dropped by the loss probability
  kPartitioned,      // dropped by a partition (at send or at arrival)
  kArrive,           // the original reached an up destination and was handed over
  kDuplicateArrive,  // a duplicate copy was handed over
  kUnreachable,      // arrived at a destination that is down or unknown
  kReject,           // arrived but refused: `reason` is an envelope reason or "no_recv"
  kOutcome,          // the sender heard `outcome`
  kOrphaned,         // an outcome for a crashed sender, dropped
  kCrash,
  kRestart,
  kPartitionStart,
  kPartitionEnd,
};
std::string_view to_string(NetEventKind kind);

inline constexpr std::uint32_t kNoNode = UINT32_MAX;

struct NetEvent {
  std::int64_t t_ns = 0;
  NetEventKind kind = NetEventKind::kSend;
  std::uint32_t src = kNoNode;  // node index (SimNetwork::peer), kNoNode if none
  std::uint32_t dst = kNoNode;
  runtime::AttemptId attempt = 0;
  std::uint64_t message_id = 0;
  runtime::OutcomeKind outcome = runtime::OutcomeKind::kDelivered;  // kOutcome only
  std::string_view reason;  // kReject only: the refusal label
};

// Does this node have a Recv on `channel`? An envelope on a channel it refuses ends
// as `rejected` (reason "no_recv"). An empty filter accepts every channel.
using ChannelFilter = runtime::ChannelFilter;

// Hooks into the host that owns the nodes (the engine integration, or a test).
struct NodeHooks {
  // The node crashed: the network has already detached its endpoint. Destroy the
  // node (its state is lost) and cancel or disarm its timers.
  std::function<void(const PeerId& peer)> on_crash;
  // The node restarts: create a fresh instance and attach() it; it will run with
  // `incarnation` (what attach() assigns next).
  std::function<void(const PeerId& peer, std::uint64_t incarnation)> on_restart;
};

// Told when a partition begins (`started`) or heals: its members are cut off from the rest.
using PartitionHook = std::function<void(const std::vector<PeerId>& members, bool started)>;

class SimNetwork {
 public:
  explicit SimNetwork(NetworkConfig config);
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;
  ~SimNetwork();

  runtime::Scheduler& scheduler() { return scheduler_; }
  runtime::VirtualClock& clock() { return clock_; }
  const runtime::VirtualClock& clock() const { return clock_; }
  const NetworkConfig& config() const { return config_; }

  // Declares a peer of the deployment without attaching it (envelopes to it are
  // `unreachable` until it is attached). Returns its node index; idempotent.
  std::uint32_t add_node(const PeerId& peer);

  // Connects the endpoint of the node's current instance and returns the transport
  // it sends through (the same object for every incarnation of the peer). Each attach
  // starts a new incarnation: 1, 2, … Precondition: the peer is not crashed.
  runtime::Transport& attach(const PeerId& peer, runtime::TransportEndpoint& endpoint, ChannelFilter accepts = {});
  // Disconnects the endpoint; envelopes to it are `unreachable`, outcomes of its
  // attempts are orphaned. (Crashes do this themselves.)
  void detach(const PeerId& peer);

  void set_hooks(NodeHooks hooks) { hooks_ = std::move(hooks); }
  void set_partition_hook(PartitionHook hook) { on_partition_ = std::move(hook); }
  // Schedules a fault. Peers not yet known are added. Call before running.
  void add_fault(const Fault& fault);
  // Called for every network event, in order (costs nothing when unset).
  void set_observer(std::function<void(const NetEvent&)> observer) { observer_ = std::move(observer); }

  // Runs the shared scheduler over [now, until_ns).
  void run(std::int64_t until_ns = runtime::Scheduler::kForever) { scheduler_.run(until_ns); }

  std::size_t node_count() const { return nodes_.size(); }
  std::uint32_t find(const PeerId& peer) const { return find_bytes(peer.bytes()); }  // kNoNode when unknown
  std::uint32_t find_bytes(std::string_view peer_bytes) const;
  const PeerId& peer(std::uint32_t node) const;
  std::uint64_t incarnation(const PeerId& peer) const;  // 0 before the first attach
  bool is_up(const PeerId& peer) const;                // attached and not crashed
  bool partitioned(const PeerId& a, const PeerId& b) const;
  const NetworkTotals& totals() const { return totals_; }
  // Envelopes refused at arrival at `peer` because they failed the limits, by reason.
  // Kept across the peer's incarnations.
  const ir::EnvelopeRejections& rejections(const PeerId& peer) const { return refusals(peer).envelope(); }
  // Every refusal at arrival at `peer` (limits, and channels without a Recv), by label.
  const runtime::AdmissionCounts& refusals(const PeerId& peer) const;

  // One line for an event: "12.5ms send id:alice -> id:bob attempt=3 msg=7".
  std::string describe(const NetEvent& event) const;

 private:
  class Port;
  struct Node;
  struct Partition {
    std::uint64_t id;
    std::vector<std::uint32_t> members;  // sorted node indices
  };
  struct Trip;
  static constexpr std::uint32_t kNoDetail = UINT32_MAX;
  static constexpr std::uint16_t kWhole = UINT16_MAX;  // Trip::channel: the whole envelope kept
  static constexpr std::size_t kMaxChannels = 1024;    // channels_ at most; then kept whole

  void send_from(std::uint32_t src, runtime::AttemptId attempt, const bb::Envelope& envelope);
  void arrive(const Trip& trip, bool original);
  std::uint16_t vouch(Node& sender, std::uint32_t dst, const bb::Envelope& envelope);
  std::uint32_t keep(const bb::Envelope& envelope, bool whole);  // a copy into sent_, one reference
  const bb::Envelope& assemble(const Trip& trip);
  void unstow(const Trip& trip);
  void release_sent(std::uint32_t slot);
  // `reason` is a refusal label (static storage); `detail` a slot of details_ or kNoDetail.
  void schedule_outcome(std::int64_t at, std::uint32_t src, std::uint64_t incarnation, runtime::AttemptId attempt,
                        runtime::OutcomeKind kind, std::string_view reason = {}, std::uint32_t detail = kNoDetail);
  void deliver_outcome(std::uint32_t src, std::uint64_t incarnation, runtime::AttemptId attempt,
                       runtime::OutcomeKind kind, std::string_view reason, std::uint32_t detail);
  std::uint32_t keep_detail(std::string detail);
  void release_detail(std::uint32_t slot);
  void crash(std::uint32_t node);
  void restart(std::uint32_t node);
  void notify_partition(const std::vector<std::uint32_t>& members, bool started);
  bool partitioned(std::uint32_t a, std::uint32_t b) const;
  std::int64_t draw_latency();
  // Tells the observer, if any: inline, so an unobserved run pays a branch, not a call.
  void emit(NetEventKind kind, std::uint32_t src, std::uint32_t dst = kNoNode, runtime::AttemptId attempt = 0,
            std::uint64_t message_id = 0, runtime::OutcomeKind outcome = runtime::OutcomeKind::kDelivered,
            std::string_view reason = {}) {
    if (observer_) observe(kind, src, dst, attempt, message_id, outcome, reason);
  }
  void observe(NetEventKind kind, std::uint32_t src, std::uint32_t dst, runtime::AttemptId attempt,
               std::uint64_t message_id, runtime::OutcomeKind outcome, std::string_view reason);

  NetworkConfig config_;
  runtime::VirtualClock clock_;
  runtime::Scheduler scheduler_;
  SimRng rng_;
  std::vector<std::unique_ptr<Node>> nodes_;  // by node index; stable addresses
  // Peer bytes → node index. Only looked up, never iterated (determinism).
  absl::flat_hash_map<std::string, std::uint32_t> by_peer_;
  std::vector<Partition> partitions_;      // active ones
  std::uint64_t next_partition_id_ = 0;
  NetworkTotals totals_;
  // Envelopes on their way, as sent, pooled: reused once every copy arrived. One that
  // admission may refuse (runtime::admits_unchanged says no) is encoded into wire_ at
  // arrival and admitted from those bytes into scratch_, as a transport would.
  std::vector<std::unique_ptr<bb::Envelope>> sent_;  // stable addresses: a delivery may send
  std::vector<std::uint32_t> sent_refs_;
  std::vector<bool> sent_unknown_;  // the slot's envelope may hold unknown fields
  std::vector<std::uint32_t> free_sent_;
  std::string wire_;
  bb::Envelope scratch_;  // (arrivals never nest)
  // Vouched-for envelopes (vouch()) travel without their peers and channel, which are
  // the nodes' and one of channels_ (every channel sent on, at most kMaxChannels); an
  // arrival assembles the envelope in arrival_: a few hot strings instead of five heap
  // blocks of the kept copy read long after they were written.
  std::vector<std::string> channels_;
  bb::Envelope arrival_;
  // arrival_'s strings: set in place, never cleared or released, so these stay its own.
  std::string* arrival_src_;
  std::string* arrival_dst_;
  std::string* arrival_channel_;
  // Refusal details on their way back to the sender (rejected outcomes only).
  std::vector<std::string> details_;
  std::vector<std::uint32_t> free_details_;
  NodeHooks hooks_;
  PartitionHook on_partition_;
  std::function<void(const NetEvent&)> observer_;
};

}  // namespace bb::sim
