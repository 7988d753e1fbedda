// What a kernel is (docs/runtime.md): constructed once per node at load with its
// attributes parsed (errors are load errors naming the node), then `compute` runs per
// dispatch and only computes. A kernel returns outputs (written positionally), pending
// (async: the frame waits), or an error {kind, reason, detail} with a stable reason.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/bb.pb.h"
#include "bb/ir/declared_attributes.h"
#include "bb/ir/expected.h"
#include "bb/ir/op_table.h"
#include "bb/ir/saturating.h"
#include "bb/runtime/backoff_table.h"
#include "bb/runtime/inbound_dedup.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/peer_governor.h"
#include "bb/runtime/peer_interner.h"
#include "bb/runtime/reasons.h"
#include "bb/runtime/rng.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/settings.h"
#include "bb/runtime/tensor.h"
#include "bb/runtime/value.h"

namespace bb::runtime {

enum class Status : std::uint8_t { kOk, kPending, kDenied, kFailed };

// The error of a denied or failed node.
struct OpError {
  Status kind = Status::kFailed;  // kDenied or kFailed
  Reason reason = Reason::kNone;
  std::string detail;  // free text for people; never parsed
};

struct OpResult {
  Status status = Status::kOk;
  Reason reason = Reason::kNone;
  PeerIndex peer = kNoPeer;  // the peer a static gate decided about (trace only)
  std::string detail;

  static OpResult ok() { return {}; }
  static OpResult pending() { return {Status::kPending, Reason::kNone, kNoPeer, {}}; }
  static OpResult deny(Reason reason, PeerIndex peer = kNoPeer) { return {Status::kDenied, reason, peer, {}}; }
  static OpResult fail(Reason reason, std::string detail) {
    return {Status::kFailed, reason, kNoPeer, std::move(detail)};
  }
  OpError error() const { return {status, reason, detail}; }
};

// Identifies a node waiting for an async completion.
using PendingId = std::uint64_t;

// The envelope that started a frame (a Recv firing).
struct EnvelopeMeta {
  PeerIndex sender = kNoPeer;  // interned for the frame's lifetime
  std::uint64_t incarnation = 0;
  std::uint64_t message_id = 0;
  const bb::Envelope* envelope = nullptr;  // valid while the Recv itself runs
};

// The node as a kernel may hold on to it from construction (KernelInit::services):
// its clock and timers, starting executions (trigger sources, Aggregate's round timer)
// and the named state it declares at load. What a kernel sees per dispatch is the
// Invocation; the network is a separate interface (NetworkServices). Implemented by Node.
class KernelServices {
 public:
  virtual ~KernelServices() = default;

  Scheduler& scheduler() { return scheduler_; }
  std::int64_t now_ns() const { return scheduler_.now_ns(); }

  // IncrMetric: the id of a named counter (load time). StateGet/StateSet: the id of a
  // named state, empty until the first StateSet; state outlives executions and dies with
  // the node instance. Record: the id of a named series. Invocation reads and writes them.
  std::uint32_t counter_id(std::string_view name);
  std::uint32_t state_id(std::string_view name);
  std::uint32_t series_id(std::string_view name);
  const std::vector<std::pair<std::string, Value>>& states() const { return states_; }

  // Trigger sources: start one execution whose trigger is node `index`; its kernel's
  // compute writes the source's outputs. Ignored once the execution limit is reached.
  virtual void fire(std::uint32_t index) = 0;

 protected:
  KernelServices(Scheduler& scheduler, std::uint64_t seed) : scheduler_(scheduler), rng_(seed) {}

  friend class Invocation;
  Scheduler& scheduler_;
  Rng rng_;
  NodeMetrics metrics_;
  std::vector<std::pair<std::string, Value>> states_;  // by state id, in the order the graph names them
};

// What network ops (Send, Recv, the gates) see besides their Invocation: the node's
// identity and the framework state the wire feeds back into (docs/wire.md), and the
// one way out, an attempt towards a peer. Implemented by Node; compute kernels never
// use it.
class NetworkServices {
 public:
  virtual ~NetworkServices() = default;

  const PeerId& self() const { return self_; }
  std::uint64_t incarnation() const { return incarnation_; }
  const NodeSettings& settings() const { return settings_; }
  PeerInterner& peers() { return peers_; }
  BackoffTable& backoff() { return backoff_; }
  PeerGovernor& governor() { return governor_; }
  InboundDedup& dedup() { return dedup_; }
  std::uint64_t next_message_id() { return ++message_ids_; }
  // The PeerId value of an interned peer (Recv's sender output): made once per id and
  // shared, instead of one PeerId and one allocation per received envelope.
  const Value& peer_value(PeerIndex id);

  // Send: one attempt towards `dst` (retained until its outcome) on behalf of the
  // pending node; the outcome arrives through the transport.
  virtual void send_attempt(PendingId pending, PeerIndex dst, const bb::Envelope& envelope) = 0;
  // The envelope every Send of this node builds in (schema_version, src_peer and
  // incarnation set): one per node rather than one per Send, so the Sends an execution
  // runs one after another write the same warm memory. send_attempt copies it.
  bb::Envelope& outgoing() { return outgoing_; }

 protected:
  NetworkServices(PeerId self, std::uint64_t incarnation, const NodeSettings& settings, Rng& rng);

  PeerId self_;
  std::uint64_t incarnation_;
  NodeSettings settings_;
  PeerInterner peers_;
  BackoffTable backoff_;
  PeerGovernor governor_;
  InboundDedup dedup_;
  std::uint64_t message_ids_ = 0;
  std::vector<Value> peer_values_;  // by PeerIndex; checked against the id's bytes (ids are recycled)
  bb::Envelope outgoing_;
};

// One dispatch of one node, as ONNX Runtime's OpKernelContext: its inputs and outputs,
// the clock, the node's RNG, the state the kernel declared, and for network ops the
// network side (the envelope that started the frame, deferring, gate decisions).
class Invocation {
 public:
  Invocation(const Value* const* inputs, std::uint32_t input_count, Value* outputs, std::uint32_t output_count,
             KernelServices& node, NetworkServices& network, std::uint32_t index, std::uint64_t execution,
             const EnvelopeMeta* envelope)
      : in_(inputs), out_(outputs), n_in_(input_count), n_out_(output_count), index_(index), node_(node),
        network_(network), execution_(execution), envelope_(envelope) {}

  std::uint32_t input_count() const { return n_in_; }
  // An absent optional input ("") is an empty Value.
  const Value& in(std::uint32_t i) const { return *in_[i]; }
  std::uint32_t output_count() const { return n_out_; }
  Value& out(std::uint32_t j) { return out_[j]; }

  std::int64_t now_ns() const { return node_.now_ns(); }
  Rng& rng() { return node_.rng_; }
  std::uint32_t node_index() const { return index_; }
  std::uint64_t execution() const { return execution_; }

  // The state the kernel declared at load (KernelServices::counter_id, state_id, series_id).
  // Saturates at the int64 bounds instead of wrapping (a graph chooses the delta).
  void add_to_counter(std::uint32_t id, std::int64_t delta) {
    std::int64_t& counter = node_.metrics_.counters[id].second;
    counter = ir::saturating_add(counter, delta);
  }
  Value& state(std::uint32_t id) { return node_.states_[id].second; }
  void record(std::uint32_t id, double value) { node_.metrics_.series[id].points.push_back({now_ns(), value}); }

  // Network ops only.
  NetworkServices& network() const { return network_; }
  // The envelope that started this frame (Recv), or null.
  const EnvelopeMeta* envelope() const { return envelope_; }
  // Async: the node completes when every attempt made for `id` has its outcome.
  PendingId defer();
  // A gate's decision for the metrics (kNone = allowed). A filtering gate calls it once
  // per peer; `filtered` peers are also traced as deny events with the peer.
  void decide(Reason reason);
  void filtered(Reason reason, const PeerId& peer);

  // Set by the engine.
  struct Hooks {
    virtual ~Hooks() = default;
    virtual PendingId defer(std::uint32_t index) = 0;
    virtual void decide(std::uint32_t index, Reason reason, const PeerId* peer) = 0;
  };
  Hooks* hooks = nullptr;

 private:
  // The executor makes one Invocation per run of a frame and points it at each node in
  // turn: what belongs to the frame (services, execution, envelope, hooks) is written
  // once, not per dispatch.
  friend class Executor;
  void rebind(const Value* const* inputs, std::uint32_t input_count, Value* outputs, std::uint32_t output_count,
              std::uint32_t index) {
    in_ = inputs;
    out_ = outputs;
    n_in_ = input_count;
    n_out_ = output_count;
    index_ = index;
  }

  const Value* const* in_;
  Value* out_;
  std::uint32_t n_in_, n_out_;
  std::uint32_t index_;
  KernelServices& node_;
  NetworkServices& network_;
  std::uint64_t execution_;
  const EnvelopeMeta* envelope_;
};

inline PendingId Invocation::defer() { return hooks->defer(index_); }
inline void Invocation::decide(Reason reason) { hooks->decide(index_, reason, nullptr); }
inline void Invocation::filtered(Reason reason, const PeerId& peer) { hooks->decide(index_, reason, &peer); }

// The memory a Node's kernels are placed in, one after another: a few blocks of growing
// size (the larger ones from the program pool, program_memory.h), all freed with it. A
// large graph's load made one heap object per kernel (135k mallocs for the start-up
// bench's graph) and left them scattered over the heap for dispatch. While a
// KernelBlock::Placing is alive, every kernel made on its thread (a factory's
// std::make_unique of any kernel class: Kernel::operator new) goes into its block; made
// anywhere else (a test calling a factory) a kernel is a heap object as before. The
// block must outlive its kernels (Node destroys its kernels first).
class KernelBlock {
 public:
  // `expected_bytes`: a guess at what the kernels need (the first block's size).
  explicit KernelBlock(std::size_t expected_bytes = 0) : next_bytes_(expected_bytes) {}
  ~KernelBlock();
  KernelBlock(const KernelBlock&) = delete;
  KernelBlock& operator=(const KernelBlock&) = delete;

  class Placing {
   public:
    explicit Placing(KernelBlock& block);
    ~Placing();
    Placing(const Placing&) = delete;
    Placing& operator=(const Placing&) = delete;

   private:
    KernelBlock* previous_;
  };

  // `bytes` aligned for any fundamental type, or null when the request is better a heap
  // object of its own (larger than a quarter of a block).
  void* allocate(std::size_t bytes);

 private:
  struct Block {
    char* data;
    std::size_t size;
  };
  std::vector<Block> blocks_;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
  std::size_t next_bytes_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Trigger sources schedule their firings here; now_ns() is the node's start.
  virtual void start(KernelServices& /*node*/, std::uint32_t /*index*/) {}
  virtual OpResult compute(Invocation& inv) = 0;

  // In the block of the Node being instantiated on this thread, else on the heap
  // (KernelBlock above); `delete` tells the two apart by a word before the object.
  // Over-aligned kernel classes are always heap objects.
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;
  static void* operator new(std::size_t size, std::align_val_t alignment);
  static void operator delete(void* p, std::align_val_t alignment) noexcept;
};

// What ONNX shape inference tells about a value at load, as ONNX Runtime's kernels
// learn it from OpKernelInfo: its element type (kUndefined when unknown: a value of a bb
// op, an absent input, or a graph without ai.onnx nodes, where inference does not run)
// and its dims when the rank is known (-1 for a dim it could not tell). Kernels may
// specialise on it at construction, and must still check what arrives at dispatch.
struct TensorInfo {
  DType type = DType::kUndefined;
  bool has_shape = false;
  Shape dims;
  bool known() const { return type != DType::kUndefined; }
};

// What a factory gets, as ONNX Runtime's OpKernelInfo: the node, its index, its row of
// the bb op table (null for ops outside it), the node's services (timers, declaring
// named state), the network side (network ops: interning peers), the version of the
// node's domain it was written against (the model's opset import, or a function's),
// and the inferred type of each input and output.
struct KernelInit {
  const onnx::NodeProto& node;
  std::uint32_t index;
  const ir::OpSpec* spec;
  KernelServices& services;
  NetworkServices& network;
  int opset = INT_MAX;
  // One per node input / output, or empty when inference did not run or typed none of
  // the node's values.
  std::span<const TensorInfo> inputs = {};
  std::span<const TensorInfo> outputs = {};
  // A node of the bb op table: its attributes against `spec`, found by the loader while it
  // parsed the node (null: a reader finds them in `node`). ops' DeclaredReader reads them.
  const ir::DeclaredAttributes* declared = nullptr;

  // The inferred type of input i / output j (unknown when there is none).
  const TensorInfo& input_info(std::size_t i) const { return i < inputs.size() ? inputs[i] : unknown(); }
  const TensorInfo& output_info(std::size_t j) const { return j < outputs.size() ? outputs[j] : unknown(); }
  static const TensorInfo& unknown() {
    static const TensorInfo none;
    return none;
  }
};

// A load error is a sentence about the node's attributes; the loader adds the file and
// the node ("graph.bb: node 'g' (BackoffGateTx #3): ...").
using KernelFactory = Expected<std::unique_ptr<Kernel>, std::string> (*)(const KernelInit&);

template <class K>
Expected<std::unique_ptr<Kernel>, std::string> make_kernel(const KernelInit& init) {
  auto made = K::create(init);
  if (!made) return unexpected(std::move(made.error()));
  return std::unique_ptr<Kernel>(std::move(*made));
}

}  // namespace bb::runtime
