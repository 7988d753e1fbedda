#include "bb/runtime/node.h"

#include <algorithm>
#include <optional>
#include <span>

#include <spdlog/spdlog.h>

#include "bb/ir/declared_attributes.h"
#include "bb/ir/names.h"
#include "bb/ir/op_table.h"

namespace bb::runtime {

// ---- What kernels see ---------------------------------------------------------------------

namespace {

// The loop over the nodes is bound by memory latency: what a kernel reads of its node
// (the node, a string attribute's bytes, a list attribute's entries) is scattered over
// the model's arena, and is prefetched a stride or two before the kernel reads it. The
// attributes' types, ints and where their strings are the plan walk took already
// (Program::declared_attributes): an attribute itself is loaded only for a list.
// Inlined always: GCC finds a function that only loads and prefetches pure and drops the
// call, since nothing uses its result (round 6's prefetches in this loop never ran).
[[gnu::always_inline]] inline void prefetch_node(const Program& p, std::span<const PlanNode> nodes, std::uint32_t i, std::uint32_t n) {
  constexpr std::uint32_t kAhead = 8;
  if (i + 2 * kAhead < n) __builtin_prefetch(nodes[i + 2 * kAhead].proto);
  if (i + kAhead < n)
    for (const ir::AttributeView& attr : p.declared_attributes(i + kAhead)) {
      if (attr.size != 0) __builtin_prefetch(attr.s().data());
      if (attr.proto != nullptr && attr.type != onnx::AttributeProto::INT && attr.type != onnx::AttributeProto::STRING)
        __builtin_prefetch(attr.proto);  // a list (or a value the view does not hold)
    }
}

// A kernel's size with its header, about: the first block of a node's kernels is this
// per node (the blocks double from there).
constexpr std::size_t kKernelBytesGuess = 64;

}  // namespace

std::uint32_t KernelServices::counter_id(std::string_view name) {
  for (std::uint32_t i = 0; i < metrics_.counters.size(); ++i)
    if (metrics_.counters[i].first == name) return i;
  metrics_.counters.emplace_back(std::string(name), 0);
  return static_cast<std::uint32_t>(metrics_.counters.size() - 1);
}

std::uint32_t KernelServices::state_id(std::string_view name) {
  for (std::uint32_t i = 0; i < states_.size(); ++i)
    if (states_[i].first == name) return i;
  states_.emplace_back(std::string(name), Value());
  return static_cast<std::uint32_t>(states_.size() - 1);
}

std::uint32_t KernelServices::series_id(std::string_view name) {
  for (std::uint32_t i = 0; i < metrics_.series.size(); ++i)
    if (metrics_.series[i].name == name) return i;
  metrics_.series.push_back(Series{std::string(name), {}});
  return static_cast<std::uint32_t>(metrics_.series.size() - 1);
}

NetworkServices::NetworkServices(PeerId self, std::uint64_t incarnation, const NodeSettings& settings, Rng& rng)
    : self_(std::move(self)), incarnation_(incarnation), settings_(settings),
      backoff_(peers_, settings.backoff, &rng), governor_(peers_, settings.governor), dedup_(peers_, settings.dedup) {
  backoff_.on_drop = [this](PeerIndex p) { governor_.forget(p); };
  outgoing_.set_schema_version(ir::kEnvelopeSchemaVersion);
  outgoing_.set_src_peer(self_.bytes());
  outgoing_.set_incarnation(incarnation_);
}

const Value& NetworkServices::peer_value(PeerIndex id) {
  if (id >= peer_values_.size()) peer_values_.resize(peers_.id_limit());
  Value& v = peer_values_[id];
  if (v.kind() != ValueKind::kPeer || v.as_peer().bytes() != peers_.bytes(id)) v = Value::peer(peers_.peer(id));
  return v;
}

// ---- Assembly -----------------------------------------------------------------------------

Node::Node(std::shared_ptr<const Program> program, Scheduler& scheduler, NodeConfig config)
    : KernelServices(scheduler, config.seed),
      NetworkServices(config.peer, config.incarnation, config.settings, rng_),
      program_(std::move(program)), trace_(config.trace), peer_text_(config.peer.to_text()),
      inputs_(std::move(config.inputs)), kernel_block_(program_->nodes().size() * kKernelBytesGuess),
      feedback_(*program_, peers_, backoff_, governor_, metrics_, config.observer, peer_text_),
      executor_(program_, kernels_, *this, *this, *this, *this, metrics_, config.max_executions,
                config.trace != nullptr) {}

Node::~Node() {
  // Kernels first: sources cancel their timers.
  kernels_.clear();
  for (std::uint32_t id = 0; id < executor_.frame_pool_size(); ++id) {
    const Executor::Frame& f = executor_.frame(id);
    if (f.has_origin && f.origin.sender != kNoPeer) peers_.release(f.origin.sender);
  }
  attempts_.for_each_live([this](PeerIndex dst) { peers_.release(dst); });
  for (const Link& l : links_)
    if (l.sender != kNoPeer) peers_.release(l.sender);
}

Expected<std::unique_ptr<Node>, LoadError> Node::create(std::shared_ptr<const Program> program, Scheduler& scheduler,
                                                        NodeConfig config) {
  TransportFactory make_transport = std::move(config.transport);
  std::unique_ptr<Node> node(new Node(std::move(program), scheduler, std::move(config)));
  if (auto r = node->instantiate(); !r) return unexpected(r.error());
  if (!make_transport) return node;
  Node* n = node.get();
  auto transport = make_transport(*n, [n](std::string_view channel) { return n->accepts_channel(channel); });
  if (!transport) return unexpected(LoadError{LoadError::Kind::kTransport, std::move(transport.error())});
  n->attach(**transport);
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
  const auto n = static_cast<std::uint32_t>(nodes.size());
  const KernelBlock::Placing placing(kernel_block_);  // the factories' kernels go into it
  for (std::uint32_t i = 0; i < n; ++i) {
    prefetch_node(p, nodes, i, n);
    const PlanNode& pn = nodes[i];
    if (trace_ != nullptr) op_names_[i] = pn.proto->name().empty() ? "#" + std::to_string(i) : pn.proto->name();
    KernelInit init{*pn.proto, i, pn.spec, *this, *this, pn.opset};
    std::optional<ir::DeclaredAttributes> declared;
    if (pn.spec != nullptr) init.declared = &declared.emplace(*pn.spec, p.declared_attributes(i));
    // The lists only for a node with a known type: most values of a large graph (bb ops')
    // have none, and input_info / output_info say unknown for an empty list as well.
    auto input_type = [&](std::uint32_t k) -> const TensorInfo& {
      const std::uint32_t ref = refs[pn.input_begin + k];
      return ref == kNoSlot ? KernelInit::unknown() : p.slot_type(ref & ~kStaticBit);
    };
    bool known = false;
    for (std::uint32_t k = 0; k < pn.input_count && p.typed() && !known; ++k) known = input_type(k).known();
    for (std::uint32_t j = 0; j < pn.output_count && p.typed() && !known; ++j)
      known = p.slot_type(pn.output_begin + j).known();
    if (known) {
      in_types.clear();
      out_types.clear();
      for (std::uint32_t k = 0; k < pn.input_count; ++k) in_types.push_back(input_type(k));
      for (std::uint32_t j = 0; j < pn.output_count; ++j) out_types.push_back(p.slot_type(pn.output_begin + j));
      init.inputs = in_types;
      init.outputs = out_types;
    }
    if (const std::string_view refused = p.attribute_problems(i); !refused.empty()) {
      problems += (problems.empty() ? "" : "\n") + std::string(refused);
      continue;
    }
    auto made = pn.op->factory(init);
    if (!made) {
      problems += (problems.empty() ? "" : "\n") + p.label() + ": " + p.where(i) + ": error: " + made.error();
      continue;
    }
    kernels_[i] = std::move(*made);
    if (pn.is_source && pn.spec != nullptr && pn.spec->domain == ir::kWireDomain && pn.spec->op_type == ir::kRecv) {
      // Its kernel read the channel as a string (ir::channel_of), from the same attribute.
      const ir::AttributeView* channel = declared->checked_view(declared->position(ir::kAttrChannel));
      recv_by_channel_[std::string(channel->s())].push_back(i);
    }
  }
  if (!problems.empty()) return unexpected(LoadError{LoadError::Kind::kInvalid, std::move(problems)});
  return executor_.bind_inputs(std::exchange(inputs_, {}));
}

void Node::start() {
  start_ns_ = now_ns();
  executor_.run_static();
  const auto nodes = program_->nodes();
  for (std::uint32_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].is_source) kernels_[i]->start(*this, i);
}

// ---- Inbound ------------------------------------------------------------------------------

void Node::deliver(const bb::Envelope& envelope, std::uint32_t link) {
  const std::vector<std::uint32_t>* recvs = nullptr;
  PeerIndex linked = kNoPeer;  // the link's sender: interned while the link holds it
  if (link == kNoLink) {
    auto it = recv_by_channel_.find(envelope.channel());
    if (it == recv_by_channel_.end()) return;
    recvs = &it->second;
  } else {
    Link& l = links_[link % links_.size()];
    if (l.recvs == nullptr || l.channel != envelope.channel()) {
      auto it = recv_by_channel_.find(envelope.channel());
      if (it == recv_by_channel_.end()) return;
      l.channel = envelope.channel();
      l.recvs = &it->second;
    }
    recvs = l.recvs;
    if (l.sender == kNoPeer || peers_.bytes(l.sender) != envelope.src_peer()) {
      const PeerIndex sender = peers_.acquire(envelope.src_peer());  // the link's reference
      if (l.sender != kNoPeer) peers_.release(l.sender);
      l.sender = sender;
    }
    linked = l.sender;
  }
  for (std::uint32_t index : *recvs) {
    if (executor_.limit_reached()) return;
    // Each execution holds a reference to the sender, released when its frame ends.
    PeerIndex sender = linked;
    if (sender != kNoPeer) {
      peers_.retain(sender);
    } else {
      sender = peers_.acquire(envelope.src_peer());
    }
    const EnvelopeMeta origin{sender, envelope.incarnation(), envelope.message_id(), &envelope};
    executor_.execute(index, &origin);
  }
}

// ---- Tracing, and what the network side makes of the dataflow -------------------------------

void Node::trace(TraceEvent event, std::uint32_t node, std::uint64_t exec, std::string_view outcome,
                 std::string_view reason, std::string_view peer) {
  const auto& proto = *program_->nodes()[node].proto;
  trace_->write(TraceRecord{now_ns(), peer_text_, exec, op_names_[node], proto.op_type(), event, outcome, reason, peer, ""});
}

void Node::on_link_state(std::string_view peer, std::string_view state, std::string_view reason) {
  if (trace_) trace_->write(TraceRecord{now_ns(), peer_text_, 0, "", "", TraceEvent::kLink, "", reason, peer, state});
}

void Node::began(std::uint32_t frame) {
  const Executor::Frame& f = executor_.frame(frame);
  trace_->execution_begin(now_ns(), peer_text_, f.exec, op_names_[f.trigger],
                          program_->nodes()[f.trigger].proto->op_type());
}

void Node::ran(std::uint32_t frame, std::uint32_t node) {
  if (frame == kStaticFrame) {
    trace(TraceEvent::kFire, node, 0, {}, {}, {});
    return;
  }
  const Executor::Frame& f = executor_.frame(frame);
  const bool received = f.has_origin && node == f.trigger;
  trace(received ? TraceEvent::kReceive : TraceEvent::kFire, node, f.exec, {}, {},
        received ? peers_.text(f.origin.sender) : std::string());
}

void Node::failed(std::uint32_t frame, std::uint32_t node, const OpResult& r) {
  if (frame == kStaticFrame) {
    if (trace_) trace(r.status == Status::kDenied ? TraceEvent::kDeny : TraceEvent::kFail, node, 0, {},
                      to_string(r.reason), {});
    return;
  }
  const Executor::Frame& f = executor_.frame(frame);
  const bool is_recv = f.has_origin && node == f.trigger;
  feedback_.failed(frame, node, r, is_recv, f.has_origin, now_ns());
  if (trace_) {
    const TraceEvent event = is_recv ? TraceEvent::kDrop
                             : r.status == Status::kDenied ? TraceEvent::kDeny
                                                           : TraceEvent::kFail;
    std::string peer;
    if (r.peer != kNoPeer) peer = peers_.text(r.peer);
    else if (is_recv || feedback_.is_rx_gate(node)) peer = peers_.text(f.origin.sender);
    trace(event, node, f.exec, {}, to_string(r.reason), peer);
  }
  if (r.status == Status::kFailed && !r.detail.empty())
    spdlog::debug("{}: {}: {}: {}", program_->label(), program_->where(node), to_string(r.reason), r.detail);
}

void Node::ended(std::uint32_t frame) {
  const Executor::Frame& f = executor_.frame(frame);
  if (trace_) trace_->execution_end(now_ns(), peer_text_, f.exec);
  feedback_.frame_ended(frame, f.has_origin);
  if (f.has_origin) peers_.release(f.origin.sender);
}

// ---- Async completion and attempts ------------------------------------------------------

PendingId Node::defer(std::uint32_t index) {
  if (executor_.in_static()) return 0;  // a static node cannot wait: compute's pending becomes an error
  executor_.hold();
  last_deferred_ = attempts_.open(executor_.current_frame(), index);
  return last_deferred_;
}

void Node::deferred(std::uint32_t, std::uint32_t) {
  if (attempts_.arm(last_deferred_)) complete(last_deferred_);
}

// Every gate dispatch comes here; most only count. The rest is a call of its own, so
// counting saves and restores no registers.
void Node::decide(std::uint32_t index, Reason reason, const PeerId* peer) {
  feedback_.count_decision(index, reason);
  if (peer != nullptr && reason != Reason::kNone && (trace_ != nullptr || feedback_.observed()))
    denied_peer(index, reason, *peer);
}

// A filtering gate denied `peer`: traced, and shown to the observer.
[[gnu::noinline]] void Node::denied_peer(std::uint32_t index, Reason reason, const PeerId& peer) {
  if (trace_) trace(TraceEvent::kDeny, index, executor_.current_exec(), {}, to_string(reason), peer.to_text());
  if (feedback_.observed()) {
    const PeerIndex id = peers_.find(peer.bytes());
    if (id != kNoPeer) feedback_.observe_hold(index, id, reason, now_ns());
  }
}

void Node::send_attempt(PendingId pending, PeerIndex dst, const bb::Envelope& envelope) {
  // A Send whose inputs are all static would run in the static run, which has no frame
  // to wait in: no attempt is made and the static run reports the node.
  if (executor_.in_static()) return;
  peers_.retain(dst);
  const AttemptId id = attempts_.add(pending, dst);
  if (trace_) {
    const AttemptTable::Pending& pd = attempts_.pending(pending);
    trace(TraceEvent::kAttempt, pd.node, executor_.frame(pd.frame).exec, {}, {}, peers_.text(dst));
  }
  if (transport_ == nullptr) {
    on_outcome(id, Outcome{OutcomeKind::kUnreachable});
    return;
  }
  transport_->send(id, envelope);
}

void Node::on_outcome(AttemptId attempt, const Outcome& outcome) {
  const auto ended = attempts_.end(attempt);
  if (!ended) {
    spdlog::warn("{}: outcome {} for unknown attempt {} ignored", peer_text_, to_string(outcome.kind), attempt);
    return;
  }
  const auto [pending, dst] = *ended;
  feedback_.outcome(dst, outcome, now_ns());
  if (trace_) {
    const AttemptTable::Pending& pd = attempts_.pending(pending);
    const std::string_view why = outcome.reason;  // the receiver's refusal, or what the transport saw
    trace(TraceEvent::kOutcome, pd.node, executor_.frame(pd.frame).exec, to_string(outcome.kind), why,
          peers_.text(dst));
  }
  peers_.release(dst);
  if (attempts_.record(pending, outcome.kind)) complete(pending);
}

void Node::complete(PendingId id) {
  const AttemptTable::Completed done = attempts_.complete(id);
  executor_.resume(done.frame, done.node, done.failure);
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
