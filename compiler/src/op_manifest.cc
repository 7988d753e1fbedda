// Parsing the op manifest: one [[op]] table per op, every key checked, errors with the
// file, line and dotted key.
#include "bb/compiler/op_manifest.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <onnx/defs/schema.h>
#include <toml++/toml.h>

#include "bb/ir/wire_shape.h"

namespace bb::compiler {
namespace {

constexpr int kMaxCount = 1 << 16;

struct Parser {
  const std::string& path;
  std::string error;

  bool fail(const toml::node* node, const std::string& key, const std::string& message) {
    if (!error.empty()) return false;
    const auto line = node != nullptr ? node->source().begin.line : 0;
    error = path + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + key + ": " + message;
    return false;
  }

  bool only_keys(const toml::table& table, const std::string& prefix, std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : table) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      std::string known;
      for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return fail(&v, prefix + std::string(k.str()), "unknown key (known keys here: " + known + ")");
    }
    return true;
  }

  const std::string* string(const toml::table& table, const std::string& prefix, std::string_view name,
                            bool required) {
    const toml::node* node = table.get(name);
    if (node == nullptr) {
      if (required) fail(&table, prefix + std::string(name), "missing (it is required)");
      return nullptr;
    }
    const auto* s = node->as_string();
    if (s == nullptr || s->get().empty()) {
      fail(node, prefix + std::string(name), "expected a non-empty string");
      return nullptr;
    }
    return &s->get();
  }

  // `inputs = 2`, or `inputs = { min = 1, max = 3 }` (no max: no upper bound).
  bool count(const toml::table& table, const std::string& prefix, std::string_view name, int& min, int& max) {
    const std::string key = prefix + std::string(name);
    const toml::node* node = table.get(name);
    if (node == nullptr) return fail(&table, key, "missing (it is required: a count, or { min = N, max = M })");
    auto in_range = [&](const toml::node& n, const std::string& k, int& out) {
      const auto* v = n.as_integer();
      if (v == nullptr || v->get() < 0 || v->get() > kMaxCount)
        return fail(&n, k, "expected an integer from 0 to " + std::to_string(kMaxCount));
      out = static_cast<int>(v->get());
      return true;
    };
    if (node->is_integer()) {
      if (!in_range(*node, key, min)) return false;
      max = min;
      return true;
    }
    const auto* t = node->as_table();
    if (t == nullptr) return fail(node, key, "expected an integer or a table { min = N, max = M }");
    if (!only_keys(*t, key + ".", {"min", "max"})) return false;
    const toml::node* lo = t->get("min");
    if (lo == nullptr) return fail(node, key + ".min", "missing (it is required)");
    if (!in_range(*lo, key + ".min", min)) return false;
    max = ir::kVariadic;
    if (const toml::node* hi = t->get("max")) {
      if (!in_range(*hi, key + ".max", max)) return false;
      if (max < min) return fail(hi, key + ".max", "is below min (" + std::to_string(min) + ")");
    }
    return true;
  }

  // "float", "ints", ...: the ONNX attribute type in lower case.
  bool attr_type(const toml::node& node, const std::string& key, onnx::AttributeProto::AttributeType& out) {
    const auto* s = node.as_string();
    std::string upper = s != nullptr ? s->get() : std::string();
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (s == nullptr || upper == "UNDEFINED" || !onnx::AttributeProto::AttributeType_Parse(upper, &out))
      return fail(&node, key,
                  "expected an ONNX attribute type: float, int, string, tensor, graph, floats, ints, strings, "
                  "tensors, graphs (or sparse_tensor, type_proto and their lists)");
    return true;
  }
};

}  // namespace

Expected<OpManifest, std::string> OpManifest::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(path + ": cannot read the op manifest (check the path given to --ops)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Expected<OpManifest, std::string> OpManifest::parse(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return unexpected(path + ":" + std::to_string(e.source().begin.line) + ": not valid TOML: " +
                      std::string(e.description()));
  }
  Parser p{path, {}};
  OpManifest manifest;
  manifest.path_ = path;
  if (!p.only_keys(root, "", {"op"})) return unexpected(p.error);
  const toml::node* ops = root.get("op");
  if (ops == nullptr) return unexpected(path + ": op: missing: declare each op in an [[op]] table");
  const auto* array = ops->as_array();
  if (array == nullptr || !array->is_array_of_tables())
    return unexpected(path + ":" + std::to_string(ops->source().begin.line) +
                      ": op: expected [[op]] tables (an array of tables)");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table& t = *array->get(i)->as_table();
    const std::string prefix = "op[" + std::to_string(i) + "].";
    if (!p.only_keys(t, prefix, {"domain", "op_type", "inputs", "outputs", "attribute", "summary"}))
      return unexpected(p.error);
    const std::string* domain = p.string(t, prefix, "domain", true);
    const std::string* op_type = domain ? p.string(t, prefix, "op_type", true) : nullptr;
    if (op_type == nullptr) return unexpected(p.error);
    if (manifest.find(*domain, *op_type) != nullptr)
      return unexpected((p.fail(&t, prefix + "op_type", "(" + *domain + ", " + *op_type + ") is declared twice"), p.error));
    if (ir::is_bb_domain(*domain) || ir::is_onnx_domain(*domain) ||
        onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().count(*domain) != 0)
      return unexpected((p.fail(t.get("domain"), prefix + "domain",
                                "'" + *domain + "' is ONNX's or bb's; the manifest describes ops of custom domains"),
                         p.error));
    ir::OpSpec spec{};
    spec.kind = ir::OpKind::kCompute;
    if (!p.count(t, prefix, "inputs", spec.min_inputs, spec.max_inputs) ||
        !p.count(t, prefix, "outputs", spec.min_outputs, spec.max_outputs))
      return unexpected(p.error);
    if (const std::string* summary = p.string(t, prefix, "summary", false))
      spec.summary = manifest.strings_.emplace_back(*summary);
    if (!p.error.empty()) return unexpected(p.error);
    auto& attrs = manifest.attributes_.emplace_back();
    if (const toml::node* list = t.get("attribute")) {
      const auto* tables = list->as_array();
      if (tables == nullptr || !tables->is_array_of_tables())
        return unexpected((p.fail(list, prefix + "attribute", "expected [[op.attribute]] tables"), p.error));
      for (std::size_t j = 0; j < tables->size(); ++j) {
        const toml::table& a = *tables->get(j)->as_table();
        const std::string akey = prefix + "attribute[" + std::to_string(j) + "].";
        if (!p.only_keys(a, akey, {"name", "type", "required", "doc"})) return unexpected(p.error);
        const std::string* name = p.string(a, akey, "name", true);
        if (name == nullptr) return unexpected(p.error);
        ir::AttrSpec spec_a{};
        const toml::node* type = a.get("type");
        if (type == nullptr) return unexpected((p.fail(&a, akey + "type", "missing (it is required)"), p.error));
        if (!p.attr_type(*type, akey + "type", spec_a.type)) return unexpected(p.error);
        if (const toml::node* required = a.get("required")) {
          const auto* b = required->as_boolean();
          if (b == nullptr) return unexpected((p.fail(required, akey + "required", "expected true or false"), p.error));
          spec_a.required = b->get();
        }
        if (const std::string* doc = p.string(a, akey, "doc", false)) spec_a.doc = manifest.strings_.emplace_back(*doc);
        if (!p.error.empty()) return unexpected(p.error);
        for (const auto& other : attrs)
          if (other.name == *name)
            return unexpected((p.fail(&a, akey + "name", "attribute '" + *name + "' is declared twice"), p.error));
        spec_a.name = manifest.strings_.emplace_back(*name);
        if (spec_a.doc.empty()) spec_a.doc = spec_a.name;
        attrs.push_back(spec_a);
      }
    }
    spec.domain = manifest.strings_.emplace_back(*domain);
    spec.op_type = manifest.strings_.emplace_back(*op_type);
    spec.attributes = attrs;
    manifest.ops_.push_back(spec);
  }
  return manifest;
}

bool OpManifest::declares_domain(std::string_view domain) const {
  return std::any_of(ops_.begin(), ops_.end(), [&](const ir::OpSpec& op) { return op.domain == domain; });
}

const ir::OpSpec* OpManifest::find(std::string_view domain, std::string_view op_type) const {
  for (const auto& op : ops_)
    if (op.domain == domain && op.op_type == op_type) return &op;
  return nullptr;
}

}  // namespace bb::compiler
