#include "bb/compiler/lint.h"

#include <algorithm>
#include <filesystem>
#include <ostream>

#include <google/protobuf/arena.h>

#include "bb/compiler/validate.h"
#include "bb/ir/escape.h"
#include "bb/ir/model_io.h"

namespace bb::compiler {
namespace {

// Whether `path`, after its symlinks, leads out of the folder it names it from: lint
// runs on what a pull request brings, and a symlink `graph.onnxtxt -> /etc/shadow`
// would feed any file of the machine to the parser (and to its error messages).
bool leaves_its_folder(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path given = fs::absolute(path, ec);
  if (ec) return false;
  const fs::path folder = fs::canonical(given.parent_path(), ec);
  if (ec) return false;
  const fs::path target = fs::canonical(given, ec);
  if (ec) return false;  // missing: the load says so
  const auto [end, unused] = std::mismatch(folder.begin(), folder.end(), target.begin(), target.end());
  return end != folder.end();
}

}  // namespace

void lint_file(const std::string& path, const LintOptions& options, LintReport& report) {
  ++report.files;
  if (leaves_its_folder(path)) {
    report.io_errors.push_back(path + ": a symlink to a file outside its folder: not followed (lint the file it "
                                      "points to by its own path)");
    return;
  }
  // On an arena: lint only reads the model, and releasing an arena is one pass over a
  // few large blocks instead of a destructor per node and string.
  google::protobuf::Arena arena;
  auto model = ir::load_model(path, arena, options.limits.load());
  if (!model) {
    const auto kind = model.error().kind;
    if (kind == ir::IoError::Kind::kNotFound || kind == ir::IoError::Kind::kUnreadable) {
      report.io_errors.push_back(model.error().message);
      return;
    }
    DiagnosticEngine diags(path);
    diags.report(kBB001, without_path_prefix(model.error().message, path),
                 kind == ir::IoError::Kind::kTooLarge
                     ? "raise the limit with " + std::string(ir::kFlagMaxFileBytes)
                     : std::string("check that the file is an ONNX model (binary, or text for .onnxtxt)"));
    for (auto& f : diags.take()) report.findings.push_back(std::move(f));
    return;
  }
  DiagnosticEngine diags(path);
  if (auto within = ir::check_model_limits(**model, options.limits); !within) {
    diags.report(kBB001, ir::describe(within.error()), "the model is over a limit (docs/security.md lists them)");
    for (auto& f : diags.take()) report.findings.push_back(std::move(f));
    return;
  }
  validate_model(**model, ValidateOptions{options.pedantic, path, options.ops}, diags);
  for (auto& f : diags.take()) report.findings.push_back(std::move(f));
}

LintReport lint_files(const std::vector<std::string>& paths, const LintOptions& options) {
  LintReport report;
  for (const auto& path : paths) lint_file(path, options, report);
  sort_findings(report.findings);
  for (const auto& f : report.findings) {
    switch (f.severity) {
      case Severity::kError: ++report.errors; break;
      case Severity::kWarning: ++report.warnings; break;
      case Severity::kNote: ++report.notes; break;
    }
  }
  return report;
}

int lint_exit_code(const LintReport& report, const LintOptions& options) {
  if (!report.io_errors.empty()) return 2;
  if (report.errors > 0 || (options.werror && report.warnings > 0)) return 1;
  return 0;
}

std::string lint_summary(const LintReport& report) {
  return std::to_string(report.errors) + " errors, " + std::to_string(report.warnings) + " warnings in " +
         std::to_string(report.files) + " files";
}

void write_lint_text(const LintReport& report, std::ostream& out) {
  for (const auto& e : report.io_errors) out << ir::escape_text(e) << '\n';
  for (const auto& f : report.findings) out << format_text(f) << '\n';
  out << lint_summary(report) << '\n';
}

}  // namespace bb::compiler
