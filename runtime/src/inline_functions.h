// Function inlining at load (docs/runtime.md, "Functions"): a node that calls a
// model-local function, or an ONNX op that has a function body but no kernel in this
// build (LayerNormalization, SoftmaxCrossEntropyLoss, Celu, HardSwish, …), is replaced
// by the body's nodes. A kernel, where one exists, wins over the body.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"

namespace bb::runtime {

// Nested calls expand recursively up to this depth; a function that reaches itself is
// refused as a cycle before that.
inline constexpr int kMaxInlineDepth = 16;

struct ExpandedGraph {
  // The nodes, every call expanded, in an order where a body's nodes sit where the call
  // was. Inlined nodes are named "<call>/<body node>" (the call's name, or `#<index>`);
  // their internal values get fresh names no other value of the graph has.
  onnx::GraphProto graph;
  // Per node: the version of its domain where it was written (the model's import, or
  // the function's own import for a body's nodes).
  std::vector<int> opsets;
};

// The opset a domain has in the model's scope (canonical domain: "" for ai.onnx).
using OpsetOf = std::function<int(std::string_view domain)>;
// Whether a kernel runs (domain, op_type) at that opset.
using HasKernel = std::function<bool(std::string_view domain, std::string_view op_type, int opset)>;
// The type shape inference gave a value, or null: context-dependent bodies
// (SoftmaxCrossEntropyLoss, …) are built from their inputs' element types.
using TypeOf = std::function<const onnx::TypeProto*(const std::string& name)>;

// Whether `node` (at `opset` of its domain) has a body: a model-local function or an
// ONNX function op.
bool has_function_body(const onnx::ModelProto& model, const onnx::NodeProto& node, int opset);

// `graph`'s nodes with every call to a function without a kernel expanded; its inputs,
// outputs and value_info are copied (shape inference runs on the result). Errors name
// the node: a function that calls itself, or nesting deeper than kMaxInlineDepth.
// `node_opsets`, when not empty, gives each node of `graph` its version (a graph that
// was expanded before: a context-dependent body inside a body is built once shape
// inference has typed its inputs, in a further pass). `expanded_any` tells whether a
// call was expanded.
Expected<ExpandedGraph, std::string> expand_functions(const onnx::ModelProto& model, const onnx::GraphProto& graph,
                                                      const OpsetOf& opset_of, const HasKernel& has_kernel,
                                                      const TypeOf& type_of, const std::vector<int>& node_opsets = {},
                                                      bool* expanded_any = nullptr);

}  // namespace bb::runtime
