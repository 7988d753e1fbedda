#include "bb/compiler/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"

namespace bb::compiler {

std::string format_text(const Finding& f) {
  using ir::escape_text;
  std::string out = escape_text(f.file);
  out += ": ";
  if (!f.file_level()) {
    const std::string op = escape_text(f.op_type.value_or(""), 256);
    if (f.node) {
      out += "node '" + escape_text(*f.node, 256) + "' (" + op + " #" + std::to_string(*f.index) + "): ";
    } else {
      out += "node #" + std::to_string(*f.index) + " (" + op + "): ";
    }
  }
  out.append(to_string(f.severity)).append(" ").append(f.code).append(": ").append(escape_text(f.message));
  if (!f.hint.empty()) out += " [hint: " + escape_text(f.hint) + "]";
  return out;
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    const int ai = a.index.value_or(-1), bi = b.index.value_or(-1);
    const int as = a.file_level() ? -1 : a.scope, bs = b.file_level() ? -1 : b.scope;
    return std::tie(a.file, as, ai, a.code) < std::tie(b.file, bs, bi, b.code);
  });
}

Finding& DiagnosticEngine::report(std::string_view code, std::string message, std::string hint) {
  Finding f;
  f.code = std::string(code);
  const auto* info = find_code(code);
  f.severity = info != nullptr ? info->severity : Severity::kError;
  f.message = std::move(message);
  f.file = file_;
  f.hint = std::move(hint);
  findings_.push_back(std::move(f));
  return findings_.back();
}

Finding& DiagnosticEngine::report(std::string_view code, const NodeLocation& at, std::string message,
                                  std::string hint) {
  Finding& f = report(code, std::move(message), std::move(hint));
  if (at.node != nullptr) {
    if (!at.node->name().empty()) f.node = at.node->name();
    f.op_type = at.node->op_type();
  }
  f.index = at.index;
  f.scope = at.scope;
  return f;
}

void DiagnosticEngine::add(Finding finding) { findings_.push_back(std::move(finding)); }

std::size_t DiagnosticEngine::count(Severity severity) const {
  return static_cast<std::size_t>(
      std::count_if(findings_.begin(), findings_.end(), [&](const Finding& f) { return f.severity == severity; }));
}

std::string without_path_prefix(std::string_view message, std::string_view path) {
  if (message.size() > path.size() + 2 && message.substr(0, path.size()) == path &&
      message.substr(path.size(), 2) == ": ")
    message.remove_prefix(path.size() + 2);
  return std::string(message);
}

void report_load_error(DiagnosticEngine& diags, const ir::IoError& error, std::string_view path) {
  diags.report(kBB001, without_path_prefix(error.message, path),
               error.kind == ir::IoError::Kind::kTooLarge
                   ? "raise the limit with " + std::string(ir::kFlagMaxFileBytes)
                   : std::string("check that the file is an ONNX model (binary, or text for .onnxtxt)"));
}

void report_limit_error(DiagnosticEngine& diags, const ir::LimitError& error) {
  diags.report(kBB001, ir::describe(error), "the model is over a limit (docs/security.md lists them)");
}

}  // namespace bb::compiler
