// Loading a compiled model (docs/runtime.md): parse, verify the passport, resolve every node
// to a registered kernel (all unresolved nodes reported at once), and build the
// execution plan: values are slots addressed by index, consumers are index lists.
//
// A Program is immutable and may be shared by several nodes (a simulation runs one
// graph on many peers; a restarted node instantiates its kernels again).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/arena.h>
#include <onnx/onnx_pb.h>

#include "bb/ir/declared_attributes.h"
#include "bb/ir/expected.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"
#include "bb/ir/op_table.h"
#include "bb/runtime/kernel.h"
#include "bb/runtime/program_memory.h"
#include "bb/runtime/registry.h"

namespace bb::runtime {

struct LoadError {
  enum class Kind {
    kIo,           // the file could not be read or parsed (usage/I-O class: exit 2 for a missing file)
    kNotCompiled,  // no passport
    kBadPassport,  // another passport version
    kDigest,       // graph_sha256 does not match
    kUnresolved,   // nodes without a kernel (all listed)
    kInvalid,      // malformed graph or attributes (all listed)
    kLimit,        // over a limit of docs/security.md (ir::check_model_limits): node count, attribute size, tensor elements
    kTransport,    // the node's transport could not start (an address in use, a bad key): a usage error
  };
  Kind kind;
  std::string message;  // ready to print; one finding per line
};

struct LoadOptions {
  bool verify_digest = true;  // --no-verify skips only the digest
  ir::ModelLimits limits;  // file size, nesting, node count, attribute size, tensor elements
};

inline constexpr std::uint32_t kNoSlot = UINT32_MAX;
// Input references carry this bit when the slot holds a static value.
inline constexpr std::uint32_t kStaticBit = 1u << 31;

struct PlanNode {
  const onnx::NodeProto* proto = nullptr;
  const OpRegistration* op = nullptr;
  const ir::OpSpec* spec = nullptr;  // null for ops outside the bb table
  std::uint32_t input_begin = 0, input_count = 0;  // into Program::input_refs()
  std::uint32_t output_begin = 0, output_count = 0;  // slots output_begin ..
  std::uint32_t dynamic_inputs = 0;  // non-empty inputs produced inside frames
  bool is_static = false;            // runs once at start
  bool is_source = false;            // starts executions
  int opset = OpsetRange::kLatestOpset;  // the version of its domain it was written against
  std::uint32_t attributes_begin = 0;    // into Program::declared_attributes, when spec is set
};

class Program {
 public:
  static Expected<std::shared_ptr<const Program>, LoadError> load(const std::filesystem::path& path,
                                                                  const LoadOptions& options = {});
  // `label` names the model in messages (its path).
  static Expected<std::shared_ptr<const Program>, LoadError> build(onnx::ModelProto model, std::string label,
                                                                   const LoadOptions& options = {});

  const onnx::ModelProto& model() const { return *model_; }
  // The graph the plan runs: the model's, or a copy with function calls expanded
  // (inline_functions.h); initializers stay in model().graph().
  const onnx::GraphProto& graph() const { return *graph_; }
  const std::string& label() const { return label_; }
  std::span<const PlanNode> nodes() const { return nodes_; }
  // Per node input: a slot (| kStaticBit when static) or kNoSlot for an absent input.
  std::span<const std::uint32_t> input_refs() const { return input_refs_; }
  std::span<const std::uint32_t> consumers(std::uint32_t slot) const {
    return {consumer_nodes_.data() + consumer_begin_[slot], consumer_begin_[slot + 1] - consumer_begin_[slot]};
  }
  std::uint32_t slot_count() const { return slot_count_; }
  // Static nodes in a topological order that follows node order where it can.
  std::span<const std::uint32_t> static_order() const { return static_order_; }
  const std::vector<std::pair<std::string, std::uint32_t>>& graph_inputs() const { return graph_inputs_; }
  // Graph outputs in graph order: name and slot (kNoSlot for an output nothing
  // produces, which the loader reports).
  const std::vector<std::pair<std::string, std::uint32_t>>& graph_outputs() const { return graph_outputs_; }
  const std::vector<std::pair<std::uint32_t, const onnx::TensorProto*>>& initializers() const {
    return initializers_;
  }
  std::uint32_t max_arity() const { return max_arity_; }

  // What shape inference found for a slot's value (unknown when it did not run: a graph
  // without ai.onnx nodes; or could not tell).
  const TensorInfo& slot_type(std::uint32_t slot) const {
    return slot < slot_type_.size() ? types_[slot_type_[slot]] : KernelInit::unknown();
  }
  bool typed() const { return !slot_type_.empty(); }
  // Why shape inference stopped early (libonnx threw), or empty. The run goes on without
  // the types it did not find.
  const std::string& inference_error() const { return inference_error_; }

  // Release after last use: the graph output a slot is (its index), or kNoSlot.
  std::uint32_t output_index(std::uint32_t slot) const { return output_of_slot_[slot]; }
  // Static slots: how many inputs of static nodes read it, and whether it must outlive
  // the static run (a frame reads it, or it is a graph output).
  std::uint32_t static_uses(std::uint32_t slot) const { return static_uses_[slot]; }
  bool keep_after_static(std::uint32_t slot) const { return keep_after_static_[slot]; }
  // "node 'send0' (Send #12)" — unnamed nodes show `#<index>` only.
  std::string where(std::uint32_t index) const;

  // A node of the bb op table: its attributes by position in spec->attributes, as
  // ir::DeclaredAttributes finds them (proto null: absent), each with its type, int and
  // string (ir::AttributeView), and what they break of the declarations as the lines of
  // a load error ("" for nothing; the check bbc runs as BB008, less what the kernel's
  // own reads report in their words). Both are found by the plan walk while the node is
  // in the cache (the streamed load: as it is parsed), so that making its kernel, once
  // per Node, reads of the node no more than a list attribute's entries.
  std::span<const ir::AttributeView> declared_attributes(std::uint32_t node) const {
    const PlanNode& pn = nodes_[node];
    if (pn.spec == nullptr) return {};
    return {declared_attributes_.data() + pn.attributes_begin, pn.spec->attributes.size()};
  }
  std::string_view attribute_problems(std::uint32_t node) const;

 private:
  Program() = default;
  struct PlanBuild;
  class StreamedPlan;
  // build(), with the digest of the file's bytes when load() has one (ir::file_graph_digest).
  static Expected<std::shared_ptr<const Program>, LoadError> make(std::unique_ptr<Program> program, std::string label,
                                                                  const LoadOptions& options,
                                                                  std::optional<std::string> file_digest,
                                                                  StreamedPlan* streamed = nullptr);
  // Resolves every node's kernel and plans the run: the steps below, in this order,
  // over what they share while planning (PlanBuild, program.cc). A streamed load does
  // the first three while it parses (StreamedPlan), then finish_plan.
  Expected<void, LoadError> resolve_and_plan();
  Expected<void, LoadError> finish_plan(PlanBuild& b);
  void declare_graph_values(PlanBuild& b, std::uint32_t node_count);
  void begin_walk(PlanBuild& b, std::uint32_t node_count);
  void walk_nodes(PlanBuild& b, std::uint32_t first, std::uint32_t end);
  void resolve_node(PlanBuild& b, std::uint32_t i);
  void wire_node(PlanBuild& b, std::uint32_t i);
  void check_declared_attributes(std::uint32_t i);
  void link_late_inputs(PlanBuild& b);
  void bind_graph_outputs(PlanBuild& b);
  void build_consumers(const PlanBuild& b);
  bool order_nodes(PlanBuild& b);
  void mark_static(PlanBuild& b);
  void plan_release(const PlanBuild& b);
  void reset_plan();
  // Replaces function calls without a kernel by their bodies (graph_ = &expanded_).
  Expected<void, LoadError> expand(const LoadOptions& options);
  // Shape inference over a typed copy of graph_, then slot_types_.
  void assign_types();
  int opset_of(std::string_view domain) const;

  // A loaded model lives on an arena (parsed in a few large blocks, in file order: the
  // plan walks it as streaming memory); a built one is the message handed over.
  std::unique_ptr<google::protobuf::Arena> arena_;
  onnx::ModelProto owned_;
  const onnx::ModelProto* model_ = &owned_;
  std::string label_;
  onnx::GraphProto expanded_;  // function calls expanded, when the model has any
  const onnx::GraphProto* graph_ = nullptr;
  std::vector<int> node_opsets_;  // per node of expanded_
  // Per node outside the bb op table: its UntypedNodeTrials::PlainKind as an index
  // (UINT32_MAX when it has none), found by the plan walk for the scope of inference.
  ProgramVector<std::uint32_t> plain_kind_;
  bool has_onnx_nodes_ = false;   // shape inference runs only then
  bool expandable_ = false;       // an unresolved node has a function body
  std::string inference_error_;
  // By slot, an index into types_ (0: unknown). Most values of a large graph have no type
  // (bb ops' values): a 4-byte index each instead of a TensorInfo each (bbrun start-up).
  ProgramVector<std::uint32_t> slot_type_;
  std::vector<TensorInfo> types_;  // [0] is unknown
  ProgramVector<std::uint32_t> output_of_slot_;
  ProgramVector<std::uint32_t> static_uses_;
  ProgramVector<bool> keep_after_static_;
  ProgramVector<PlanNode> nodes_;
  ProgramVector<ir::AttributeView> declared_attributes_;  // PlanNode::attributes_begin ..
  std::vector<std::pair<std::uint32_t, std::string>> attribute_problems_;  // by node, in node order
  ProgramVector<std::uint32_t> input_refs_;
  ProgramVector<std::uint32_t> consumer_begin_;
  ProgramVector<std::uint32_t> consumer_nodes_;
  ProgramVector<std::uint32_t> static_order_;
  std::vector<std::pair<std::string, std::uint32_t>> graph_inputs_;
  std::vector<std::pair<std::string, std::uint32_t>> graph_outputs_;
  std::vector<std::pair<std::uint32_t, const onnx::TensorProto*>> initializers_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t max_arity_ = 0;
};

}  // namespace bb::runtime
