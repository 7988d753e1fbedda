// `bbc inspect --format dot`: the program as a Graphviz digraph. One cluster per body
// (graph, subgraph, function); one node per op, graph inputs and outputs as ellipses;
// one edge per (producer, consumer, value), labelled with the value. Every Send and Recv
// sits in a cluster with the gates a pass inserted for it (their `source` attribute),
// and its label names its peer or peer list and its channel. The output depends only
// on the model: everything is written in node-index order.
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/inspect.h"
#include "bb/ir/names.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "wire_view.h"

namespace bb::compiler {
namespace {

constexpr std::size_t kLabelMax = 96;  // characters of one label line

// A DOT quoted string: `"` and `\` escaped; `\n` between lines (a DOT line break). (Not
// named `quoted`: for a std::string argument, lookup would pick std::quoted.)
std::string dot_string(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\\n";
    for (char c : printable(lines[i], kLabelMax)) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}
std::string dot_string(std::string_view line) { return dot_string(std::vector<std::string>{std::string(line)}); }

std::string body_title(const Body& body) {
  switch (body.kind) {
    case Body::Kind::kGraph: return "graph '" + body.graph->name() + "'";
    case Body::Kind::kSubgraph: return "subgraph" + body.where;
    case Body::Kind::kFunction: return "function '" + body.function->name() + "'";
  }
  return {};
}

std::string channel_line(const onnx::NodeProto& node) {
  return "channel \"" + std::string(ir::channel_of(node)) + "\"";
}

std::string display_name(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? "#" + std::to_string(index) : "'" + node.name() + "'";
}

class BodyDrawing {
 public:
  BodyDrawing(const Body& body, std::ostream& out)
      : body_(body), nodes_(body.nodes()), view_(body), out_(out), prefix_("b" + std::to_string(body.scope)) {}

  void draw() {
    out_ << "  subgraph cluster_" << prefix_ << " {\n";
    out_ << "    label=" << dot_string(body_title(body_)) << ";\n";
    out_ << "    style=\"rounded\"; color=\"gray60\";\n";
    group_gates();
    draw_interface();
    for (int i = 0; i < nodes_.size(); ++i)
      if (!in_chain_[static_cast<std::size_t>(i)]) draw_node(i, "    ");
    for (const auto& [wire, members] : chains_) draw_chain(wire, members);
    draw_edges();
    out_ << "  }\n";
  }

 private:
  std::string id(int index) const { return prefix_ + "_n" + std::to_string(index); }

  // Gates go in the cluster of the Send or Recv named by their `source`.
  void group_gates() {
    std::map<std::string_view, int> wire_by_name;
    for (int i = 0; i < nodes_.size(); ++i)
      if (ir::is_wire_op(nodes_.Get(i)) && !nodes_.Get(i).name().empty()) wire_by_name.emplace(nodes_.Get(i).name(), i);
    in_chain_.assign(static_cast<std::size_t>(nodes_.size()), false);
    for (int i = 0; i < nodes_.size(); ++i) {
      const auto& node = nodes_.Get(i);
      if (!ir::is_gate(node)) continue;
      auto it = wire_by_name.find(ir::read_string_attribute(node, ir::kAttrSource).value_or(""));
      if (it == wire_by_name.end()) continue;
      chains_[it->second].push_back(i);
      in_chain_[static_cast<std::size_t>(i)] = true;
      in_chain_[static_cast<std::size_t>(it->second)] = true;
    }
  }

  void draw_interface() {
    const bool is_function = body_.kind == Body::Kind::kFunction;
    const int inputs = is_function ? body_.function->input_size() : body_.graph->input_size();
    for (int k = 0; k < inputs; ++k) {
      const std::string& name = is_function ? body_.function->input(k) : body_.graph->input(k).name();
      sources_.emplace(name, prefix_ + "_in" + std::to_string(k));
      out_ << "    " << prefix_ << "_in" << k << " [shape=ellipse, label=" << dot_string("input " + name) << "];\n";
    }
    if (!is_function) {
      for (int k = 0; k < body_.graph->initializer_size(); ++k)
        sources_.emplace(body_.graph->initializer(k).name(), "");  // constants: no node, no edge
    }
    for (int k = 0; k < body_.output_count(); ++k)
      out_ << "    " << prefix_ << "_out" << k << " [shape=ellipse, label=" << dot_string("output " + body_.output(k))
           << "];\n";
  }

  void draw_node(int i, std::string_view indent) {
    const auto& node = nodes_.Get(i);
    out_ << indent << id(i) << " [";
    if (ir::is_gate(node)) {
      out_ << "label=" << dot_string(std::vector<std::string>{node.op_type(), display_name(node, i)})
           << ", shape=box, style=\"filled,rounded\", fillcolor=\"#ffe0b2\", color=\"#e65100\"";
    } else if (ir::is_send(node)) {
      std::string where = view_.destination(node);
      if (ir::send_is_dynamic(node)) where = "dynamic " + where;
      out_ << "label=" << dot_string(std::vector<std::string>{node.op_type() + " " + display_name(node, i), where,
                                                          channel_line(node)})
           << ", shape=box, style=\"filled,bold\", fillcolor=\"#bbdefb\"";
    } else if (ir::is_recv(node)) {
      out_ << "label="
           << dot_string(std::vector<std::string>{node.op_type() + " " + display_name(node, i), "from any peer",
                                              channel_line(node)})
           << ", shape=box, style=\"filled,bold\", fillcolor=\"#c8e6c9\"";
    } else {
      std::vector<std::string> lines{node.op_type()};
      if (!node.name().empty()) lines.push_back(display_name(node, i));
      out_ << "label=" << dot_string(lines) << ", shape=box, style=\"rounded\"";
    }
    out_ << "];\n";
  }

  void draw_chain(int wire, const std::vector<int>& gates) {
    const auto& node = nodes_.Get(wire);
    out_ << "    subgraph cluster_" << prefix_ << "_w" << wire << " {\n";
    out_ << "      label=" << dot_string("gates of " + node.op_type() + " " + display_name(node, wire)) << ";\n";
    out_ << "      style=\"dashed,rounded\"; color=\"#e65100\";\n";
    for (int g : gates) draw_node(g, "      ");
    draw_node(wire, "      ");
    out_ << "    }\n";
  }

  // The node (or graph input) a value comes from, "" when it has none here (a
  // constant, or a value of an enclosing scope).
  std::string source_of(std::string_view value) const {
    const int at = view_.producer_of(value);
    if (at >= 0) return id(at);
    auto it = sources_.find(value);
    return it == sources_.end() ? std::string() : it->second;
  }

  void draw_edges() {
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    auto edge = [&](const std::string& from, const std::string& to, const std::string& value) {
      if (from.empty() || !seen.emplace(from, to, value).second) return;
      out_ << "    " << from << " -> " << to << " [label=" << dot_string(value) << "];\n";
    };
    for (int i = 0; i < nodes_.size(); ++i)
      for (const auto& in : nodes_.Get(i).input())
        if (!in.empty()) edge(source_of(in), id(i), in);
    for (int k = 0; k < body_.output_count(); ++k)
      edge(source_of(body_.output(k)), prefix_ + "_out" + std::to_string(k), body_.output(k));
  }

  const Body& body_;
  const NodeList& nodes_;
  WireView view_;
  std::ostream& out_;
  std::string prefix_;
  std::vector<bool> in_chain_;
  std::map<int, std::vector<int>> chains_;  // wire op index -> its gates, in index order
  std::map<std::string, std::string, std::less<>> sources_;  // graph input -> node id
};

}  // namespace

void write_dot(const onnx::ModelProto& model, std::ostream& out) {
  const auto bodies = collect_bodies(model);
  const std::string name = model.graph().name().empty() ? std::string("model") : model.graph().name();
  out << "digraph " << dot_string(name) << " {\n";
  out << "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, newrank=true];\n";
  out << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out << "  edge [fontname=\"Helvetica\", fontsize=8, color=\"gray40\"];\n";
  for (const auto& body : bodies) BodyDrawing(body, out).draw();
  out << "}\n";
}

}  // namespace bb::compiler
