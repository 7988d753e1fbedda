// The machine formats of `bbc lint` (docs/lint.md): JSON and SARIF 2.1.0 on stdout, valid
// JSON whatever bytes the findings quote (bb/ir/json.h).
#include <cstdio>
#include <ostream>
#include <set>
#include <string>

#include "bb/compiler/lint.h"
#include "bb/compiler/pass.h"
#include "bb/ir/json.h"
#include "bb/ir/names.h"

namespace bb::compiler {
namespace {

constexpr std::string_view kInformationUri = "https://github.com/bytesandbrains/bb/blob/main/docs/lint.md";
constexpr std::string_view kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";

using ir::json_string;

template <class T>
std::string json_or_null(const std::optional<T>& v) {
  if (!v) return "null";
  if constexpr (std::is_same_v<T, std::string>) {
    return json_string(*v);
  } else {
    return std::to_string(*v);
  }
}

std::string_view sarif_level(Severity s) { return to_string(s); }

}  // namespace

void write_lint_json(const LintReport& report, std::ostream& out) {
  out << "{\"findings\": [";
  bool first = true;
  for (const auto& f : report.findings) {
    out << (first ? "\n  " : ",\n  ");
    first = false;
    out << "{\"code\": " << json_string(f.code) << ", \"severity\": " << json_string(to_string(f.severity))
        << ", \"message\": " << json_string(f.message) << ", \"file\": " << json_string(f.file)
        << ", \"node\": " << json_or_null(f.node) << ", \"op_type\": " << json_or_null(f.op_type)
        << ", \"index\": " << json_or_null(f.index) << ", \"hint\": " << json_string(f.hint) << "}";
  }
  out << (first ? "" : "\n") << "], \"summary\": {\"errors\": " << report.errors << ", \"warnings\": " << report.warnings
      << ", \"notes\": " << report.notes << ", \"files\": " << report.files << "}}\n";
}

void write_lint_sarif(const LintReport& report, std::ostream& out) {
  std::set<std::string> used;
  for (const auto& f : report.findings) used.insert(f.code);
  out << "{\n  \"$schema\": " << json_string(kSarifSchema) << ",\n  \"version\": \"2.1.0\",\n  \"runs\": [{\n"
      << "    \"tool\": {\"driver\": {\"name\": " << json_string(ir::kCompilerName)
      << ", \"version\": " << json_string(compiler_version()) << ", \"informationUri\": " << json_string(kInformationUri)
      << ",\n      \"rules\": [";
  bool first = true;
  for (const auto& code : used) {
    const auto* info = find_code(code);
    if (info == nullptr) continue;
    out << (first ? "\n        " : ",\n        ");
    first = false;
    out << "{\"id\": " << json_string(info->code) << ", \"name\": " << json_string(info->title)
        << ", \"shortDescription\": {\"text\": " << json_string(info->title) << "}"
        << ", \"fullDescription\": {\"text\": " << json_string(info->description) << "}"
        << ", \"help\": {\"text\": " << json_string(info->help) << "}"
        << ", \"defaultConfiguration\": {\"level\": " << json_string(sarif_level(info->severity)) << "}}";
  }
  out << "]}},\n    \"results\": [";
  first = true;
  for (const auto& f : report.findings) {
    out << (first ? "\n      " : ",\n      ");
    first = false;
    std::string text = f.message;
    if (!f.hint.empty()) text += " [hint: " + f.hint + "]";
    out << "{\"ruleId\": " << json_string(f.code) << ", \"level\": " << json_string(sarif_level(f.severity))
        << ", \"message\": {\"text\": " << json_string(text) << "}, \"locations\": [{\"physicalLocation\": "
        << "{\"artifactLocation\": {\"uri\": " << json_string(f.file) << "}, \"region\": {\"startLine\": 1}}";
    if (!f.file_level()) {
      const std::string name = f.node ? *f.node : "#" + std::to_string(*f.index);
      out << ", \"logicalLocations\": [{\"name\": " << json_string(name) << ", \"kind\": \"function\"}]";
    }
    out << "}]}";
  }
  out << (first ? "" : "\n    ") << "]\n  }]\n}\n";
}

}  // namespace bb::compiler
