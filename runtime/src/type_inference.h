// ONNX shape inference at load (docs/runtime.md, "Types at load"): the element types
// and shapes kernels get in KernelInit, as ONNX Runtime's kernels get them in
// OpKernelInfo.
#pragma once

#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/runtime/kernel.h"

namespace bb::runtime {

// Runs libonnx's shape inference over `graph` at the model's opset imports, filling in
// its value_info. Node-level findings are ignored (a node libonnx cannot type keeps no
// type); an exception (a malformed graph) leaves the graph as it was typed so far and
// returns its message. Never throws.
std::optional<std::string> infer_types(onnx::GraphProto& graph, const onnx::ModelProto& model);

// What a TypeProto or an initializer says: the element type (kUndefined for a type the
// runtime does not hold, or a value that is not a tensor), and the dims when the rank
// is known (-1 for a dim it does not know).
TensorInfo info_of(const onnx::TypeProto& type);
TensorInfo info_of(const onnx::TensorProto& initializer);

}  // namespace bb::runtime
