#include "bb/compiler/text_dump.h"

#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>

#include "bb/compiler/diagnostics.h"
#include "bb/ir/escape.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"

namespace bb::compiler {
namespace {

std::string quote(std::string_view s) { return "\"" + printable(s, 256) + "\""; }

std::string peer_text(std::string_view value) {
  auto peer = PeerId::from_attribute(value);
  return peer ? peer->to_text() : quote(value);
}

std::string elem_type(int type) {
  std::string name = onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.empty() ? "?" : name;
}

std::string shape_text(const onnx::TensorShapeProto& shape) {
  std::string out = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) out += ",";
    const auto& d = shape.dim(i);
    out += d.has_dim_value() ? std::to_string(d.dim_value()) : d.has_dim_param() ? d.dim_param() : "?";
  }
  return out + "]";
}

std::string type_text(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType: {
      const auto& t = type.tensor_type();
      return elem_type(t.elem_type()) + (t.has_shape() ? shape_text(t.shape()) : "");
    }
    case onnx::TypeProto::kSequenceType: return "seq(" + type_text(type.sequence_type().elem_type()) + ")";
    case onnx::TypeProto::kOptionalType: return "optional(" + type_text(type.optional_type().elem_type()) + ")";
    case onnx::TypeProto::kMapType:
      return "map(" + elem_type(type.map_type().key_type()) + "," + type_text(type.map_type().value_type()) + ")";
    case onnx::TypeProto::kSparseTensorType: return "sparse " + elem_type(type.sparse_tensor_type().elem_type());
    default: return "untyped";
  }
}

std::string tensor_text(const onnx::TensorProto& t) {
  std::string out = "<tensor " + elem_type(t.data_type()) + "[";
  for (int i = 0; i < t.dims_size(); ++i) out += (i ? "," : "") + std::to_string(t.dims(i));
  return out + "]>";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool is_peer_attribute(const onnx::NodeProto& node, const onnx::AttributeProto& attr) {
  return attr.name() == ir::kAttrPeer && (ir::is_send(node) || ir::is_tx_gate(node));
}

bool is_peer_list(const onnx::NodeProto& node, const onnx::AttributeProto& attr) {
  return attr.name() == ir::kAttrPeers && ir::is_peers(node);
}

void dump_graph(const onnx::GraphProto& graph, std::ostream& out, const std::string& indent);

std::string attr_text(const onnx::NodeProto& node, const onnx::AttributeProto& a) {
  using A = onnx::AttributeProto;
  if (!a.ref_attr_name().empty()) return "@" + a.ref_attr_name();
  switch (a.type()) {
    case A::INT: return std::to_string(a.i());
    case A::FLOAT: return number(a.f());
    case A::STRING: return is_peer_attribute(node, a) ? peer_text(a.s()) : quote(a.s());
    case A::TENSOR: return tensor_text(a.t());
    case A::GRAPH: return "<graph '" + a.g().name() + "'>";
    case A::TYPE_PROTO: return "<type " + type_text(a.tp()) + ">";
    case A::INTS: {
      std::string s = "[";
      for (int i = 0; i < a.ints_size(); ++i) s += (i ? ", " : "") + std::to_string(a.ints(i));
      return s + "]";
    }
    case A::FLOATS: {
      std::string s = "[";
      for (int i = 0; i < a.floats_size(); ++i) s += (i ? ", " : "") + number(a.floats(i));
      return s + "]";
    }
    case A::STRINGS: {
      std::string s = "[";
      const bool peers = is_peer_list(node, a);
      for (int i = 0; i < a.strings_size(); ++i) s += (i ? ", " : "") + (peers ? peer_text(a.strings(i)) : quote(a.strings(i)));
      return s + "]";
    }
    case A::TENSORS: return "<" + std::to_string(a.tensors_size()) + " tensors>";
    case A::GRAPHS: return "<" + std::to_string(a.graphs_size()) + " graphs>";
    default: return "<" + A::AttributeType_Name(a.type()) + ">";
  }
}

std::string join(const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::string s;
  for (int i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names.Get(i);
  return s;
}

void dump_nodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, std::ostream& out,
                const std::string& indent) {
  for (int i = 0; i < nodes.size(); ++i) {
    const auto& node = nodes.Get(i);
    out << indent << '#' << i << ' ';
    if (!ir::is_onnx_domain(node.domain())) out << node.domain() << '.';
    out << node.op_type();
    if (!node.name().empty()) out << " '" << node.name() << '\'';
    out << " (" << join(node.input()) << ") -> (" << join(node.output()) << ')';
    if (node.attribute_size() > 0) {
      out << " {";
      for (int k = 0; k < node.attribute_size(); ++k)
        out << (k ? ", " : "") << node.attribute(k).name() << '=' << attr_text(node, node.attribute(k));
      out << '}';
    }
    out << '\n';
    for (const auto& a : node.attribute()) {
      if (a.has_g()) dump_graph(a.g(), out, indent + "    ");
      for (const auto& g : a.graphs()) dump_graph(g, out, indent + "    ");
    }
  }
}

void dump_graph(const onnx::GraphProto& graph, std::ostream& out, const std::string& indent) {
  out << indent << "graph '" << graph.name() << "'\n";
  const std::string in = indent + "  ";
  for (const auto& v : graph.input()) out << in << "input " << v.name() << ": " << type_text(v.type()) << '\n';
  for (const auto& t : graph.initializer()) out << in << "initializer " << t.name() << ": " << tensor_text(t) << '\n';
  for (const auto& v : graph.output()) out << in << "output " << v.name() << ": " << type_text(v.type()) << '\n';
  dump_nodes(graph.node(), out, in);
}

void dump_opsets(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports, std::ostream& out) {
  out << "opset_import";
  for (const auto& o : imports)
    out << ' ' << (o.domain().empty() ? std::string(ir::kOnnxDomainAlias) : o.domain()) << '=' << o.version();
  out << '\n';
}

void dump_raw(const onnx::ModelProto& model, std::ostream& out) {
  out << "model ir_version=" << model.ir_version() << '\n';
  out << "  ";
  dump_opsets(model.opset_import(), out);
  dump_graph(model.graph(), out, "  ");
  for (const auto& f : model.functions()) {
    out << "  function " << f.domain() << '.' << f.name() << " (" << join(f.input()) << ") -> (" << join(f.output())
        << ")\n    ";
    dump_opsets(f.opset_import(), out);
    dump_nodes(f.node(), out, "    ");
  }
  for (const auto& p : model.metadata_props()) out << "  metadata " << p.key() << " = " << printable(p.value(), 256) << '\n';
}

}  // namespace

void dump_model(const onnx::ModelProto& model, std::ostream& out) { out << dump_model(model); }

// Names in the dump are the model's own bytes: every line is escaped (ir::escape_lines).
std::string dump_model(const onnx::ModelProto& model) {
  std::ostringstream out;
  dump_raw(model, out);
  return ir::escape_lines(out.str());
}

}  // namespace bb::compiler
