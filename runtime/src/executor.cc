#include "bb/runtime/executor.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <span>

#include <spdlog/spdlog.h>

#include "bb/runtime/tensor_proto.h"

namespace bb::runtime {

Executor::Executor(std::shared_ptr<const Program> program, std::vector<std::unique_ptr<Kernel>>& kernels,
                   KernelServices& services, NetworkServices& network, Invocation::Hooks& hooks,
                   ExecutorEvents& events, NodeMetrics& metrics, std::int64_t max_executions, bool traced)
    : program_(std::move(program)), kernels_(kernels), services_(services), network_(network), hooks_(hooks),
      events_(events), metrics_(metrics), max_executions_(max_executions), traced_(traced) {
  const Program& p = *program_;
  wiring_.reserve(p.nodes().size());
  for (const PlanNode& pn : p.nodes())
    wiring_.push_back({pn.input_begin, pn.input_count, pn.output_begin, pn.output_count, pn.dynamic_inputs});
  slots_.reserve(p.slot_count());
  for (std::uint32_t s = 0; s < p.slot_count(); ++s) {
    const auto readers = p.consumers(s);
    const auto count = static_cast<std::uint32_t>(readers.size());
    const std::uint32_t output = p.output_index(s);
    slots_.push_back({readers.data(), count, count + (output != kNoSlot ? 1 : 0), output});
  }
}

Expected<void, LoadError> Executor::bind_inputs(std::vector<std::pair<std::string, Value>> inputs) {
  const Program& p = *program_;
  static_values_.resize(p.slot_count());
  static_inputs_.resize(p.max_arity());
  for (const auto& [slot, tensor] : p.initializers()) {
    auto converted = from_proto(*tensor);
    if (!converted)
      return unexpected(LoadError{LoadError::Kind::kInvalid,
                                  p.label() + ": initializer '" + tensor->name() + "': " + converted.error()});
    static_values_[slot] = Value::tensor(std::move(*converted));
  }
  for (auto& [name, value] : inputs) {
    auto it = std::find_if(p.graph_inputs().begin(), p.graph_inputs().end(),
                           [&n = name](const auto& gi) { return gi.first == n; });
    if (it == p.graph_inputs().end())
      return unexpected(LoadError{LoadError::Kind::kInvalid,
                                  p.label() + ": --input " + name + ": the graph has no input of that name"});
    static_values_[it->second] = std::move(value);
  }
  // Every graph input without an initializer needs a value: all missing ones at once.
  std::string problems;
  for (const auto& [name, slot] : p.graph_inputs())
    if (!static_values_[slot].has_value())
      problems += (problems.empty() ? "" : "\n") + p.label() + ": graph input '" + name +
                  "': error: no value given and no initializer [hint: --input " + name + "=FILE.pb, or --inputs DIR]";
  if (!problems.empty()) return unexpected(LoadError{LoadError::Kind::kInvalid, std::move(problems)});
  outputs_.resize(p.graph_outputs().size());
  return {};
}

// ---- Static run ------------------------------------------------------------------------

void Executor::run_static() {
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
    Invocation inv(static_inputs_.data(), pn.input_count, outs, pn.output_count, services_, network_, i, 0, nullptr);
    inv.hooks = &hooks_;
    ++metrics_.dispatches;
    OpResult r = kernels_[i]->compute(inv);
    release_inputs(pn);
    if (r.status == Status::kOk) {
      if (traced_) events_.ran(kStaticFrame, i);
      continue;
    }
    for (std::uint32_t j = 0; j < pn.output_count; ++j) outs[j].reset();
    events_.failed(kStaticFrame, i, r);
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

// ---- Frames ------------------------------------------------------------------------------

std::uint32_t Executor::acquire_frame() {
  ++live_frames_;
  if (!free_frames_.empty()) {
    const std::uint32_t id = free_frames_.back();
    free_frames_.pop_back();
    return id;
  }
  const Program& p = *program_;
  auto f = std::make_unique<FrameData>();
  f->values.resize(p.slot_count());
  f->uses.resize(p.slot_count());
  f->state.resize(p.nodes().size());
  f->written.resize(p.slot_count());  // a slot is written at most once per frame
  f->ready.resize(p.nodes().size());
  assert(static_values_.size() == p.slot_count() && "bind_inputs sizes the static slots before any frame");
  const auto refs = p.input_refs();
  f->inputs.resize(refs.size());
  for (std::size_t k = 0; k < refs.size(); ++k)
    f->inputs[k] = refs[k] == kNoSlot              ? &empty_
                   : (refs[k] & kStaticBit) != 0 ? static_values_.data() + (refs[k] & ~kStaticBit)
                                                  : &f->values[refs[k]];
  frames_.push_back(std::move(f));
  return static_cast<std::uint32_t>(frames_.size() - 1);
}

void Executor::release_frame(std::uint32_t id) {
  events_.ended(id);
  FrameData& f = *frames_[id];
  // The arrays and the count in locals: a reset stores a byte, which the compiler must
  // assume may change them, and it would load all three again per slot.
  Value* values = f.values.data();
  for (const std::uint32_t slot : std::span(f.written.data(), f.n_written)) values[slot].reset();
  f.n_written = 0;
  f.has_origin = false;
  f.origin = EnvelopeMeta{};
  // A new epoch invalidates every node state; on wrap-around clear them for real.
  if (++f.epoch == 0) {
    std::fill(f.state.begin(), f.state.end(), NodeState{});
    f.epoch = 1;
  }
  free_frames_.push_back(id);
  --live_frames_;
}

// On the dispatch path (publish, per reader of every value written): inlined.
[[gnu::always_inline]] inline Executor::NodeState& Executor::state_of(FrameData& f, std::uint32_t node) {
  NodeState& s = f.state[node];
  if (s.epoch != f.epoch) s = NodeState{f.epoch, wiring_[node].dynamic_inputs, NodeStatus::kWaiting};
  return s;
}

void Executor::execute(std::uint32_t index, const EnvelopeMeta* origin) {
  if (limit_reached()) return;
  const std::uint32_t id = acquire_frame();
  FrameData& f = *frames_[id];
  if (f.epoch == 0) f.epoch = 1;
  f.exec = ++metrics_.executions;
  f.trigger = index;
  if (traced_) events_.began(id);
  if (origin != nullptr) {
    f.has_origin = true;
    f.origin = *origin;
  }
  state_of(f, index).status = NodeStatus::kReady;
  push_ready(f, index);
  run_frame(id);
}

namespace {
// Ready nodes kept sorted at most (FrameData::ready): inserting into a few costs less
// than the heap's sift, and beyond them the heap's log n wins.
constexpr std::size_t kSortedReady = 8;
}  // namespace

[[gnu::always_inline]] inline void Executor::push_ready(FrameData& f, std::uint32_t node) {
  std::uint32_t* r = f.ready.data();
  std::uint32_t n = f.n_ready++;
  if (!f.ready_heap) {
    if (n < kSortedReady) {
      for (; n > 0 && r[n - 1] < node; --n) r[n] = r[n - 1];
      r[n] = node;
      return;
    }
    std::make_heap(r, r + n, std::greater<>{});
    f.ready_heap = true;
  }
  r[n] = node;
  std::push_heap(r, r + n + 1, std::greater<>{});
}

[[gnu::always_inline]] inline std::uint32_t Executor::pop_ready(FrameData& f) {
  std::uint32_t* r = f.ready.data();
  if (f.ready_heap) {
    std::pop_heap(r, r + f.n_ready, std::greater<>{});
    if (f.n_ready == 1) f.ready_heap = false;  // empty after this pop: sorted again
  }
  return r[--f.n_ready];
}

// The node has run: each frame value it read has one reader fewer, and one whose
// readers have all run is dropped (a graph output's extra hold keeps it).
[[gnu::always_inline]] inline void Executor::release_inputs(FrameData& f, std::uint32_t node) {
  const Wiring& pn = wiring_[node];
  const std::uint32_t* refs = program_->input_refs().data() + pn.input_begin;
  for (std::uint32_t k = 0; k < pn.input_count; ++k) {
    const std::uint32_t ref = refs[k];
    if ((ref & kStaticBit) != 0) continue;  // static, or kNoSlot (absent)
    if (--f.uses[ref] == 0) f.values[ref].reset();
  }
}

// The node's outputs are written: readers whose inputs are all there become ready.
[[gnu::always_inline]] inline void Executor::publish(FrameData& f, std::uint32_t node) {
  const Wiring& pn = wiring_[node];
  for (std::uint32_t slot = pn.output_begin, end = slot + pn.output_count; slot < end; ++slot) {
    if (!f.values[slot].has_value()) continue;
    assert(f.n_written < f.written.size());
    f.written[f.n_written++] = slot;
    const SlotWiring& sw = slots_[slot];
    f.uses[slot] = sw.holds;
    if (sw.output != kNoSlot) outputs_[sw.output] = f.values[slot];
    for (std::uint32_t c : std::span(sw.readers, sw.reader_count)) {
      // state_of, with the count of missing inputs kept in a register.
      NodeState& s = f.state[c];
      std::uint32_t missing;
      if (s.epoch != f.epoch) {
        s.epoch = f.epoch;
        s.status = NodeStatus::kWaiting;
        missing = wiring_[c].dynamic_inputs;
      } else {
        if (s.status != NodeStatus::kWaiting) continue;
        missing = s.missing;
      }
      s.missing = --missing;
      if (missing == 0) {
        s.status = NodeStatus::kReady;
        push_ready(f, c);
      }
    }
  }
}

// Inlined into run_frame, its only caller: the loop keeps the frame and the plan in
// registers from one node to the next. The inputs need no gathering: the frame has
// them in node order (FrameData::inputs).
[[gnu::always_inline]] inline void Executor::dispatch(FrameData& f, Invocation& inv, std::uint32_t frame_id,
                                                      std::uint32_t node) {
  const Wiring& pn = wiring_[node];
  inv.rebind(f.inputs.data() + pn.input_begin, pn.input_count, &f.values[pn.output_begin], pn.output_count, node);
  ++metrics_.dispatches;
  deferred_ = false;
  OpResult r = kernels_[node]->compute(inv);
  release_inputs(f, node);
  if (r.status == Status::kPending && !deferred_)
    r = OpResult::fail(Reason::kInternal, "the kernel returned pending without deferring");
  switch (r.status) {
    case Status::kOk:
      f.state[node].status = NodeStatus::kDone;
      if (traced_) events_.ran(frame_id, node);
      publish(f, node);
      return;
    case Status::kPending:
      f.state[node].status = NodeStatus::kPending;
      events_.deferred(frame_id, node);
      return;
    case Status::kDenied:
    case Status::kFailed: fail_node(frame_id, node, r); return;
  }
}

void Executor::run_frame(std::uint32_t id) {
  // A kernel that starts another frame may grow frames_, never move a FrameData.
  FrameData& f = *frames_[id];
  f.running = true;
  if (f.n_ready != 0) {  // a resume often readies nothing: no Invocation to set up then
    Invocation inv(nullptr, 0, nullptr, 0, services_, network_, 0, f.exec, f.has_origin ? &f.origin : nullptr);
    inv.hooks = &hooks_;
    // The frame in compute is this one for the whole run: a frame a kernel starts (a
    // run nested in a compute) sets its own and puts this one back when it ends.
    const std::uint32_t saved_frame = current_frame_;
    const std::uint64_t saved_exec = current_exec_;
    current_frame_ = id;
    current_exec_ = f.exec;
    while (f.n_ready != 0) dispatch(f, inv, id, pop_ready(f));
    current_frame_ = saved_frame;
    current_exec_ = saved_exec;
  }
  f.running = false;
  if (f.has_origin) f.origin.envelope = nullptr;  // only the Recv may read it
  if (f.pending == 0) release_frame(id);
}

void Executor::fail_node(std::uint32_t frame_id, std::uint32_t node, const OpResult& r) {
  FrameData& f = *frames_[frame_id];
  const Wiring& pn = wiring_[node];
  for (std::uint32_t j = 0; j < pn.output_count; ++j) f.values[pn.output_begin + j].reset();
  f.state[node].status = NodeStatus::kFailed;
  events_.failed(frame_id, node, r);
  skip_downstream(f, node);
}

void Executor::skip_downstream(FrameData& f, std::uint32_t node) {
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

// ---- Asynchronous completion ---------------------------------------------------------------

void Executor::hold() {
  ++frames_[current_frame_]->pending;
  deferred_ = true;
}

void Executor::resume(std::uint32_t frame_id, std::uint32_t node, Reason failure) {
  FrameData& f = *frames_[frame_id];
  --f.pending;
  if (failure == Reason::kNone) {
    f.state[node].status = NodeStatus::kDone;
    const PlanNode& pn = program_->nodes()[node];
    if (pn.output_count > 0) f.values[pn.output_begin] = Value::trigger();
    if (traced_) events_.ran(frame_id, node);
    publish(f, node);
  } else {
    fail_node(frame_id, node, OpResult::fail(failure, {}));
  }
  if (!f.running) run_frame(frame_id);
}

}  // namespace bb::runtime
