// The machine formats of `bbc lint` (docs/lint.md): JSON and SARIF 2.1.0 on stdout, valid
// JSON whatever bytes the findings quote (bb/ir/json.h).
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "bb/compiler/lint.h"
#include "bb/compiler/pass.h"
#include "bb/ir/json.h"
#include "bb/ir/names.h"
#include "bb/ir/sha256.h"

namespace bb::compiler {
namespace {

// The project's home (CMake: -DBB_HOMEPAGE_URL=…, for a fork), and the page every rule's
// help links into.
constexpr std::string_view kInformationUri = BB_HOMEPAGE_URL;
const std::string kDiagnosticsUri = std::string(BB_HOMEPAGE_URL) + "/blob/main/docs/diagnostics.md";
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

// A path as a SARIF artifact URI: relative to the working folder (the checkout, where
// code scanning resolves it) when inside it, else a file: URI; every byte outside the
// unreserved set and '/' percent-encoded ("my graph #1.onnxtxt" → "my%20graph%20%231.onnxtxt").
std::string artifact_uri(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::path(path).lexically_normal();
  bool relative = p.is_relative() && (p.empty() || *p.begin() != "..");
  if (p.is_absolute()) {
    const fs::path cwd = fs::current_path(ec);
    const fs::path rel = ec ? fs::path() : p.lexically_relative(cwd);
    if (!rel.empty() && *rel.begin() != "..") {
      p = rel;
      relative = true;
    }
  } else if (!relative) {
    p = fs::absolute(p, ec).lexically_normal();
  }
  std::string encoded = relative ? std::string() : std::string("file://");
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : p.generic_string()) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded;
}

// What identifies a finding whatever line it moves to: code, file, node, message.
std::string fingerprint(const Finding& f, const std::string& uri) {
  const std::string node = f.node ? *f.node : f.index ? *f.op_type + "#" + std::to_string(*f.index) : std::string();
  return sha256_hex(f.code + '\0' + uri + '\0' + node + '\0' + f.message).substr(0, 32);
}

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
    std::string anchor(info->code);
    for (char& c : anchor) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out << (first ? "\n        " : ",\n        ");
    first = false;
    out << "{\"id\": " << json_string(info->code) << ", \"name\": " << json_string(info->title)
        << ", \"shortDescription\": {\"text\": " << json_string(info->title) << "}"
        << ", \"fullDescription\": {\"text\": " << json_string(info->description) << "}"
        << ", \"help\": {\"text\": " << json_string(info->help) << "}"
        << ", \"helpUri\": " << json_string(kDiagnosticsUri + "#" + anchor)
        << ", \"defaultConfiguration\": {\"level\": " << json_string(sarif_level(info->severity)) << "}}";
  }
  out << "]}},\n    \"invocations\": [{\"executionSuccessful\": " << (report.io_errors.empty() ? "true" : "false")
      << ", \"toolExecutionNotifications\": [";
  for (std::size_t k = 0; k < report.io_errors.size(); ++k) {
    out << (k == 0 ? "\n      " : ",\n      ") << "{\"level\": \"error\", \"message\": {\"text\": "
        << json_string(report.io_errors[k]) << "}";
    if (k < report.unreadable.size())
      out << ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": "
          << json_string(artifact_uri(report.unreadable[k])) << "}}}]";
    out << "}";
  }
  out << (report.io_errors.empty() ? "" : "\n    ") << "]}],\n    \"results\": [";
  first = true;
  std::map<std::string, int> seen;  // a fingerprint repeated in one run gets its occurrence appended
  for (const auto& f : report.findings) {
    out << (first ? "\n      " : ",\n      ");
    first = false;
    std::string text = f.message;
    if (!f.hint.empty()) text += " [hint: " + f.hint + "]";
    const std::string uri = artifact_uri(f.file);
    const std::string print = fingerprint(f, uri);
    const int occurrence = seen[print]++;
    out << "{\"ruleId\": " << json_string(f.code) << ", \"level\": " << json_string(sarif_level(f.severity))
        << ", \"message\": {\"text\": " << json_string(text) << "}, \"locations\": [{\"physicalLocation\": "
        << "{\"artifactLocation\": {\"uri\": " << json_string(uri) << "}, \"region\": {\"startLine\": "
        << f.line.value_or(1) << "}}";
    if (!f.file_level()) {
      const std::string name = f.node ? *f.node : "#" + std::to_string(*f.index);
      out << ", \"logicalLocations\": [{\"name\": " << json_string(name) << ", \"kind\": \"function\"}]";
    }
    out << "}], \"partialFingerprints\": {\"bbFinding/v1\": "
        << json_string(print + (occurrence > 0 ? ":" + std::to_string(occurrence) : std::string())) << "}}";
  }
  out << (first ? "" : "\n    ") << "]\n  }]\n}\n";
}

}  // namespace bb::compiler
