#include "bb/runtime/node.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bb/ir/gates.h"
#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
#include "bb/ir/wire_shape.h"
#include "bb/runtime/tensor_proto.h"

namespace bb::runtime {
namespace {

Reason reason_of(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kDelivered: return Reason::kNone;
    case OutcomeKind::kUnreachable: return Reason::kUnreachable;
    case OutcomeKind::kTimeout: return Reason::kTimeout;
    case OutcomeKind::kRejected: return Reason::kRejected;
    case OutcomeKind::kAdvised: return Reason::kAdvised;
  }
  return Reason::kInternal;
}

constexpr PendingId make_id(std::uint32_t index, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | index;
}
constexpr std::uint32_t id_index(std::uint64_t id) { return static_cast<std::uint32_t>(id); }
constexpr std::uint32_t id_generation(std::uint64_t id) { return static_cast<std::uint32_t>(id >> 32); }

// A bb op's attributes against the op table's declarations, the check bbc runs as
// BB008: one error line per problem, "" when there is none.
std::string declared_attribute_problems(const PlanNode& pn, const Program& p, std::uint32_t i) {
  if (pn.spec == nullptr) return {};
  std::string lines;
  for (const auto& problem : ir::check_node_attributes(*pn.spec, *pn.proto)) {
    // A missing, mistyped or one-of attribute the kernel's own read reports in its words;
    // what only the declaration knows (unknown names, ranges, choices, rules) is said here.
    using Kind = ir::AttrProblem::Kind;
    if (problem.kind == Kind::kType || problem.kind == Kind::kMissing || problem.kind == Kind::kOneOf) continue;
    lines += (lines.empty() ? "" : "\n") + p.label() + ": " + p.where(i) + ": error: " + problem.message +
             " [hint: " + problem.hint + "; bbc lint reports this before a run]";
  }
  return lines;
}

}  // namespace

NodeServices::NodeServices(PeerId self, std::uint64_t incarnation, std::uint64_t seed, Scheduler& scheduler,
                           const NodeSettings& settings)
    : self_(std::move(self)), incarnation_(incarnation), scheduler_(scheduler), settings_(settings), rng_(seed),
      backoff_(peers_, settings.backoff, &rng_), governor_(peers_, settings.governor), dedup_(peers_, settings.dedup) {
  backoff_.on_drop = [this](PeerIndex p) { governor_.forget(p); };
}

std::uint32_t NodeServices::counter_id(std::string_view name) {
  for (std::uint32_t i = 0; i < metrics_.counters.size(); ++i)
    if (metrics_.counters[i].first == name) return i;
  metrics_.counters.emplace_back(std::string(name), 0);
  return static_cast<std::uint32_t>(metrics_.counters.size() - 1);
}

std::uint32_t NodeServices::state_id(std::string_view name) {
  for (std::uint32_t i = 0; i < states_.size(); ++i)
    if (states_[i].first == name) return i;
  states_.emplace_back(std::string(name), Value());
  return static_cast<std::uint32_t>(states_.size() - 1);
}

std::uint32_t NodeServices::series_id(std::string_view name) {
  for (std::uint32_t i = 0; i < metrics_.series.size(); ++i)
    if (metrics_.series[i].name == name) return i;
  metrics_.series.push_back(Series{std::string(name), {}});
  return static_cast<std::uint32_t>(metrics_.series.size() - 1);
}

const Value& NodeServices::peer_value(PeerIndex id) {
  if (id >= peer_values_.size()) peer_values_.resize(peers_.id_limit());
  Value& v = peer_values_[id];
  if (v.kind() != ValueKind::kPeer || v.as_peer().bytes() != peers_.bytes(id)) v = Value::peer(peers_.peer(id));
  return v;
}

Node::Node(std::shared_ptr<const Program> program, Scheduler& scheduler, NodeConfig config)
    : NodeServices(config.peer, config.incarnation, config.seed, scheduler, config.settings),
      program_(std::move(program)), trace_(config.trace), observer_(config.observer), peer_text_(config.peer.to_text()),
      max_executions_(config.max_executions), inputs_(std::move(config.inputs)) {}

Node::~Node() {
  // Kernels first: sources cancel their timers.
  kernels_.clear();
  for (auto& f : frames_)
    if (f->has_envelope && f->envelope.sender != kNoPeer) peers_.release(f->envelope.sender);
  for (auto& a : attempts_)
    if (a.live) peers_.release(a.dst);
}

Expected<std::unique_ptr<Node>, LoadError> Node::create(std::shared_ptr<const Program> program, Scheduler& scheduler,
                                                        NodeConfig config) {
  std::unique_ptr<Node> node(new Node(std::move(program), scheduler, std::move(config)));
  if (auto r = node->instantiate(); !r) return unexpected(r.error());
  return node;
}

Expected<void, LoadError> Node::instantiate() {
  const Program& p = *program_;
  const auto nodes = p.nodes();
  kernels_.resize(nodes.size());
  if (trace_ != nullptr) op_names_.resize(nodes.size());  // only the trace names nodes
  std::string problems;
  std::vector<TensorInfo> in_types, out_types;  // what shape inference found, per node
  const auto refs = p.input_refs();
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    const PlanNode& pn = nodes[i];
    if (trace_ != nullptr) op_names_[i] = pn.proto->name().empty() ? "#" + std::to_string(i) : pn.proto->name();
    KernelInit init{*pn.proto, i, pn.spec, *this, pn.opset};
    if (p.typed()) {
      in_types.clear();
      out_types.clear();
      for (std::uint32_t k = 0; k < pn.input_count; ++k) {
        const std::uint32_t ref = refs[pn.input_begin + k];
        in_types.push_back(ref == kNoSlot ? TensorInfo{} : p.slot_type(ref & ~kStaticBit));
      }
      for (std::uint32_t j = 0; j < pn.output_count; ++j) out_types.push_back(p.slot_type(pn.output_begin + j));
      init.inputs = in_types;
      init.outputs = out_types;
    }
    if (auto refused = declared_attribute_problems(pn, p, i); !refused.empty()) {
      problems += (problems.empty() ? "" : "\n") + refused;
      continue;
    }
    auto made = pn.op->factory(init);
    if (!made) {
      problems += (problems.empty() ? "" : "\n") + p.label() + ": " + p.where(i) + ": error: " + made.error();
      continue;
    }
    kernels_[i] = std::move(*made);
    if (pn.gate >= 0) metrics_.gate_present[static_cast<std::size_t>(pn.gate)] = true;
    if (pn.op->kind == ir::OpKind::kSource && ir::is_recv(*pn.proto)) recv_by_channel_[std::string(ir::channel_of(*pn.proto))].push_back(i);
  }
  if (!problems.empty()) return unexpected(LoadError{LoadError::Kind::kInvalid, std::move(problems)});
  static_values_.resize(p.slot_count());
  static_inputs_.resize(p.max_arity());
  for (const auto& [slot, tensor] : p.initializers()) {
    auto converted = from_proto(*tensor);
    if (!converted)
      return unexpected(LoadError{LoadError::Kind::kInvalid,
                                  p.label() + ": initializer '" + tensor->name() + "': " + converted.error()});
    static_values_[slot] = Value::tensor(std::move(*converted));
  }
  for (auto& [name, value] : inputs_) {
    auto it = std::find_if(p.graph_inputs().begin(), p.graph_inputs().end(),
                           [&n = name](const auto& gi) { return gi.first == n; });
    if (it == p.graph_inputs().end())
      return unexpected(LoadError{LoadError::Kind::kInvalid,
                                  p.label() + ": --input " + name + ": the graph has no input of that name"});
    static_values_[it->second] = std::move(value);
  }
  inputs_.clear();
  // Every graph input without an initializer needs a value: all missing ones at once.
  for (const auto& [name, slot] : p.graph_inputs())
    if (!static_values_[slot].has_value())
      problems += (problems.empty() ? "" : "\n") + p.label() + ": graph input '" + name +
                  "': error: no value given and no initializer [hint: --input " + name + "=FILE.pb, or --inputs DIR]";
  if (!problems.empty()) return unexpected(LoadError{LoadError::Kind::kInvalid, std::move(problems)});
  outputs_.resize(p.graph_outputs().size());
  return {};
}

// ---- Tracing -------------------------------------------------------------------------

void Node::trace(TraceEvent event, std::uint32_t node, std::uint64_t exec, std::string_view outcome,
                 std::string_view reason, std::string_view peer) {
  const auto& proto = *program_->nodes()[node].proto;
  trace_->write(TraceRecord{now_ns(), peer_text_, exec, op_names_[node], proto.op_type(), event, outcome, reason, peer});
}

// ---- Static run ------------------------------------------------------------------------

void Node::run_static() {
  const Program& p = *program_;
  const auto nodes = p.nodes();
  const auto refs = p.input_refs();
  in_static_ = true;
  current_exec_ = 0;
  // Readers left per static slot: a value no frame reads is dropped after its last one.
  std::vector<std::uint32_t> uses(p.slot_count());
  for (std::uint32_t s = 0; s < uses.size(); ++s) uses[s] = p.static_uses(s);
  auto release_inputs = [&](const PlanNode& pn) {
    for (std::uint32_t k = 0; k < pn.input_count; ++k) {
      const std::uint32_t ref = refs[pn.input_begin + k];
      if (ref == kNoSlot) continue;
      const std::uint32_t s = ref & ~kStaticBit;
      if (--uses[s] == 0 && !p.keep_after_static(s)) static_values_[s].reset();
    }
  };
  for (std::uint32_t i : p.static_order()) {
    const PlanNode& pn = nodes[i];
    bool missing = false;
    for (std::uint32_t k = 0; k < pn.input_count; ++k) {
      const std::uint32_t ref = refs[pn.input_begin + k];
      static_inputs_[k] = ref == kNoSlot ? &empty_ : &static_values_[ref & ~kStaticBit];
      if (ref != kNoSlot && !static_inputs_[k]->has_value()) missing = true;
    }
    if (missing) {
      ++metrics_.skipped;
      spdlog::warn("{}: {}: does not run: an input has no value (a failed node upstream)", p.label(), p.where(i));
      release_inputs(pn);
      continue;
    }
    Value* outs = &static_values_[pn.output_begin];
    Invocation inv(static_inputs_.data(), pn.input_count, outs, pn.output_count, *this, i, 0, nullptr);
    inv.hooks = this;
    ++metrics_.dispatches;
    OpResult r = kernels_[i]->compute(inv);
    release_inputs(pn);
    if (r.status == Status::kOk) {
      if (trace_) trace(TraceEvent::kFire, i, 0, {}, {}, {});
      continue;
    }
    for (std::uint32_t j = 0; j < pn.output_count; ++j) outs[j].reset();
    if (trace_)
      trace(r.status == Status::kDenied ? TraceEvent::kDeny : TraceEvent::kFail, i, 0, {}, to_string(r.reason), {});
    if (r.status == Status::kPending) {
      spdlog::error("{}: {}: static node cannot be async: its inputs are all static, so it runs once at start, "
                    "where nothing can wait for an outcome [hint: give it a trigger input, e.g. a Pulse]",
                    p.label(), p.where(i));
      continue;
    }
    spdlog::error("{}: {}: static node failed: {}{}{}", p.label(), p.where(i), to_string(r.reason),
                  r.detail.empty() ? "" : ": ", r.detail);
  }
  in_static_ = false;
  for (std::uint32_t k = 0; k < outputs_.size(); ++k) {
    const std::uint32_t slot = p.graph_outputs()[k].second;
    if (static_values_[slot].has_value()) outputs_[k] = static_values_[slot];
  }
}

void Node::start() {
  start_ns_ = now_ns();
  run_static();
  const auto nodes = program_->nodes();
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].is_source) kernels_[i]->start(*this, i);
}

// ---- Frames ------------------------------------------------------------------------------

std::uint32_t Node::acquire_frame() {
  ++live_frames_;
  if (!free_frames_.empty()) {
    const std::uint32_t id = free_frames_.back();
    free_frames_.pop_back();
    return id;
  }
  const Program& p = *program_;
  auto f = std::make_unique<Frame>();
  f->values.resize(p.slot_count());
  f->uses.resize(p.slot_count());
  f->state.resize(p.nodes().size());
  f->written.reserve(p.slot_count());
  f->ready.reserve(p.nodes().size());
  f->inputs.resize(p.max_arity());
  frames_.push_back(std::move(f));
  return static_cast<std::uint32_t>(frames_.size() - 1);
}

void Node::release_frame(std::uint32_t id) {
  Frame& f = *frames_[id];
  if (trace_) trace_->execution_end(now_ns(), peer_text_, f.exec);
  for (std::uint32_t slot : f.written) f.values[slot].reset();
  f.written.clear();
  if (f.has_envelope) {
    if (!f.recv_dropped) {
      if (f.rx_reason == Reason::kNone)
        ++metrics_.receives_accepted;
      else
        ++metrics_.receive_drops[static_cast<std::size_t>(f.rx_reason)];
    }
    peers_.release(f.envelope.sender);
    f.envelope = EnvelopeMeta{};
    f.has_envelope = false;
  }
  f.recv_dropped = false;
  f.rx_reason = Reason::kNone;
  // A new epoch invalidates every node state; on wrap-around clear them for real.
  if (++f.epoch == 0) {
    std::fill(f.state.begin(), f.state.end(), NodeState{});
    f.epoch = 1;
  }
  free_frames_.push_back(id);
  --live_frames_;
}

Node::NodeState& Node::state_of(Frame& f, std::uint32_t node) {
  NodeState& s = f.state[node];
  if (s.epoch != f.epoch) s = NodeState{f.epoch, program_->nodes()[node].dynamic_inputs, NodeStatus::kWaiting};
  return s;
}

void Node::fire(std::uint32_t index) {
  if (limit_reached()) return;
  const std::uint32_t id = acquire_frame();
  Frame& f = *frames_[id];
  if (f.epoch == 0) f.epoch = 1;
  f.exec = ++metrics_.executions;
  f.trigger = index;
  if (trace_) trace_->execution_begin(now_ns(), peer_text_, f.exec, op_names_[index], program_->nodes()[index].proto->op_type());
  state_of(f, index).status = NodeStatus::kReady;
  f.ready.push_back(index);
  run_frame(id);
}

void Node::deliver(const bb::Envelope& envelope) {
  auto it = recv_by_channel_.find(envelope.channel());
  if (it == recv_by_channel_.end()) return;
  for (std::uint32_t index : it->second) {
    if (limit_reached()) return;
    const std::uint32_t id = acquire_frame();
    Frame& f = *frames_[id];
    if (f.epoch == 0) f.epoch = 1;
    f.exec = ++metrics_.executions;
    f.trigger = index;
    if (trace_) trace_->execution_begin(now_ns(), peer_text_, f.exec, op_names_[index], program_->nodes()[index].proto->op_type());
    f.has_envelope = true;
    f.envelope = EnvelopeMeta{peers_.acquire(envelope.src_peer()), envelope.incarnation(), envelope.message_id(),
                              &envelope};
    state_of(f, index).status = NodeStatus::kReady;
    f.ready.push_back(index);
    run_frame(id);
  }
}

void Node::run_frame(std::uint32_t id) {
  Frame& f = *frames_[id];
  f.running = true;
  while (!f.ready.empty()) {
    std::pop_heap(f.ready.begin(), f.ready.end(), std::greater<>{});
    const std::uint32_t node = f.ready.back();
    f.ready.pop_back();
    dispatch(id, node);
  }
  f.running = false;
  if (f.has_envelope) f.envelope.envelope = nullptr;  // only the Recv may read it
  if (f.pending == 0) release_frame(id);
}

void Node::dispatch(std::uint32_t frame_id, std::uint32_t node) {
  Frame& f = *frames_[frame_id];
  const Program& p = *program_;
  const PlanNode& pn = p.nodes()[node];
  const std::uint32_t* refs = p.input_refs().data() + pn.input_begin;
  for (std::uint32_t k = 0; k < pn.input_count; ++k) {
    const std::uint32_t ref = refs[k];
    f.inputs[k] = ref == kNoSlot ? &empty_
                  : (ref & kStaticBit) ? &static_values_[ref & ~kStaticBit]
                                       : &f.values[ref];
  }
  Invocation inv(f.inputs.data(), pn.input_count, &f.values[pn.output_begin], pn.output_count, *this, node, f.exec,
                 f.has_envelope ? &f.envelope : nullptr);
  inv.hooks = this;
  ++metrics_.dispatches;
  const std::uint32_t saved_frame = current_frame_;
  const std::uint64_t saved_exec = current_exec_;
  current_frame_ = frame_id;
  current_exec_ = f.exec;
  deferred_ = false;
  OpResult r = kernels_[node]->compute(inv);
  current_frame_ = saved_frame;
  current_exec_ = saved_exec;
  release_inputs(f, node);
  if (r.status == Status::kPending && !deferred_)
    r = OpResult::fail(Reason::kInternal, "the kernel returned pending without deferring");
  switch (r.status) {
    case Status::kOk: {
      f.state[node].status = NodeStatus::kDone;
      if (trace_) {
        const bool received = f.has_envelope && node == f.trigger;
        trace(received ? TraceEvent::kReceive : TraceEvent::kFire, node, f.exec, {}, {},
              received ? peers_.text(f.envelope.sender) : std::string());
      }
      publish(f, node);
      return;
    }
    case Status::kPending: {
      f.state[node].status = NodeStatus::kPending;
      Pending& pd = pendings_[id_index(last_deferred_)];
      pd.armed = true;
      if (pd.outstanding == 0) complete(last_deferred_);
      return;
    }
    case Status::kDenied:
    case Status::kFailed: fail_node(f, node, r); return;
  }
}

// The node has run: each frame value it read has one reader fewer, and one whose
// readers have all run is dropped (a graph output stays).
void Node::release_inputs(Frame& f, std::uint32_t node) {
  const Program& p = *program_;
  const PlanNode& pn = p.nodes()[node];
  const std::uint32_t* refs = p.input_refs().data() + pn.input_begin;
  for (std::uint32_t k = 0; k < pn.input_count; ++k) {
    const std::uint32_t ref = refs[k];
    if (ref == kNoSlot || (ref & kStaticBit) != 0) continue;
    if (--f.uses[ref] == 0 && p.output_index(ref) == kNoSlot) f.values[ref].reset();
  }
}

void Node::publish(Frame& f, std::uint32_t node) {
  const Program& p = *program_;
  const PlanNode& pn = p.nodes()[node];
  for (std::uint32_t j = 0; j < pn.output_count; ++j) {
    const std::uint32_t slot = pn.output_begin + j;
    if (!f.values[slot].has_value()) continue;
    f.written.push_back(slot);
    const auto readers = p.consumers(slot);
    f.uses[slot] = static_cast<std::uint32_t>(readers.size());
    if (const std::uint32_t k = p.output_index(slot); k != kNoSlot) outputs_[k] = f.values[slot];
    for (std::uint32_t c : readers) {
      NodeState& s = state_of(f, c);
      if (s.status != NodeStatus::kWaiting) continue;
      if (--s.missing == 0) {
        s.status = NodeStatus::kReady;
        f.ready.push_back(c);
        std::push_heap(f.ready.begin(), f.ready.end(), std::greater<>{});
      }
    }
  }
}

void Node::fail_node(Frame& f, std::uint32_t node, const OpResult& r) {
  const PlanNode& pn = program_->nodes()[node];
  for (std::uint32_t j = 0; j < pn.output_count; ++j) f.values[pn.output_begin + j].reset();
  f.state[node].status = NodeStatus::kFailed;
  const bool is_recv = f.has_envelope && node == f.trigger;
  if (is_recv) {
    f.recv_dropped = true;
    ++metrics_.receive_drops[static_cast<std::size_t>(r.reason)];
  } else if (pn.rx_gate && f.has_envelope && f.rx_reason == Reason::kNone) {
    f.rx_reason = r.reason;
  }
  if (observer_ && r.status == Status::kDenied && r.peer != kNoPeer) observe_hold(node, r.peer, r.reason);
  if (trace_) {
    const TraceEvent event = is_recv ? TraceEvent::kDrop
                             : r.status == Status::kDenied ? TraceEvent::kDeny
                                                           : TraceEvent::kFail;
    std::string peer;
    if (r.peer != kNoPeer) peer = peers_.text(r.peer);
    else if (is_recv || pn.rx_gate) peer = peers_.text(f.envelope.sender);
    trace(event, node, f.exec, {}, to_string(r.reason), peer);
  }
  if (r.status == Status::kFailed && !r.detail.empty())
    spdlog::debug("{}: {}: {}: {}", program_->label(), program_->where(node), to_string(r.reason), r.detail);
  skip_downstream(f, node);
}

void Node::skip_downstream(Frame& f, std::uint32_t node) {
  const Program& p = *program_;
  skip_stack_.push_back(node);
  while (!skip_stack_.empty()) {
    const std::uint32_t n = skip_stack_.back();
    skip_stack_.pop_back();
    const PlanNode& pn = p.nodes()[n];
    for (std::uint32_t j = 0; j < pn.output_count; ++j) {
      for (std::uint32_t c : p.consumers(pn.output_begin + j)) {
        NodeState& s = state_of(f, c);
        if (s.status != NodeStatus::kWaiting) continue;
        s.status = NodeStatus::kSkipped;
        ++metrics_.skipped;
        skip_stack_.push_back(c);
      }
    }
  }
}

// ---- Async completion and attempts ------------------------------------------------------

namespace {

// A slot of `items`: a freed one when there is one, else a new one at the end.
template <class T>
std::uint32_t acquire_slot(std::vector<T>& items, std::vector<std::uint32_t>& free) {
  if (!free.empty()) {
    const std::uint32_t slot = free.back();
    free.pop_back();
    return slot;
  }
  items.emplace_back();
  return static_cast<std::uint32_t>(items.size() - 1);
}

}  // namespace

PendingId Node::defer(std::uint32_t index) {
  if (in_static_) return 0;  // a static node cannot wait: compute's pending becomes an error
  const std::uint32_t slot = acquire_slot(pendings_, free_pendings_);
  Pending& pd = pendings_[slot];
  pd.frame = current_frame_;
  pd.node = index;
  pd.outstanding = 0;
  pd.delivered = 0;
  pd.failure = Reason::kNone;
  pd.armed = false;
  pd.live = true;
  ++frames_[current_frame_]->pending;
  deferred_ = true;
  last_deferred_ = make_id(slot, pd.generation);
  return last_deferred_;
}

void Node::decide(std::uint32_t index, Reason reason, const PeerId* peer) {
  const int gate = program_->nodes()[index].gate;
  if (gate >= 0) ++metrics_.gates[static_cast<std::size_t>(gate)][static_cast<std::size_t>(reason)];
  if (trace_ && peer != nullptr && reason != Reason::kNone)
    trace(TraceEvent::kDeny, index, current_exec_, {}, to_string(reason), peer->to_text());
  if (observer_ && peer != nullptr && reason != Reason::kNone) {
    const PeerIndex id = peers_.find(peer->bytes());
    if (id != kNoPeer) observe_hold(index, id, reason);
  }
}

void Node::observe_hold(std::uint32_t node, PeerIndex peer, Reason reason) {
  const int gate = program_->nodes()[node].gate;
  if (gate < 0 || !ir::kGates[static_cast<std::size_t>(gate)].tx) return;
  observer_->held(now_ns(), peer_text_, peers_.text(peer), reason);
}

void Node::send_attempt(PendingId pending, PeerIndex dst, const bb::Envelope& envelope) {
  // A Send whose inputs are all static would run in the static run, which has no frame
  // to wait in: no attempt is made and run_static() reports the node.
  if (in_static_) return;
  Pending& pd = pendings_[id_index(pending)];
  const std::uint32_t slot = acquire_slot(attempts_, free_attempts_);
  Attempt& a = attempts_[slot];
  a.pending = pending;
  a.dst = dst;
  a.live = true;
  peers_.retain(dst);
  ++pd.outstanding;
  ++live_attempts_;
  const AttemptId id = make_id(slot, a.generation);
  if (trace_) trace(TraceEvent::kAttempt, pd.node, frames_[pd.frame]->exec, {}, {}, peers_.text(dst));
  if (transport_ == nullptr) {
    on_outcome(id, Outcome{OutcomeKind::kUnreachable});
    return;
  }
  transport_->send(id, envelope);
}

// A receiver's refusal: counted by its label, logged once per label (a typo'd channel
// would otherwise flood the log), every one at debug level.
void Node::note_rejection(PeerIndex dst, const Outcome& outcome) {
  const std::string_view label = outcome.reason.empty() ? std::string_view("unknown") : outcome.reason;
  auto& by = metrics_.rejected_by;
  auto it = std::find_if(by.begin(), by.end(), [label](const auto& c) { return c.first == label; });
  if (it != by.end()) {
    ++it->second;
    spdlog::debug("{}: {} rejected a Send: {}: {}", peer_text_, peers_.text(dst), label, outcome.detail);
    return;
  }
  by.emplace_back(std::string(label), 1);
  spdlog::warn("{}: {} rejected a Send: {}{}{} (logged once per reason)", peer_text_, peers_.text(dst), label,
               outcome.detail.empty() ? "" : ": ", outcome.detail);
}

void Node::on_outcome(AttemptId attempt, const Outcome& outcome) {
  const std::uint32_t slot = id_index(attempt);
  if (slot >= attempts_.size() || !attempts_[slot].live || attempts_[slot].generation != id_generation(attempt)) {
    spdlog::warn("{}: outcome {} for unknown attempt {} ignored", peer_text_, to_string(outcome.kind), attempt);
    return;
  }
  Attempt& a = attempts_[slot];
  const PeerIndex dst = a.dst;
  const PendingId pending = a.pending;
  a.live = false;
  ++a.generation;
  free_attempts_.push_back(slot);
  --live_attempts_;

  const std::int64_t now = now_ns();
  const std::uint32_t failures_before = observer_ ? governor_.consecutive_failures(dst) : 0;
  switch (outcome.kind) {
    case OutcomeKind::kDelivered:
      backoff_.record_success(dst);
      governor_.record_success(dst);
      break;
    case OutcomeKind::kUnreachable:
    case OutcomeKind::kTimeout:
    case OutcomeKind::kRejected:
      backoff_.record_failure(dst, now);
      governor_.record_failure(dst);
      if (outcome.kind == OutcomeKind::kRejected) note_rejection(dst, outcome);
      break;
    case OutcomeKind::kAdvised: backoff_.record_remote_advisory(dst, now, outcome.min_backoff_ns); break;
  }
  ++metrics_.attempts[static_cast<std::size_t>(outcome.kind)];
  if (observer_) {
    const auto st = backoff_.state(dst);
    const std::string dst_text = peers_.text(dst);
    observer_->outcome(PeerOutcome{now, peer_text_, dst_text, outcome.kind, st ? st->failures : 0, failures_before,
                                   st ? st->next_retry_ns : 0, governor_.is_down(dst),
                                   outcome.kind == OutcomeKind::kRejected ? outcome.reason : std::string_view()});
  }
  Pending& pd = pendings_[id_index(pending)];
  if (trace_) {
    const std::string_view why = outcome.kind == OutcomeKind::kRejected ? outcome.reason : std::string_view();
    trace(TraceEvent::kOutcome, pd.node, frames_[pd.frame]->exec, to_string(outcome.kind), why, peers_.text(dst));
  }
  peers_.release(dst);
  if (outcome.kind == OutcomeKind::kDelivered)
    ++pd.delivered;
  else if (pd.failure == Reason::kNone)
    pd.failure = reason_of(outcome.kind);
  if (--pd.outstanding == 0 && pd.armed) complete(pending);
}

void Node::complete(PendingId id) {
  Pending& pd = pendings_[id_index(id)];
  const std::uint32_t frame_id = pd.frame, node = pd.node;
  const std::uint32_t delivered = pd.delivered;
  const Reason failure = pd.failure;
  pd.live = false;
  ++pd.generation;
  free_pendings_.push_back(id_index(id));
  Frame& f = *frames_[frame_id];
  --f.pending;
  if (delivered > 0 || failure == Reason::kNone) {
    f.state[node].status = NodeStatus::kDone;
    const PlanNode& pn = program_->nodes()[node];
    if (pn.output_count > 0) f.values[pn.output_begin] = Value::trigger();
    if (trace_) trace(TraceEvent::kFire, node, f.exec, {}, {}, {});
    publish(f, node);
  } else {
    fail_node(f, node, OpResult::fail(failure, {}));
  }
  if (!f.running) run_frame(frame_id);
}

// ---- Report ------------------------------------------------------------------------------

NodeReport Node::report() const {
  NodeReport out;
  out.peer = peer_text_;
  out.metrics = metrics_;
  for (PeerIndex p : backoff_.tracked_peers()) {
    const auto st = backoff_.state(p);
    out.peers.push_back(PeerReport{peers_.text(p), st->failures, st->next_retry_ns, governor_.is_down(p)});
  }
  std::sort(out.peers.begin(), out.peers.end(), [](const auto& a, const auto& b) { return a.peer < b.peer; });
  for (const auto& [name, value] : states_) out.states.push_back(state_report(name, value));
  std::sort(out.states.begin(), out.states.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace bb::runtime
