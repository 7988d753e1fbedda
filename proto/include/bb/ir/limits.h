// The model-side limits of docs/security.md, in one place for both tools: `bbc compile`,
// `bbc lint` and the `bbrun` loader read a model under the same `ModelLimits`, and the
// same flags raise them (docs/security.md lists every limit, its default and where it
// is checked).
//
//   max_file_bytes       checked by read_file before a byte is allocated (model_io.h)
//   max_recursion_depth  protobuf nesting while parsing (model_io.h)
//   max_nodes            nodes of the graph, its subgraphs and the model's functions
//   max_attribute_bytes  data of any one attribute value (string, ints, floats,
//                        tensor data) and of any one initializer
//   max_tensor_elements  the product of the declared dims of any TensorProto in the
//                        model (attributes, initializers, sparse tensors), computed
//                        without overflow; negative dims are refused here too
//
// `check_model_limits` runs right after parsing, before anything walks, copies or
// allocates from the model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"
#include "bb/ir/model_io.h"

namespace bb::ir {

// Protobuf cannot represent a message of 2 GiB or more: no flag goes above this.
inline constexpr std::uint64_t kMaxModelFileBytes = (std::uint64_t{1} << 31) - 1;

struct ModelLimits {
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;        // 1 GiB
  std::uint64_t max_nodes = 10'000'000;
  std::uint64_t max_attribute_bytes = std::uint64_t{64} << 20;  // 64 MiB
  std::uint64_t max_tensor_elements = std::uint64_t{1} << 26;   // 67,108,864
  int max_recursion_depth = 100;

  // What `load_model` needs of them.
  LoadLimits load() const { return LoadLimits{max_file_bytes, max_recursion_depth}; }
};

// The command-line flags that raise each limit, the same in bbc and bbrun.
inline constexpr std::string_view kFlagMaxFileBytes = "--max-file-bytes";
inline constexpr std::string_view kFlagMaxNodes = "--max-nodes";
inline constexpr std::string_view kFlagMaxAttributeBytes = "--max-attribute-bytes";
inline constexpr std::string_view kFlagMaxTensorElements = "--max-tensor-elements";

struct LimitError {
  enum class Kind : std::uint8_t {
    kTooManyNodes,         // over max_nodes
    kAttributeTooLarge,    // one attribute or initializer over max_attribute_bytes
    kTooManyElements,      // a tensor's declared dims multiply to over max_tensor_elements
    kNegativeDim,          // a tensor declares a negative dim
  };
  Kind kind;
  std::string where;        // "node 'c' (Constant #3) attribute 'value'", "initializer 'w'", …
  std::uint64_t value = 0;  // what the model has (for kNegativeDim: the dim's index)
  std::uint64_t limit = 0;  // the limit it broke (0 for kNegativeDim)
};

// Stable labels: "too_many_nodes", "attribute_too_large", "too_many_elements",
// "negative_dim".
std::string_view to_string(LimitError::Kind kind);
// One sentence naming the place, the value and the limit, and the flag that raises it:
// "node 'c' (Constant #3) attribute 'value': tensor declares 100000000 elements, over
// the limit of 67108864 (raise it with --max-tensor-elements)".
std::string describe(const LimitError& error);

// Checks the node count, every attribute and initializer's size and every tensor's
// declared element count. The walk keeps its own stack (no recursion) and stops at the
// first breach; it reads sizes only and allocates nothing sized by the model.
// `main_nodes_checked`: every node of the main graph passed node_within_limits (a loader
// that checked each node as it was parsed), so the walk counts them and reads no further.
Expected<void, LimitError> check_model_limits(const onnx::ModelProto& model, const ModelLimits& limits,
                                              bool main_nodes_checked = false);

// True when none of the node's attributes is over max_attribute_bytes and none holds a
// tensor or a graph: check_model_limits would find nothing in it and walk nowhere from it.
bool node_within_limits(const onnx::NodeProto& node, const ModelLimits& limits);

}  // namespace bb::ir
