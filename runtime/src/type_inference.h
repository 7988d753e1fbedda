// ONNX shape inference at load (docs/runtime.md, "Types at load"): the element types
// and shapes kernels get in KernelInit, as ONNX Runtime's kernels get them in
// OpKernelInfo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include <onnx/onnx_pb.h>

#include "bb/runtime/kernel.h"

namespace bb::runtime {

// Runs libonnx's shape inference over `graph` at the model's opset imports, filling in
// its value_info. Node-level findings are ignored (a node libonnx cannot type keeps no
// type); an exception (a malformed graph) leaves the graph as it was typed so far and
// returns its message. Never throws.
std::optional<std::string> infer_types(onnx::GraphProto& graph, const onnx::ModelProto& model);

// Whether shape inference types any output of a node none of whose inputs has a type.
// Without input types an inference function learns only from the node's op, its
// attributes and which inputs and outputs it has (a Relu of an untyped value fails, a
// Cast or a ConstantOfShape still types its output from an attribute), so the answer
// is found once per such kind, by inferring the node alone, and remembered. A node with
// a subgraph (which may read outer values), a kind whose trial throws, and every kind
// past the first kMaxKinds are answered "yes": the node stays in the inferred graph.
class UntypedNodeTrials {
 public:
  static constexpr std::size_t kMaxKinds = 64;
  explicit UntypedNodeTrials(const onnx::ModelProto& model) : model_(model) {}
  bool types_something(const onnx::NodeProto& node);

  // A node without attributes and with at most 64 inputs and 64 outputs is known by
  // integers: the registration its op resolved to (one domain and op type) and which
  // inputs and outputs it has. The loader finds each node's kind while its plan walk
  // has the node in the cache (plain_kind), so that the scope of inference reads no
  // node it leaves out (bbrun start-up).
  struct PlainKind {
    const void* op;
    std::uint64_t inputs, outputs;  // bit k: input (output) k is present
    int input_count, output_count;
    bool operator==(const PlainKind&) const = default;
    template <class H>
    friend H AbslHashValue(H h, const PlainKind& k) {
      return H::combine(std::move(h), k.op, k.inputs, k.outputs, k.input_count, k.output_count);
    }
  };
  static std::optional<PlainKind> plain_kind(const onnx::NodeProto& node, const void* op);
  // types_something(node) for a node of plain kind `kind` (an index the caller gives
  // every distinct PlainKind); the node is read only on the first of its kind.
  bool types_something(std::uint32_t kind, const onnx::NodeProto& node);

 private:
  const onnx::ModelProto& model_;
  absl::flat_hash_map<std::string, bool> tried_;  // kind -> whether it typed an output
  std::vector<std::int8_t> by_plain_kind_;        // by kind index: -1 not tried yet, else the answer
  std::string key_;
};

// What a TypeProto or an initializer says: the element type (kUndefined for a type the
// runtime does not hold, or a value that is not a tensor), and the dims when the rank
// is known (-1 for a dim it does not know).
TensorInfo info_of(const onnx::TypeProto& type);
TensorInfo info_of(const onnx::TensorProto& initializer);

}  // namespace bb::runtime
