// The graphs of a model a pass or a rule walks: the main graph, every subgraph held in
// a node attribute (If/Loop/Scan bodies), and every model-local function (docs/spec.md:
// functions are processed the same way as the graph).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_set.h>
#include <onnx/onnx_pb.h>

namespace bb::compiler {

using NodeList = google::protobuf::RepeatedPtrField<onnx::NodeProto>;
using OpsetList = google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>;

struct Body {
  enum class Kind { kGraph, kSubgraph, kFunction };
  Kind kind = Kind::kGraph;
  onnx::GraphProto* graph = nullptr;        // kGraph, kSubgraph
  onnx::FunctionProto* function = nullptr;  // kFunction
  const OpsetList* opsets = nullptr;        // the imports its nodes resolve against
  int scope = 0;                            // visit order; 0 is the main graph
  int parent = -1;                          // the enclosing body of a subgraph
  const onnx::NodeProto* owner = nullptr;   // the node whose attribute a subgraph is
  std::string where;                        // "" or " (in function 'f')" etc., for messages

  NodeList& nodes() const { return function != nullptr ? *function->mutable_node() : *graph->mutable_node(); }
  int output_count() const { return function != nullptr ? function->output_size() : graph->output_size(); }
  const std::string& output(int i) const {
    return function != nullptr ? function->output(i) : graph->output(i).name();
  }
  std::string* mutable_output(int i) const {
    return function != nullptr ? function->mutable_output(i) : graph->mutable_output(i)->mutable_name();
  }
};

// Main graph first, each graph's subgraphs after it (pre-order), then functions.
// `main_subgraphs` false: the caller knows the main graph holds none (its nodes are not
// walked).
std::vector<Body> collect_bodies(onnx::ModelProto& model, bool main_subgraphs = true);
// Validation only reads; the walk is the same.
std::vector<Body> collect_bodies(const onnx::ModelProto& model, bool main_subgraphs = true);

bool has_subgraph(const onnx::NodeProto& node);

// Calls `f(graph)` for every subgraph attribute of `node`.
template <class F>
void for_each_subgraph(onnx::NodeProto& node, F&& f) {
  for (auto& attr : *node.mutable_attribute()) {
    if (attr.has_g()) f(*attr.mutable_g());
    for (auto& g : *attr.mutable_graphs()) f(g);
  }
}
template <class F>
void for_each_subgraph(const onnx::NodeProto& node, F&& f) {
  for (const auto& attr : node.attribute()) {
    if (attr.has_g()) f(attr.g());
    for (const auto& g : attr.graphs()) f(g);
  }
}

// Adds the syscall domain to `imports` unless it is there (gates live in that domain).
void import_syscall_domain(OpsetList& imports);

// The names a node's subgraphs read from enclosing scopes (used inside, defined
// nowhere inside), in first-use order, without duplicates. Appends to `out`.
void implicit_inputs(const onnx::NodeProto& node, std::vector<std::string_view>& out);

}  // namespace bb::compiler
