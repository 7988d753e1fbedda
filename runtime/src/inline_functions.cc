#include "inline_functions.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <onnx/defs/schema.h>

#include "bb/runtime/registry.h"

namespace bb::runtime {
namespace {

const onnx::FunctionProto* local_function(const onnx::ModelProto& model, const onnx::NodeProto& node) {
  for (const auto& f : model.functions())
    if (f.name() == node.op_type() && canonical_domain(f.domain()) == canonical_domain(node.domain())) return &f;
  return nullptr;
}

// The ONNX schema of the node's op at `opset` (ONNX's own domains only), or null.
const onnx::OpSchema* onnx_schema(const onnx::NodeProto& node, int opset) {
  const std::string domain(canonical_domain(node.domain()));
  return onnx::OpSchemaRegistry::Schema(node.op_type(), opset, domain);
}

// A body to expand: a model-local function, an ONNX function op's body, or one built
// for this node from its input types.
struct Body {
  const onnx::FunctionProto* shared = nullptr;  // a model-local or an ONNX function op's body
  onnx::FunctionProto built;                    // or one built for this node
  const onnx::OpSchema* schema = nullptr;       // attribute defaults of an ONNX function op
  std::string id;                               // for cycle detection: "domain::name"
  const onnx::FunctionProto& function() const { return shared != nullptr ? *shared : built; }
};

std::optional<Body> body_of(const onnx::ModelProto& model, const onnx::NodeProto& node, int opset, const TypeOf& type_of) {
  Body body;
  if (const auto* local = local_function(model, node)) {
    body.shared = local;
    body.id = std::string(display_domain(canonical_domain(local->domain()))) + "::" + local->name();
    return body;
  }
  const onnx::OpSchema* schema = onnx_schema(node, opset);
  if (schema == nullptr) return std::nullopt;
  body.schema = schema;
  body.id = std::string(display_domain(canonical_domain(node.domain()))) + "::" + node.op_type() + "@" +
            std::to_string(schema->since_version());
  if (schema->HasFunction() && schema->GetFunction() != nullptr) {
    body.shared = schema->GetFunction();
    return body;
  }
  if (!schema->HasContextDependentFunction()) return std::nullopt;
  std::vector<onnx::TypeProto> types;
  for (const auto& in : node.input()) {
    const onnx::TypeProto* t = in.empty() ? nullptr : type_of(in);
    types.push_back(t != nullptr ? *t : onnx::TypeProto());
  }
  try {
    const onnx::FunctionBodyBuildContextImpl context(node, types);
    if (!schema->BuildContextDependentFunction(context, body.built)) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;  // the builder refused this node (e.g. unknown input types): no body
  }
  return body;
}

class Expander {
 public:
  Expander(const onnx::ModelProto& model, const onnx::GraphProto& graph, const HasKernel& has_kernel,
           const TypeOf& type_of)
      : model_(model), has_kernel_(has_kernel), type_of_(type_of) {
    for (const auto& v : graph.input()) used_.insert(v.name());
    for (const auto& v : graph.initializer()) used_.insert(v.name());
    for (const auto& node : graph.node())
      for (const auto& out : node.output()) used_.insert(out);
  }

  // Emits `node` (written in a scope whose opsets `scope` gives), or its body.
  Expected<void, std::string> expand(const onnx::NodeProto& node, const OpsetOf& scope, const std::string& call_name,
                                     int depth) {
    const int opset = scope(node.domain());
    if (has_kernel_(canonical_domain(node.domain()), node.op_type(), opset)) return emit(node, opset);
    auto body = body_of(model_, node, opset, type_of_);
    if (!body) return emit(node, opset);  // unresolved: the loader reports it
    if (depth >= kMaxInlineDepth)
      return unexpected("function '" + body->id + "' is nested deeper than " + std::to_string(kMaxInlineDepth) +
                        " calls");
    for (const auto& open : stack_)
      if (open == body->id) return unexpected("function '" + body->id + "' calls itself (a cycle of calls)");
    stack_.push_back(body->id);
    expanded_any_ = true;
    auto done = expand_body(node, *body, call_name, opset, depth);
    stack_.pop_back();
    return done;
  }

  ExpandedGraph& result() { return out_; }
  bool expanded_any() const { return expanded_any_; }

 private:
  Expected<void, std::string> emit(const onnx::NodeProto& node, int opset) {
    *out_.graph.add_node() = node;
    out_.opsets.push_back(opset);
    return {};
  }

  std::string fresh(const std::string& call_name, const std::string& name) {
    std::string candidate = call_name + "/" + name;
    for (int n = 1; used_.contains(candidate); ++n) candidate = call_name + "/" + name + "_" + std::to_string(n);
    used_.insert(candidate);
    return candidate;
  }

  // The caller's attribute `ref`, or the schema's default for it, named `name`; null
  // when neither exists (the body's op then uses its own default).
  std::optional<onnx::AttributeProto> referenced(const onnx::NodeProto& call, const Body& body,
                                                 const std::string& ref, const std::string& name) {
    for (const auto& a : call.attribute())
      if (a.name() == ref) {
        onnx::AttributeProto out = a;
        out.set_name(name);
        return out;
      }
    if (body.schema != nullptr) {
      const auto& attrs = body.schema->attributes();
      if (auto it = attrs.find(ref); it != attrs.end() && it->second.default_value.type() != onnx::AttributeProto::UNDEFINED) {
        onnx::AttributeProto out = it->second.default_value;
        out.set_name(name);
        return out;
      }
    }
    return std::nullopt;
  }

  Expected<void, std::string> expand_body(const onnx::NodeProto& call, const Body& body, const std::string& call_name,
                                          int call_opset, int depth) {
    const onnx::FunctionProto& fn = body.function();
    absl::flat_hash_map<std::string, std::string> rename;
    for (int i = 0; i < fn.input_size(); ++i) rename[fn.input(i)] = i < call.input_size() ? call.input(i) : "";
    for (int i = 0; i < fn.output_size(); ++i) {
      const bool given = i < call.output_size() && !call.output(i).empty();
      rename[fn.output(i)] = given ? call.output(i) : fresh(call_name, fn.output(i));
    }
    // The body's scope: its own imports, else the schema's version for ONNX's domain,
    // else the model's.
    std::vector<std::pair<std::string, int>> imports;
    for (const auto& import : fn.opset_import())
      imports.emplace_back(std::string(canonical_domain(import.domain())), static_cast<int>(import.version()));
    const OpsetOf& outer = scope_of_model_;
    const bool onnx_op = body.schema != nullptr;
    OpsetOf scope = [imports, outer, onnx_op, call_opset](std::string_view domain) {
      domain = canonical_domain(domain);
      for (const auto& [d, v] : imports)
        if (d == domain) return v;
      if (onnx_op && domain.empty()) return call_opset;
      return outer(domain);
    };
    for (int k = 0; k < fn.node_size(); ++k) {
      const onnx::NodeProto& inner = fn.node(k);
      onnx::NodeProto node;
      node.set_op_type(inner.op_type());
      node.set_domain(inner.domain());
      node.set_name(call_name + "/" + (inner.name().empty() ? inner.op_type() + "#" + std::to_string(k) : inner.name()));
      for (const auto& in : inner.input()) {
        if (in.empty()) {
          node.add_input();
          continue;
        }
        auto it = rename.find(in);
        node.add_input(it != rename.end() ? it->second : in);
      }
      for (const auto& out : inner.output()) {
        if (out.empty()) {
          node.add_output();
          continue;
        }
        auto [it, added] = rename.try_emplace(out);
        if (added) it->second = fresh(call_name, out);
        node.add_output(it->second);
      }
      for (const auto& a : inner.attribute()) {
        if (a.ref_attr_name().empty()) {
          *node.add_attribute() = a;
        } else if (auto value = referenced(call, body, a.ref_attr_name(), a.name())) {
          *node.add_attribute() = std::move(*value);
        }
      }
      if (auto r = expand(node, scope, node.name(), depth + 1); !r) return r;
    }
    return {};
  }

 public:
  OpsetOf scope_of_model_;

 private:
  const onnx::ModelProto& model_;
  const HasKernel& has_kernel_;
  const TypeOf& type_of_;
  absl::flat_hash_set<std::string> used_;
  std::vector<std::string> stack_;
  bool expanded_any_ = false;
  ExpandedGraph out_;
};

}  // namespace

bool has_function_body(const onnx::ModelProto& model, const onnx::NodeProto& node, int opset) {
  if (local_function(model, node) != nullptr) return true;
  const onnx::OpSchema* schema = onnx_schema(node, opset);
  return schema != nullptr && (schema->HasFunction() || schema->HasContextDependentFunction());
}

Expected<ExpandedGraph, std::string> expand_functions(const onnx::ModelProto& model, const onnx::GraphProto& graph,
                                                      const OpsetOf& opset_of, const HasKernel& has_kernel,
                                                      const TypeOf& type_of, const std::vector<int>& node_opsets,
                                                      bool* expanded_any) {
  Expander expander(model, graph, has_kernel, type_of);
  expander.scope_of_model_ = opset_of;
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    const std::string call_name = node.name().empty() ? "#" + std::to_string(i) : node.name();
    const int own = static_cast<std::size_t>(i) < node_opsets.size() ? node_opsets[static_cast<std::size_t>(i)] : -1;
    const OpsetOf scope = [&, own](std::string_view domain) {
      return own >= 0 && canonical_domain(domain) == canonical_domain(node.domain()) ? own : opset_of(domain);
    };
    if (auto r = expander.expand(node, scope, call_name, 0); !r)
      return unexpected("node '" + call_name + "' (" + node.op_type() + "): " + r.error());
  }
  if (expanded_any != nullptr) *expanded_any = expander.expanded_any();
  ExpandedGraph out = std::move(expander.result());
  *out.graph.mutable_input() = graph.input();
  *out.graph.mutable_output() = graph.output();
  *out.graph.mutable_value_info() = graph.value_info();
  out.graph.set_name(graph.name());
  return out;
}

}  // namespace bb::runtime
