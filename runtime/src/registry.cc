#include "bb/runtime/registry.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <tuple>

#include "bb/ir/op_table.h"

namespace bb::runtime {
namespace {

// Constant-initialized: valid before any registrar's constructor runs.
constinit const OpRegistrar* g_head = nullptr;
// While a plugin loads: its registrars go here until adopted.
constinit bool g_staging = false;
constinit const OpRegistrar* g_staged = nullptr;

bool key_less(const OpRegistration& a, const OpRegistration& b) {
  return std::tie(a.domain, a.op_type, a.opsets.since) < std::tie(b.domain, b.op_type, b.opsets.since);
}

std::string md_cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out.empty() ? "—" : out;
}

std::string attr_type(onnx::AttributeProto::AttributeType type) {
  std::string name = onnx::AttributeProto_AttributeType_Name(type);
  return name;
}

}  // namespace

OpRegistrar::OpRegistrar(std::string_view domain, std::string_view op_type, ir::OpKind kind,
                         KernelFactory factory) noexcept
    : OpRegistrar(domain, op_type, OpsetRange{}, kind, factory) {}

OpRegistrar::OpRegistrar(std::string_view domain, std::string_view op_type, OpsetRange opsets, ir::OpKind kind,
                         KernelFactory factory, std::string_view types) noexcept
    : registration_{canonical_domain(domain), op_type, kind, factory, opsets, types, {}},
      next_(g_staging ? g_staged : g_head) {
  (g_staging ? g_staged : g_head) = this;
}

namespace registry {
namespace {

bool overlaps(const OpRegistration& a, const OpRegistration& b) {
  return a.domain == b.domain && a.op_type == b.op_type && a.opsets.since <= b.opsets.end &&
         b.opsets.since <= a.opsets.end;
}

// Registrations adopted from plugins, with their origins: copies, so the plugins'
// registrar constants are never written to. Deques keep the addresses find() returns.
std::deque<OpRegistration>& adopted() {
  static std::deque<OpRegistration> regs;
  return regs;
}
std::deque<std::string>& origins() {
  static std::deque<std::string> paths;
  return paths;
}

std::string origin_label(std::string_view origin) {
  return origin.empty() ? std::string(kBuiltInOrigin) : std::string(origin);
}

}  // namespace

void begin_staging() {
  g_staged = nullptr;
  g_staging = true;
}

std::size_t staged_count() {
  std::size_t n = 0;
  for (const OpRegistrar* r = g_staged; r != nullptr; r = r->next()) ++n;
  return n;
}

void discard_staged() {
  g_staged = nullptr;
  g_staging = false;
}

Expected<void, std::string> adopt_staged(std::string_view origin) {
  std::vector<const OpRegistrar*> staged;
  for (const OpRegistrar* r = g_staged; r != nullptr; r = r->next()) staged.push_back(r);
  discard_staged();
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const OpRegistration& mine = staged[i]->registration();
    auto clash = [&](std::string_view other) {
      return unexpected(std::string(origin) + ": the plugin registers (" + std::string(display_domain(mine.domain)) +
                        ", " + std::string(mine.op_type) + "), which " + origin_label(other) +
                        " registers already; remove one of the two registrations");
    };
    for (const OpRegistrar* r = g_head; r != nullptr; r = r->next())
      if (overlaps(mine, r->registration())) return clash(r->registration().origin);
    for (const auto& reg : adopted())
      if (overlaps(mine, reg)) return clash(reg.origin);
    for (std::size_t j = 0; j < i; ++j)
      if (overlaps(mine, staged[j]->registration())) return clash(origin);
  }
  // The plugin stays loaded for the life of the process: its names and factories stay valid.
  const std::string_view kept = origins().emplace_back(origin);
  for (const OpRegistrar* r : staged) {
    OpRegistration reg = r->registration();
    reg.origin = kept;
    adopted().push_back(reg);
  }
  return {};
}

std::vector<OpRegistration> all() {
  std::vector<OpRegistration> out;
  for (const OpRegistrar* r = g_head; r != nullptr; r = r->next()) out.push_back(r->registration());
  out.insert(out.end(), adopted().begin(), adopted().end());
  std::stable_sort(out.begin(), out.end(), key_less);
  return out;
}

Expected<void, std::string> check() {
  const auto regs = all();
  std::string problems;
  // Sorted by since-version: two ranges of one op overlap when the later one starts
  // before the earlier one ends. Each op is reported once.
  for (std::size_t i = 1; i < regs.size(); ++i) {
    const auto& a = regs[i - 1];
    const auto& b = regs[i];
    if (a.domain != b.domain || a.op_type != b.op_type || b.opsets.since > a.opsets.end) continue;
    const std::string name = "(" + std::string(display_domain(b.domain)) + ", " + std::string(b.op_type) + ")";
    if (problems.find(name + " ") != std::string::npos) continue;
    problems += (problems.empty() ? "" : "\n") + std::string("op registry: ") + name +
                " is registered more than once: two kernels claim it; remove one registration";
  }
  if (!problems.empty()) return unexpected(problems);
  return {};
}

const OpRegistration* find(std::string_view domain, std::string_view op_type, int opset) {
  domain = canonical_domain(domain);
  for (const OpRegistrar* r = g_head; r != nullptr; r = r->next()) {
    const OpRegistration& reg = r->registration();
    if (reg.op_type == op_type && reg.domain == domain && reg.opsets.contains(opset)) return &reg;
  }
  for (const OpRegistration& reg : adopted())
    if (reg.op_type == op_type && reg.domain == domain && reg.opsets.contains(opset)) return &reg;
  return nullptr;
}

std::vector<OpsetRange> opsets(std::string_view domain, std::string_view op_type) {
  domain = canonical_domain(domain);
  std::vector<OpsetRange> out;
  for (const OpRegistrar* r = g_head; r != nullptr; r = r->next()) {
    const OpRegistration& reg = r->registration();
    if (reg.op_type == op_type && reg.domain == domain) out.push_back(reg.opsets);
  }
  for (const OpRegistration& reg : adopted())
    if (reg.op_type == op_type && reg.domain == domain) out.push_back(reg.opsets);
  std::sort(out.begin(), out.end(), [](const OpsetRange& a, const OpsetRange& b) { return a.since < b.since; });
  return out;
}

std::string opsets_text(const std::vector<OpsetRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ", ";
    out += std::to_string(r.since);
    if (r.end == OpsetRange::kLatestOpset)
      out += "+";
    else if (r.end != r.since)
      out += "-" + std::to_string(r.end);
  }
  return out;
}

std::string list_text() {
  std::string out;
  const auto regs = all();
  for (std::size_t i = 0; i < regs.size(); ++i) {
    const auto& r = regs[i];
    if (i > 0 && regs[i - 1].domain == r.domain && regs[i - 1].op_type == r.op_type) continue;  // another opset range
    out += std::string(display_domain(r.domain)) + "\t" + std::string(r.op_type) + "\t" +
           std::string(ir::to_string(r.kind)) + "\t" + origin_label(r.origin) + "\n";
  }
  return out;
}

namespace {

// The ai.onnx kernels: one row per op with each registered opset range and its types.
std::string onnx_kernels_markdown(const std::vector<OpRegistration>& regs) {
  std::string table;
  std::size_t ops = 0;
  for (std::size_t i = 0; i < regs.size();) {
    if (!regs[i].domain.empty()) {
      ++i;
      continue;
    }
    std::size_t j = i;
    bool same_types = true;
    for (; j < regs.size() && regs[j].domain.empty() && regs[j].op_type == regs[i].op_type; ++j)
      same_types = same_types && regs[j].types == regs[i].types;
    std::string ranges, types;
    for (std::size_t k = i; k < j; ++k) {
      const std::string range = opsets_text({regs[k].opsets});
      ranges += (ranges.empty() ? "" : ", ") + range;
      if (same_types && k > i) continue;
      const std::string t = regs[k].types.empty() ? "—" : md_cell(regs[k].types);
      types += (types.empty() ? "" : "; ") + (same_types ? t : range + ": " + t);
    }
    table += "| `" + std::string(regs[i].op_type) + "` | " + ranges + " | " + types + " |\n";
    ++ops;
    i = j;
  }
  return "\n## Domain `ai.onnx` (compute kernels)\n\n" + std::to_string(ops) +
         " ops. A kernel is chosen by the opset the model imports for the default domain\n"
         "(`\"\"` and `ai.onnx` are one domain); an op without a kernel but with an ONNX function\n"
         "body (LayerNormalization, SoftmaxCrossEntropyLoss, …) is expanded into its body at load\n"
         "(docs/runtime.md, \"Functions\"). Element types are those of the input the kernel\n"
         "dispatches on (the data input; indices, shapes and conditions have their own types);\n"
         "`all` is every type the runtime holds: the floats (with float16 and bfloat16), the\n"
         "integers, bool and string. A value of another type fails with `type_mismatch`.\n\n"
         "| op | opsets | element types |\n|---|---|---|\n" +
         table;
}

}  // namespace

std::string list_markdown() {
  std::string out =
      "# Ops\n\n"
      "<!-- Generated by `bbrun --list-ops --markdown` from the op registry and the bb op table.\n"
      "     Do not edit: a test compares this file with the generator. -->\n\n"
      "Every op of the bb op table and every registered kernel, with inputs, outputs,\n"
      "attributes and the stable reasons the op denies or fails with. `bbc` validates graphs\n"
      "against the same table; `bbrun --list-ops` lists the kernels of a build. Every kernel\n"
      "may also fail with `bad_input` when a value of the wrong kind reaches it, and a\n"
      "filtering (dynamic) gate denies with `no_peers` when its peer list is empty.\n";
  // The union of the registry and the table, sorted by (domain, op_type).
  struct Row {
    std::string_view domain, op_type;
    const OpRegistration* reg;
    const ir::OpSpec* spec;
  };
  std::vector<Row> rows;
  const auto regs = all();
  out += onnx_kernels_markdown(regs);
  for (const auto& r : regs)
    if (!r.domain.empty()) rows.push_back({r.domain, r.op_type, &r, ir::find_bb_op(r.domain, r.op_type)});
  for (const auto& op : ir::bb_op_table())
    if (find(op.domain, op.op_type) == nullptr) rows.push_back({op.domain, op.op_type, nullptr, &op});
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return std::tie(a.domain, a.op_type) < std::tie(b.domain, b.op_type); });
  auto arity = [](int lo, int hi) {
    if (hi == ir::kVariadic) return std::to_string(lo) + " or more";
    if (lo == hi) return std::to_string(lo);
    return std::to_string(lo) + " to " + std::to_string(hi);
  };
  std::string_view domain;
  for (const auto& row : rows) {
    if (row.domain != domain) {
      domain = row.domain;
      out += "\n## Domain `" + std::string(domain) + "`\n";
    }
    const ir::OpKind kind = row.reg ? row.reg->kind : row.spec->kind;
    out += "\n### `" + std::string(row.op_type) + "` (" + std::string(ir::to_string(kind)) + ")\n\n";
    if (row.reg == nullptr) out += "No kernel in this build (the simulator provides it).\n\n";
    const ir::OpSpec* spec = row.spec;
    if (spec == nullptr) {
      out += "Registered kernel outside the bb op table" +
             (row.reg->origin.empty() ? std::string(".\n") : " (plugin " + std::string(row.reg->origin) + ").\n");
      continue;
    }
    std::string summary(spec->summary);
    if (!summary.empty()) summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
    out += summary + ".\n\n";
    out += "- Inputs (" + arity(spec->min_inputs, spec->max_inputs) + "): " + md_cell(spec->inputs) + "\n";
    out += "- Outputs (" + arity(spec->min_outputs, spec->max_outputs) + "): " + md_cell(spec->outputs) + "\n";
    out += "- Deny/failure reasons: ";
    if (spec->deny_reasons.empty()) {
      out += "none\n";
    } else {
      std::string list;
      std::string_view rest = spec->deny_reasons;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        list += (list.empty() ? "`" : ", `") + std::string(rest.substr(0, comma)) + "`";
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      out += list + "\n";
    }
    if (spec->attributes.empty()) {
      out += "- Attributes: none\n";
      continue;
    }
    out += "\n| attribute | type | required | description |\n|---|---|---|---|\n";
    for (const auto& a : spec->attributes) {
      const std::string required =
          a.required ? "yes" : (a.one_of != 0 ? "one of group " + std::to_string(a.one_of) : "no");
      // The value's range or choices, from the declaration bbc and the loader check.
      const std::string allowed = ir::describe_constraint(a);
      out += "| `" + std::string(a.name) + "` | " + attr_type(a.type) + " | " + required + " | " + md_cell(a.doc) +
             (allowed.empty() ? std::string() : "; allowed: " + md_cell(allowed)) + " |\n";
    }
  }
  return out;
}

}  // namespace registry
}  // namespace bb::runtime
