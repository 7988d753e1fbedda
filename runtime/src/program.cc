#include "bb/runtime/program.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "bb/ir/declared_attributes.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_stream.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/runtime/program_memory.h"
#include "inline_functions.h"
#include "type_inference.h"

namespace bb::runtime {
namespace {

LoadError error(LoadError::Kind kind, std::string message) { return {kind, std::move(message)}; }

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

// The hash of a value's or an op's name in the plan walk's tables. The walk hashes every
// name of every node (135k nodes: ~440k hashes of 2-30 characters); the default hash of a
// string_view here is libstdc++'s std::hash, an out-of-line byte loop (4 % of a load's
// instructions). This reads the name 8 bytes at a time, inline, and mixes with 64x64->128
// multiplies (wyhash's scheme), so every bit of the result depends on every byte: the
// tables use the low 7 bits and the high ones. Nothing depends on its values but where a
// name sits in a table (lookups only; nothing iterates these tables).
__extension__ typedef unsigned __int128 uint128;  // GCC's and Clang's; ISO C++ has none

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  const uint128 r = static_cast<uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t load4(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline std::size_t name_hash(std::string_view name) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
  const char* p = name.data();
  const std::size_t n = name.size();
  std::uint64_t h = k0 ^ n, a = 0, b = 0;
  if (n <= 16) {
    if (n >= 4) {  // two (possibly overlapping) 4-byte reads from each end
      const std::size_t off = (n >> 3) << 2;
      a = (load4(p) << 32) | load4(p + off);
      b = (load4(p + n - 4) << 32) | load4(p + n - 4 - off);
    } else if (n > 0) {
      a = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (std::uint64_t{static_cast<unsigned char>(p[n >> 1])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
  } else {
    std::size_t rest = n;
    for (; rest > 16; rest -= 16, p += 16) h = mix(load8(p) ^ k1, load8(p + 8) ^ h);
    a = load8(p + rest - 16);  // the last 16 bytes (overlapping what the loop read)
    b = load8(p + rest - 8);
  }
  return mix(k2 ^ n, mix(a ^ k1, b ^ h));
}

struct NameHash {
  std::size_t operator()(std::string_view name) const { return name_hash(name); }
  // An op by its op_type alone: a graph's ops are few, and those of one op_type in two
  // domains are rarer still (the table compares both), so the domain (25 characters for
  // bb's) is not hashed for every node.
  std::size_t operator()(const std::pair<std::string_view, std::string_view>& op) const {
    return name_hash(op.second);
  }
};

}  // namespace

// What the planning steps share while they run; the Program keeps only their results.
struct Program::PlanBuild {
  // A graph has few distinct ops: each is looked up once (the registry and the op table
  // are short lists searched in order).
  struct Resolved {
    const OpRegistration* op;
    const ir::OpSpec* spec;
    int opset;
  };
  absl::flat_hash_map<std::pair<std::string_view, std::string_view>, Resolved, NameHash> by_op;
  // The tables of one entry per value, node or input are the program's memory
  // (program_memory.h), as the plan's own tables are.
  absl::flat_hash_map<std::string_view, std::uint32_t, NameHash, std::equal_to<std::string_view>,
                      ProgramAllocator<std::pair<const std::string_view, std::uint32_t>>>
      slot_of;  // value name -> slot
  ProgramVector<bool> slot_static;
  ProgramVector<std::uint32_t> producer;     // of each slot: kNoSlot for initializers and graph inputs
  ProgramVector<std::uint32_t> input_slot;   // per node input, as input_refs_ without kStaticBit
  ProgramVector<std::uint32_t> indegree;     // per node: inputs produced by a node
  // Inputs not found during the walk, as (node, input index), and arity findings as
  // (node, kNoSlot), in node order.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> later;
  std::vector<std::string> unresolved;
  std::vector<std::string> problems;
  // Every node, producers before consumers; empty when node order is that order (the
  // walk tells: bbc writes graphs so), which spares the plan a pass and a table.
  ProgramVector<std::uint32_t> topo;
  // No node reads a value produced by itself or by a later node (wire_node and
  // link_late_inputs clear it).
  bool in_order = true;
  absl::flat_hash_map<UntypedNodeTrials::PlainKind, std::uint32_t> plain_kinds;  // -> index in Program::plain_kind_

  std::uint32_t new_slot(Program& p, std::string_view name, bool is_static, std::uint32_t by) {
    const std::uint32_t slot = p.slot_count_++;
    slot_static.push_back(is_static);
    producer.push_back(by);
    if (!name.empty()) slot_of.emplace(name, slot);
    return slot;
  }
};

// The plan's walk over the nodes done while the model is parsed, each batch of nodes
// while it is in the cache (ir::parse_model_streamed): the limits of each node and
// resolve + wire (walk_nodes). Program::make finishes the plan from it.
class Program::StreamedPlan final : public ir::NodeSink {
 public:
  StreamedPlan(Program& program, const ir::ModelLimits& limits) : program_(program), limits_(limits) {}

  void begin(const onnx::ModelProto& model, int node_count) override {
    program_.model_ = &model;
    program_.graph_ = &model.graph();
    program_.declare_graph_values(plan, static_cast<std::uint32_t>(node_count));
    program_.begin_walk(plan, static_cast<std::uint32_t>(node_count));
  }

  void nodes(int first, int count) override {
    const auto& graph = *program_.graph_;
    for (int i = first; i < first + count; ++i)
      nodes_within_limits = nodes_within_limits && ir::node_within_limits(graph.node(i), limits_);
    program_.walk_nodes(plan, static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(first + count));
  }

  PlanBuild plan;
  bool nodes_within_limits = true;  // every node passed ir::node_within_limits

 private:
  Program& program_;
  const ir::ModelLimits& limits_;
};

Expected<std::shared_ptr<const Program>, LoadError> Program::load(const std::filesystem::path& path,
                                                                  const LoadOptions& options) {
  // ir::load_model's steps, keeping the bytes: the digest is checked on them as they are.
  // (Its messages name the file already.)
  const ir::LoadLimits limits = options.limits.load();
  // Not zero-filled before read(2) overwrites it. (The C library's heap, not the program
  // pool: glibc raises its trim threshold when this block, mmap'd in a fresh process, is
  // freed, which keeps the heap the kernels live on from being trimmed between loads.)
  std::unique_ptr<char[]> buffer;
  const auto read = ir::read_file(path, limits.max_file_bytes, [&buffer](std::size_t size) {
    buffer.reset(new char[size]);
    return buffer.get();
  });
  if (!read) return unexpected(error(LoadError::Kind::kIo, read.error().message));
  const std::string_view bytes = *read;
  const ir::ModelFormat format = ir::format_for_path(path);
  auto fresh_program = [] {
    std::unique_ptr<Program> program(new Program());
    program->arena_ = std::make_unique<google::protobuf::Arena>(program_arena_options());
    return program;
  };
  std::unique_ptr<Program> program = fresh_program();
  if (format == ir::ModelFormat::kBinary) {
    // The plan's walk while the nodes are parsed; bytes it does not expect are parsed
    // whole below, which also says what is wrong with them.
    program->label_ = path.string();
    StreamedPlan streamed(*program, options.limits);
    if (auto model = ir::parse_model_streamed(bytes, *program->arena_, limits, options.limits.max_nodes, streamed)) {
      buffer.reset();  // the parsed model does not point into it
      std::optional<std::string> digest;
      if (options.verify_digest) digest = std::move(model->digest);
      return make(std::move(program), path.string(), options, std::move(digest), &streamed);
    }
    program = fresh_program();
  }
  auto model = ir::parse_model(bytes, format, *program->arena_, limits);
  if (!model) return unexpected(error(LoadError::Kind::kIo, path.string() + ": " + model.error().message));
  program->model_ = *model;
  std::optional<std::string> digest;
  if (options.verify_digest && format == ir::ModelFormat::kBinary) digest = ir::file_graph_digest(bytes);
  buffer.reset();  // the parsed model does not point into it
  return make(std::move(program), path.string(), options, std::move(digest));
}

Expected<std::shared_ptr<const Program>, LoadError> Program::build(onnx::ModelProto model, std::string label,
                                                                   const LoadOptions& options) {
  std::unique_ptr<Program> program(new Program());
  program->owned_ = std::move(model);
  return make(std::move(program), std::move(label), options, std::nullopt);
}

Expected<std::shared_ptr<const Program>, LoadError> Program::make(std::unique_ptr<Program> program, std::string label,
                                                                  const LoadOptions& options,
                                                                  std::optional<std::string> file_digest,
                                                                  StreamedPlan* streamed) {
  const onnx::ModelProto& model = *program->model_;
  // Limits first: nothing below walks, hashes or allocates from a model over them. (A
  // streamed load walked the nodes already, within max_nodes, and reports what it found
  // only after this and the passport.)
  if (auto within =
          ir::check_model_limits(model, options.limits, streamed != nullptr && streamed->nodes_within_limits);
      !within)
    return unexpected(error(LoadError::Kind::kLimit, label + ": " + ir::describe(within.error())));
  const auto passport = ir::read_passport(model);
  if (!passport)
    return unexpected(error(LoadError::Kind::kNotCompiled,
                            label + ": not compiled: run '" + std::string(ir::kCompilerName) + " compile graph.onnx' first"));
  if (passport->compiled != ir::kPassportVersion)
    return unexpected(error(LoadError::Kind::kBadPassport,
                            label + ": passport version '" + passport->compiled + "' is not '" +
                                std::string(ir::kPassportVersion) + "': recompile it with this bbc"));
  // The file's own bytes first (no re-serialization); a file not written
  // deterministically is checked on the parsed graph (ir::file_graph_digest).
  if (options.verify_digest && file_digest != passport->digest) {
    const std::string digest = ir::graph_digest(model);
    if (digest != passport->digest)
      return unexpected(error(LoadError::Kind::kDigest,
                              label + ": graph digest " + digest + " does not match the passport's " +
                                  passport->digest + ": the graph changed after compilation; recompile it (or pass --no-verify)"));
  }
  program->label_ = std::move(label);
  program->graph_ = &model.graph();
  auto planned = streamed != nullptr ? program->finish_plan(streamed->plan) : program->resolve_and_plan();
  if (!planned && program->expandable_) {
    // Some node without a kernel has a function body: plan the expanded graph instead.
    if (auto expanded = program->expand(options); !expanded) return unexpected(expanded.error());
    program->reset_plan();
    planned = program->resolve_and_plan();
  }
  if (!planned) return unexpected(planned.error());
  if (program->has_onnx_nodes_) program->assign_types();
  return std::shared_ptr<const Program>(std::move(program));
}

int Program::opset_of(std::string_view domain) const {
  domain = canonical_domain(domain);
  for (const auto& import : model_->opset_import())
    if (canonical_domain(import.domain()) == domain)
      return static_cast<int>(std::clamp<std::int64_t>(import.version(), 0, OpsetRange::kLatestOpset));
  return OpsetRange::kLatestOpset;
}

void Program::reset_plan() {
  nodes_.clear();
  declared_attributes_.clear();
  attribute_problems_.clear();
  plain_kind_.clear();
  input_refs_.clear();
  consumer_begin_.clear();
  consumer_nodes_.clear();
  static_order_.clear();
  graph_inputs_.clear();
  graph_outputs_.clear();
  initializers_.clear();
  output_of_slot_.clear();
  static_uses_.clear();
  keep_after_static_.clear();
  slot_count_ = 0;
  max_arity_ = 0;
  has_onnx_nodes_ = false;
  expandable_ = false;
}

namespace {

// A copy of `graph` for shape inference: its inputs, outputs and value_info, the small
// initializers (shape inputs: data propagation reads them) and the others' types, and its
// nodes (those `keep` marks, or all of them when it is empty).
onnx::GraphProto typed_copy(const onnx::GraphProto& graph, const onnx::GraphProto& model_graph,
                            const std::vector<bool>& keep = {}) {
  constexpr std::int64_t kCopiedElements = 1024;
  onnx::GraphProto g;
  g.set_name(graph.name());
  if (keep.empty()) {
    *g.mutable_node() = graph.node();
  } else {
    for (int i = 0; i < graph.node_size(); ++i)
      if (keep[static_cast<std::size_t>(i)]) *g.add_node() = graph.node(i);
  }
  *g.mutable_input() = model_graph.input();
  *g.mutable_output() = model_graph.output();
  *g.mutable_value_info() = graph.value_info();
  absl::flat_hash_map<std::string_view, bool> is_input;
  for (const auto& in : model_graph.input()) is_input[in.name()] = true;
  for (const auto& init : model_graph.initializer()) {
    std::int64_t n = 1;
    for (const auto d : init.dims()) n = d < 0 || n > kCopiedElements ? kCopiedElements + 1 : n * d;
    if (n <= kCopiedElements && init.data_location() != onnx::TensorProto::EXTERNAL) {
      *g.add_initializer() = init;
      continue;
    }
    if (is_input.contains(init.name())) continue;
    auto* vi = g.add_value_info();
    vi->set_name(init.name());
    auto* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(init.data_type());
    for (const auto d : init.dims()) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  return g;
}

// name -> type of every value the typed graph knows.
absl::flat_hash_map<std::string_view, const onnx::TypeProto*> types_by_name(const onnx::GraphProto& g) {
  absl::flat_hash_map<std::string_view, const onnx::TypeProto*> out;
  for (const auto* list : {&g.input(), &g.value_info(), &g.output()})
    for (const auto& vi : *list)
      if (vi.has_type()) out[vi.name()] = &vi.type();
  return out;
}

}  // namespace

Expected<void, LoadError> Program::expand(const LoadOptions& options) {
  // Context-dependent bodies are built from their inputs' types: a body inside a body
  // (SoftmaxCrossEntropyLoss calls NegativeLogLikelihoodLoss) is built in a further
  // pass, once inference has typed the outer body's values.
  for (int pass = 0; pass < kMaxInlineDepth; ++pass) {
    const onnx::GraphProto& graph = *graph_;
    onnx::GraphProto typed = typed_copy(graph, model_->graph());
    if (auto failed = infer_types(typed, *model_)) inference_error_ = *failed;
    const auto types = types_by_name(typed);
    bool expanded_any = false;
    auto expanded = expand_functions(
        *model_, graph, [this](std::string_view domain) { return opset_of(domain); },
        [](std::string_view domain, std::string_view op_type, int opset) {
          return registry::find(domain, op_type, opset) != nullptr;
        },
        [&types](const std::string& name) -> const onnx::TypeProto* {
          auto it = types.find(name);
          return it == types.end() ? nullptr : it->second;
        },
        node_opsets_, &expanded_any);
    if (!expanded) return unexpected(error(LoadError::Kind::kInvalid, label_ + ": " + expanded.error()));
    if (static_cast<std::uint64_t>(expanded->graph.node_size()) > options.limits.max_nodes)
      return unexpected(error(LoadError::Kind::kLimit,
                              label_ + ": " + std::to_string(expanded->graph.node_size()) +
                                  " nodes once functions are expanded, over the limit of " +
                                  std::to_string(options.limits.max_nodes) + " [hint: --max-nodes]"));
    if (!expanded_any) break;
    expanded_ = std::move(expanded->graph);
    node_opsets_ = std::move(expanded->opsets);
    graph_ = &expanded_;
  }
  return {};
}

namespace {

// Which nodes shape inference runs on, and which slots it may learn a type for. It
// visits the nodes in graph order; a node is left out when it cannot type anything: a bb
// op (no ONNX schema: it has a row of the bb op table), and a node none of whose inputs can have a type yet whose kind
// types nothing without them (UntypedNodeTrials) — its outputs stay untyped, so the
// nodes after it see what they would have seen. The types found are those of the whole
// graph; on a graph of mostly bb ops (and ai.onnx ops reading their untyped values)
// inference skips most nodes instead of failing on each.
struct InferenceScope {
  std::vector<bool> keep;   // by node
  std::vector<bool> typed;  // by slot: a value inference may type
};

InferenceScope inference_scope(const Program& p, std::span<const std::uint32_t> plain_kind) {
  const auto nodes = p.nodes();
  const auto refs = p.input_refs();
  InferenceScope s{std::vector<bool>(nodes.size(), false), std::vector<bool>(p.slot_count(), false)};
  for (const auto& [slot, init] : p.initializers()) s.typed[slot] = true;
  for (const auto& [name, slot] : p.graph_inputs()) s.typed[slot] = true;
  for (const auto& [name, slot] : p.graph_outputs()) s.typed[slot] = true;  // declared types
  if (p.graph().value_info_size() > 0) {
    absl::flat_hash_set<std::string_view> declared;
    for (const auto& vi : p.graph().value_info()) declared.insert(vi.name());
    for (const auto& pn : nodes)
      for (std::uint32_t j = 0; j < pn.output_count; ++j)
        if (declared.contains(pn.proto->output(static_cast<int>(j)))) s.typed[pn.output_begin + j] = true;
  }
  UntypedNodeTrials trials(p.model());
  const auto n = static_cast<std::uint32_t>(nodes.size());
  // A node of a plain kind is not read unless it is the first of its kind.
  auto types_something = [&](std::uint32_t i) {
    const std::uint32_t kind = i < plain_kind.size() ? plain_kind[i] : UINT32_MAX;
    return kind == UINT32_MAX ? trials.types_something(*nodes[i].proto) : trials.types_something(kind, *nodes[i].proto);
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    const PlanNode& pn = nodes[i];
    if (pn.spec != nullptr) continue;  // a bb op
    bool has_input = false, typed_input = false;
    for (std::uint32_t k = 0; k < pn.input_count && !typed_input; ++k) {
      const std::uint32_t ref = refs[pn.input_begin + k];
      if (ref == kNoSlot) continue;
      has_input = true;
      typed_input = s.typed[ref & ~kStaticBit];
    }
    if (has_input && !typed_input && !types_something(i)) continue;
    s.keep[i] = true;
    for (std::uint32_t j = 0; j < pn.output_count; ++j) s.typed[pn.output_begin + j] = true;
  }
  return s;
}

}  // namespace

void Program::assign_types() {
  const InferenceScope scope = inference_scope(*this, plain_kind_);
  plain_kind_ = {};
  onnx::GraphProto typed = typed_copy(*graph_, model_->graph(), scope.keep);
  if (auto failed = infer_types(typed, *model_)) inference_error_ = *failed;
  const auto types = types_by_name(typed);
  slot_type_.assign(slot_count_, 0);
  types_.assign(1, TensorInfo{});
  auto store = [&](std::uint32_t slot, TensorInfo info) {
    slot_type_[slot] = static_cast<std::uint32_t>(types_.size());
    types_.push_back(std::move(info));
  };
  auto set = [&](const std::string& name, std::uint32_t slot) {
    if (auto it = types.find(name); it != types.end()) store(slot, info_of(*it->second));
  };
  for (const auto& [slot, init] : initializers_) store(slot, info_of(*init));
  for (const auto& [name, slot] : graph_inputs_) set(name, slot);
  for (const auto& pn : nodes_)
    for (std::uint32_t j = 0; j < pn.output_count; ++j)
      if (scope.typed[pn.output_begin + j])  // the others are in no list of `types`
        if (const auto& out = pn.proto->output(static_cast<int>(j)); !out.empty()) set(out, pn.output_begin + j);
}

std::string Program::where(std::uint32_t index) const {
  const auto& node = graph_->node(static_cast<int>(index));
  std::string out = "node ";
  if (!node.name().empty()) out += "'" + node.name() + "' ";
  return out + "(" + node.op_type() + " #" + std::to_string(index) + ")";
}

// The plan, in named steps over a PlanBuild. The findings keep the order of separate
// passes: unresolved nodes alone if there are any, else values produced twice, then each
// node's missing inputs and arity, then graph outputs nothing produces, then cycles.
Expected<void, LoadError> Program::resolve_and_plan() {
  PlanBuild b;
  const auto n_nodes = static_cast<std::uint32_t>(graph_->node_size());
  declare_graph_values(b, n_nodes);
  begin_walk(b, n_nodes);
  walk_nodes(b, 0, n_nodes);
  return finish_plan(b);
}

Expected<void, LoadError> Program::finish_plan(PlanBuild& b) {
  if (!b.unresolved.empty()) {
    b.unresolved.push_back(label_ + ": " + std::to_string(b.unresolved.size()) +
                           " node(s) without a kernel; the run does not start");
    return unexpected(error(LoadError::Kind::kUnresolved, join_lines(b.unresolved)));
  }
  link_late_inputs(b);
  bind_graph_outputs(b);
  if (!b.problems.empty()) return unexpected(error(LoadError::Kind::kInvalid, join_lines(b.problems)));
  build_consumers(b);
  if (!order_nodes(b)) return unexpected(error(LoadError::Kind::kInvalid, join_lines(b.problems)));
  mark_static(b);
  plan_release(b);
  return {};
}

// Establishes a static slot for every initializer, then for every graph input without
// one (an input with an initializer is that initializer's slot). `node_count`: the nodes
// the walk will see (a streamed load has not parsed them yet).
void Program::declare_graph_values(PlanBuild& b, std::uint32_t node_count) {
  const auto& model_graph = model_->graph();
  const std::size_t n_nodes = node_count;
  // Most nodes have one output; a reserve of 1.5 per node avoids rehashing, which would
  // read every name again.
  const std::size_t values =
      static_cast<std::size_t>(model_graph.initializer_size() + model_graph.input_size()) + n_nodes + n_nodes / 2;
  b.slot_of.reserve(values);
  b.slot_static.reserve(values);
  b.producer.reserve(values);
  for (const auto& init : model_graph.initializer()) {
    if (b.slot_of.contains(init.name())) continue;
    initializers_.emplace_back(b.new_slot(*this, init.name(), true, kNoSlot), &init);
  }
  for (const auto& input : model_graph.input()) {
    if (b.slot_of.contains(input.name())) continue;  // an input with an initializer default
    graph_inputs_.emplace_back(input.name(), b.new_slot(*this, input.name(), true, kNoSlot));
  }
}

// Resolve and the first half of the plan share one walk over the nodes: each walk over
// a 100k-node model misses the cache on every node (bbrun start-up, docs/runtime.md),
// so every node's op, outputs and inputs are read while it is in the cache.
// Establishes every node's kernel (or an `unresolved` finding), its contiguous output
// slots (or a "produced twice" finding), the slots of the inputs produced so far (the
// others go to `later`), max_arity_ and the arity findings.
void Program::begin_walk(PlanBuild& b, std::uint32_t n_nodes) {
  nodes_.resize(n_nodes);
  declared_attributes_.reserve(n_nodes);
  plain_kind_.assign(n_nodes, UINT32_MAX);
  b.input_slot.reserve(2 * static_cast<std::size_t>(n_nodes));
  b.indegree.assign(n_nodes, 0);
}

void Program::walk_nodes(PlanBuild& b, std::uint32_t first, std::uint32_t end) {
  const auto& graph = *graph_;
  // The walk is bound by memory latency: nodes, their strings and the name table's slots
  // are scattered. Prefetching ahead (the node two strides ahead, its strings one
  // stride ahead, the table slots of the next node's outputs) overlaps the misses.
  constexpr std::uint32_t kAhead = 8;
  for (std::uint32_t i = first; i < end; ++i) {
    if (i + 2 * kAhead < end) __builtin_prefetch(&graph.node(static_cast<int>(i + 2 * kAhead)));
    if (i + kAhead < end) {
      const auto& ahead = graph.node(static_cast<int>(i + kAhead));
      __builtin_prefetch(&ahead.domain());
      __builtin_prefetch(&ahead.op_type());
      for (const auto& out : ahead.output()) __builtin_prefetch(out.data());
      for (const auto& in : ahead.input()) __builtin_prefetch(in.data());
    }
    if (i + 1 < end)
      for (const auto& out : graph.node(static_cast<int>(i + 1)).output()) b.slot_of.prefetch(out);
    resolve_node(b, i);
    if (!b.unresolved.empty()) continue;  // only the unresolved nodes are reported
    wire_node(b, i);
  }
}

// Establishes node i's kernel, op table row, opset and kind; a node without a kernel
// becomes an `unresolved` finding (and marks the program expandable when it has a
// function body). A kernel is chosen by the version the model imports for the node's
// domain ("" and "ai.onnx" are one), as ONNX Runtime chooses by since-version; a domain
// the model does not import resolves at the latest version. An inlined node carries
// the version of the function it came from.
void Program::resolve_node(PlanBuild& b, std::uint32_t i) {
  const auto& node = graph_->node(static_cast<int>(i));
  auto& pn = nodes_[i];
  pn.proto = &node;
  auto [it, added] = b.by_op.try_emplace(std::pair<std::string_view, std::string_view>(node.domain(), node.op_type()));
  if (added) {
    const int opset = opset_of(node.domain());
    it->second = PlanBuild::Resolved{registry::find(node.domain(), node.op_type(), opset),
                                     ir::find_bb_op(node.domain(), node.op_type()), opset};
    if (canonical_domain(node.domain()).empty()) has_onnx_nodes_ = true;
  }
  const PlanBuild::Resolved& r = it->second;
  pn.opset = node_opsets_.empty() ? r.opset : node_opsets_[i];
  pn.op = pn.opset == r.opset ? r.op : registry::find(node.domain(), node.op_type(), pn.opset);
  pn.spec = r.spec;
  if (pn.op != nullptr) {
    pn.is_source = pn.op->kind == ir::OpKind::kSource;
    return;
  }
  const std::string_view domain = display_domain(canonical_domain(node.domain()));
  if (node_opsets_.empty() && has_function_body(*model_, node, pn.opset)) expandable_ = true;
  // Other versions of the op may have kernels: say which version was asked for.
  const auto versions = registry::opsets(node.domain(), node.op_type());
  b.unresolved.push_back(label_ + ": " + where(i) + ": error: no kernel for '" + std::string(domain) + "::" +
                         node.op_type() + "'" +
                         (versions.empty() ? " in this build [hint: bbrun --list-ops shows the ops it runs; --plugin LIB "
                                             "loads more (docs/extending.md)]"
                                           : " at opset " + std::to_string(pn.opset) + " (this build has opsets " +
                                                 registry::opsets_text(versions) + ")"));
}

// Establishes node i's output slots (contiguous; a name claimed twice is a finding), the
// slots of its inputs produced by it or an earlier node (the others are looked up after
// the walk), its count of node-produced inputs, and its arity finding.
void Program::wire_node(PlanBuild& b, std::uint32_t i) {
  const auto& node = *nodes_[i].proto;
  auto& pn = nodes_[i];
  pn.output_begin = slot_count_;
  pn.output_count = static_cast<std::uint32_t>(node.output_size());
  for (const auto& out : node.output()) {
    if (!out.empty() && !b.slot_of.try_emplace(out, slot_count_).second)  // one probe: claims the name or finds its producer
      b.problems.push_back(label_ + ": " + where(i) + ": error: value '" + out + "' is produced twice");
    b.new_slot(*this, {}, false, i);
  }
  pn.input_begin = static_cast<std::uint32_t>(b.input_slot.size());
  pn.input_count = static_cast<std::uint32_t>(node.input_size());
  for (std::uint32_t k = 0; k < pn.input_count; ++k) {
    const auto& in = node.input(static_cast<int>(k));
    std::uint32_t slot = kNoSlot;
    if (!in.empty()) {
      if (auto found = b.slot_of.find(in); found != b.slot_of.end()) {
        slot = found->second;
        if (b.producer[slot] != kNoSlot) {
          ++b.indegree[i];
          if (b.producer[slot] == i) b.in_order = false;  // found before it, so produced by it or an earlier node
        }
      } else {
        b.later.emplace_back(i, k);
      }
    }
    b.input_slot.push_back(slot);
  }
  max_arity_ = std::max({max_arity_, pn.output_count, pn.input_count});
  if (pn.spec == nullptr) {
    const auto kind = UntypedNodeTrials::plain_kind(node, pn.op);
    const auto next = static_cast<std::uint32_t>(b.plain_kinds.size());
    plain_kind_[i] = kind ? b.plain_kinds.try_emplace(*kind, next).first->second : UINT32_MAX;
  }
  if (const ir::OpSpec* spec = pn.spec; spec != nullptr) {
    const auto n_in = static_cast<int>(pn.input_count), n_out = static_cast<int>(pn.output_count);
    const bool in_ok = n_in >= spec->min_inputs && (spec->max_inputs == ir::kVariadic || n_in <= spec->max_inputs);
    const bool out_ok = n_out >= spec->min_outputs && (spec->max_outputs == ir::kVariadic || n_out <= spec->max_outputs);
    if (!in_ok || !out_ok || (spec->outputs_match_inputs && n_in != n_out)) b.later.emplace_back(i, kNoSlot);
    check_declared_attributes(i);
  }
}

// Establishes node i's declared_attributes and its attribute_problems (node i has a row
// of the bb op table). Node::instantiate reports the problems and hands the attributes
// to the kernel; here the node is in the cache, there it no longer is.
void Program::check_declared_attributes(std::uint32_t i) {
  PlanNode& pn = nodes_[i];
  const onnx::NodeProto& node = *pn.proto;
  const ir::DeclaredAttributes found(*pn.spec, node);
  pn.attributes_begin = static_cast<std::uint32_t>(declared_attributes_.size());
  for (std::size_t p = 0; p < pn.spec->attributes.size(); ++p) declared_attributes_.push_back(ir::view_of(found.at(p)));
  std::string lines;
  for (const auto& problem : ir::check_node_attributes(found, node)) {
    // A missing, mistyped or one-of attribute the kernel's own read reports in its words;
    // what only the declaration knows (unknown names, ranges, choices, rules) is said here.
    using Kind = ir::AttrProblem::Kind;
    if (problem.kind == Kind::kType || problem.kind == Kind::kMissing || problem.kind == Kind::kOneOf) continue;
    lines += (lines.empty() ? "" : "\n") + label_ + ": " + where(i) + ": error: " + problem.message +
             " [hint: " + problem.hint + "; bbc lint reports this before a run]";
  }
  if (!lines.empty()) attribute_problems_.emplace_back(i, std::move(lines));
}

std::string_view Program::attribute_problems(std::uint32_t node) const {
  const auto it = std::lower_bound(attribute_problems_.begin(), attribute_problems_.end(), node,
                                   [](const auto& entry, std::uint32_t n) { return entry.first < n; });
  return it != attribute_problems_.end() && it->first == node ? std::string_view(it->second) : std::string_view();
}

// Establishes the slots of the inputs produced by a later node (a graph not in
// topological order); an input nothing produces and a node that does not fit its op's
// arity become findings, in node order.
void Program::link_late_inputs(PlanBuild& b) {
  for (const auto& [i, k] : b.later) {
    const auto& pn = nodes_[i];
    if (k == kNoSlot) {
      b.problems.push_back(label_ + ": " + where(i) + ": error: " + std::to_string(pn.input_count) + " inputs and " +
                           std::to_string(pn.output_count) + " outputs do not fit the op's arity [hint: run bbc lint]");
      continue;
    }
    const auto& in = pn.proto->input(static_cast<int>(k));
    auto found = b.slot_of.find(in);
    if (found == b.slot_of.end()) {
      b.problems.push_back(label_ + ": " + where(i) + ": error: input '" + in + "' is never produced");
      continue;
    }
    b.input_slot[pn.input_begin + k] = found->second;
    if (b.producer[found->second] != kNoSlot) {
      ++b.indegree[i];
      b.in_order = false;  // produced by a later node: every earlier one was in the table
    }
  }
}

// Establishes graph_outputs_ (name and slot, in graph order); an output nothing
// produces is a finding.
void Program::bind_graph_outputs(PlanBuild& b) {
  for (const auto& output : model_->graph().output()) {
    auto found = b.slot_of.find(output.name());
    if (found == b.slot_of.end()) {
      b.problems.push_back(label_ + ": graph output '" + output.name() +
                           "': error: no node, initializer or input produces it");
      continue;
    }
    graph_outputs_.emplace_back(output.name(), found->second);
  }
}

// Establishes the readers of every slot (consumer_begin_ / consumer_nodes_, CSR), in
// node order.
void Program::build_consumers(const PlanBuild& b) {
  ProgramVector<std::uint32_t> consumer_count(slot_count_ + 1, 0);
  for (const auto s : b.input_slot)
    if (s != kNoSlot) ++consumer_count[s];
  consumer_begin_.assign(slot_count_ + 1, 0);
  for (std::uint32_t s = 0; s < slot_count_; ++s) consumer_begin_[s + 1] = consumer_begin_[s] + consumer_count[s];
  consumer_nodes_.resize(consumer_begin_[slot_count_]);
  ProgramVector<std::uint32_t> fill(consumer_begin_.begin(), consumer_begin_.end() - 1);
  for (std::uint32_t i = 0; i < nodes_.size(); ++i)
    for (std::uint32_t k = 0; k < nodes_[i].input_count; ++k)
      if (const auto s = b.input_slot[nodes_[i].input_begin + k]; s != kNoSlot) consumer_nodes_[fill[s]++] = i;
}

// Establishes b.topo: every node after its producers, lowest index first (Kahn's
// algorithm), or leaves it empty when node order is that order (b.in_order: the walk saw
// every producer before its consumers). False, with a finding per node on a cycle, when
// there is no such order.
bool Program::order_nodes(PlanBuild& b) {
  const auto n_nodes = static_cast<std::uint32_t>(nodes_.size());
  if (b.in_order) return true;
  b.topo.reserve(n_nodes);
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
  for (std::uint32_t i = 0; i < n_nodes; ++i)
    if (b.indegree[i] == 0) ready.push(i);
  while (!ready.empty()) {
    const std::uint32_t i = ready.top();
    ready.pop();
    b.topo.push_back(i);
    for (std::uint32_t j = 0; j < nodes_[i].output_count; ++j)
      for (std::uint32_t c : consumers(nodes_[i].output_begin + j))
        if (--b.indegree[c] == 0) ready.push(c);
  }
  if (b.topo.size() == n_nodes) return true;
  for (std::uint32_t i = 0; i < n_nodes; ++i)
    if (b.indegree[i] != 0) b.problems.push_back(label_ + ": " + where(i) + ": error: the node is on a cycle");
  return false;
}

// Establishes which nodes are static (not a source, every input static: they run once
// at start, in static_order_), each other node's count of frame-produced inputs,
// input_refs_ (a static slot carries kStaticBit), and release after last use (the way
// ONNX Runtime's allocation planner frees a buffer after its last consumer): a frame
// drops a value once every input that reads it has run; the static run drops a static
// value once its static readers ran, unless a frame reads it too (static_uses_,
// keep_after_static_). One pass over the inputs in producer-first order: when a node is
// reached, whether each of its inputs is static is settled.
void Program::mark_static(PlanBuild& b) {
  keep_after_static_.assign(slot_count_, false);
  static_uses_.assign(slot_count_, 0);
  input_refs_.resize(b.input_slot.size());
  const bool in_order = b.topo.empty();
  const auto n = static_cast<std::uint32_t>(in_order ? nodes_.size() : b.topo.size());
  for (std::uint32_t t = 0; t < n; ++t) {
    const std::uint32_t i = in_order ? t : b.topo[t];
    auto& pn = nodes_[i];
    bool all_static = !pn.is_source;
    for (std::uint32_t k = 0; k < pn.input_count; ++k) {
      const auto s = b.input_slot[pn.input_begin + k];
      if (s == kNoSlot) continue;
      if (!b.slot_static[s]) {
        all_static = false;
        ++pn.dynamic_inputs;
      }
    }
    pn.is_static = all_static;
    if (all_static) {
      pn.dynamic_inputs = 0;
      for (std::uint32_t j = 0; j < pn.output_count; ++j) b.slot_static[pn.output_begin + j] = true;
      static_order_.push_back(i);
    }
    for (std::uint32_t k = 0; k < pn.input_count; ++k) {
      const auto s = b.input_slot[pn.input_begin + k];
      if (s == kNoSlot) {
        input_refs_[pn.input_begin + k] = kNoSlot;
        continue;
      }
      if (!b.slot_static[s]) {
        input_refs_[pn.input_begin + k] = s;
        continue;
      }
      input_refs_[pn.input_begin + k] = s | kStaticBit;
      if (all_static)
        ++static_uses_[s];
      else
        keep_after_static_[s] = true;
    }
  }
}

// Establishes output_of_slot_, and keeps the graph outputs after the static run
// (keep_after_static_): a graph output is never released.
void Program::plan_release(const PlanBuild&) {
  output_of_slot_.assign(slot_count_, kNoSlot);
  for (std::uint32_t k = 0; k < graph_outputs_.size(); ++k) {
    output_of_slot_[graph_outputs_[k].second] = k;
    keep_after_static_[graph_outputs_[k].second] = true;
  }
}

}  // namespace bb::runtime
