#include "body.h"

#include "bb/ir/names.h"
#include "bb/ir/wire_shape.h"

namespace bb::compiler {
namespace {

std::string describe_node(const onnx::NodeProto& node, int index) {
  if (!node.name().empty()) return "'" + node.name() + "'";
  return "#" + std::to_string(index);
}

void collect_subgraphs(const onnx::GraphProto& graph, const OpsetList* opsets, int parent_scope,
                       const std::string& outer_where, std::vector<Body>& out) {
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    if (!has_subgraph(node)) continue;
    for_each_subgraph(node, [&](const onnx::GraphProto& sub) {
      Body body;
      body.kind = Body::Kind::kSubgraph;
      body.graph = const_cast<onnx::GraphProto*>(&sub);
      body.opsets = opsets;
      body.scope = static_cast<int>(out.size());
      body.parent = parent_scope;
      body.owner = &node;
      body.where = " (in subgraph '" + sub.name() + "' of node " + describe_node(node, i) + outer_where + ")";
      out.push_back(body);
      collect_subgraphs(sub, opsets, body.scope, body.where, out);
    });
  }
}

void collect_function_subgraphs(const onnx::FunctionProto& function, int parent_scope, const std::string& where,
                                std::vector<Body>& out) {
  for (int i = 0; i < function.node_size(); ++i) {
    const auto& node = function.node(i);
    if (!has_subgraph(node)) continue;
    for_each_subgraph(node, [&](const onnx::GraphProto& sub) {
      Body body;
      body.kind = Body::Kind::kSubgraph;
      body.graph = const_cast<onnx::GraphProto*>(&sub);
      body.opsets = &function.opset_import();
      body.scope = static_cast<int>(out.size());
      body.parent = parent_scope;
      body.owner = &node;
      body.where = " (in subgraph '" + sub.name() + "' of node " + describe_node(node, i) + where + ")";
      out.push_back(body);
      collect_subgraphs(sub, &function.opset_import(), body.scope, body.where, out);
    });
  }
}

// Names used and defined inside one subgraph, recursively.
void scan_subgraph(const onnx::GraphProto& graph, absl::flat_hash_set<std::string_view>& seen,
                   std::vector<std::string_view>& out) {
  absl::flat_hash_set<std::string_view> defined;
  for (const auto& v : graph.input()) defined.insert(v.name());
  for (const auto& t : graph.initializer()) defined.insert(t.name());
  for (const auto& t : graph.sparse_initializer()) defined.insert(t.values().name());
  for (const auto& node : graph.node())
    for (const auto& o : node.output()) defined.insert(o);
  auto use = [&](std::string_view name) {
    if (name.empty() || defined.contains(name)) return;
    if (seen.insert(name).second) out.push_back(name);
  };
  for (const auto& node : graph.node()) {
    for (const auto& in : node.input()) use(in);
    if (!has_subgraph(node)) continue;
    std::vector<std::string_view> nested;
    implicit_inputs(node, nested);
    for (auto name : nested) use(name);
  }
  for (const auto& v : graph.output()) use(v.name());
}

}  // namespace

bool has_subgraph(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute())
    if (attr.has_g() || attr.graphs_size() > 0) return true;
  return false;
}

void import_syscall_domain(OpsetList& imports) {
  if (ir::opset_version(imports, ir::kSyscallDomain)) return;
  auto* entry = imports.Add();
  entry->set_domain(std::string(ir::kSyscallDomain));
  entry->set_version(ir::kSyscallDomainVersion);
}

void implicit_inputs(const onnx::NodeProto& node, std::vector<std::string_view>& out) {
  absl::flat_hash_set<std::string_view> seen;
  for_each_subgraph(node, [&](const onnx::GraphProto& sub) { scan_subgraph(sub, seen, out); });
}

std::vector<Body> collect_bodies(const onnx::ModelProto& model, bool main_subgraphs) {
  std::vector<Body> out;
  Body main;
  main.kind = Body::Kind::kGraph;
  main.graph = const_cast<onnx::GraphProto*>(&model.graph());
  main.opsets = &model.opset_import();
  out.push_back(main);
  if (main_subgraphs) collect_subgraphs(model.graph(), &model.opset_import(), 0, "", out);
  for (const auto& function : model.functions()) {
    Body body;
    body.kind = Body::Kind::kFunction;
    body.function = const_cast<onnx::FunctionProto*>(&function);
    body.opsets = &function.opset_import();
    body.scope = static_cast<int>(out.size());
    body.where = " (in function '" + function.name() + "')";
    out.push_back(body);
    collect_function_subgraphs(function, body.scope, body.where, out);
  }
  return out;
}

std::vector<Body> collect_bodies(onnx::ModelProto& model, bool main_subgraphs) {
  model.mutable_graph();  // never hand out the shared default instance for writing
  return collect_bodies(static_cast<const onnx::ModelProto&>(model), main_subgraphs);
}

}  // namespace bb::compiler
