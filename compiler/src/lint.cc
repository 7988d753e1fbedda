#include "bb/compiler/lint.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string_view>

#include <absl/container/flat_hash_map.h>

#include <google/protobuf/arena.h>

#include "bb/compiler/validate.h"
#include "bb/ir/escape.h"
#include "deployment_lint.h"
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


// A node statement of the ONNX text syntax: `outs = domain.Op<…>(…)` or `= domain.Op(…)`,
// starting its line. Returns its outputs ("" for none); nullopt for any other line.
std::optional<std::string_view> statement_outputs(std::string_view line) {
  const auto eq = line.find('=');
  if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] == '>') return std::nullopt;
  std::string_view outs = line.substr(0, eq);
  for (const char c : outs)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ',' || c == ' ' || c == '\t' || c == '.' ||
          c == '/' || c == ':' || c == '-'))
      return std::nullopt;
  std::string_view rest = line.substr(eq + 1);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (rest.empty() || !(std::isalpha(static_cast<unsigned char>(rest.front())) || rest.front() == '_'))
    return std::nullopt;  // an attribute's value (`= 5`, `= "x"`), not an op
  while (!outs.empty() && (outs.front() == ' ' || outs.front() == '\t')) outs.remove_prefix(1);
  while (!outs.empty() && (outs.back() == ' ' || outs.back() == '\t')) outs.remove_suffix(1);
  return outs;
}

}  // namespace

void locate_text_lines(const std::string& path, const onnx::ModelProto& model, std::vector<Finding>& findings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  // Each statement's line, by first output; output-less statements in order.
  absl::flat_hash_map<std::string, int> by_output;
  std::vector<int> without_outputs;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto outs = statement_outputs(line);
    if (!outs) continue;
    if (outs->empty()) {
      without_outputs.push_back(number);
      continue;
    }
    const auto comma = outs->find(',');
    std::string_view first = outs->substr(0, comma);
    while (!first.empty() && (first.back() == ' ' || first.back() == '\t')) first.remove_suffix(1);
    by_output.try_emplace(std::string(first), number);
  }
  const auto& nodes = model.graph().node();
  std::vector<int> outputless_rank(static_cast<std::size_t>(nodes.size()), -1);
  int rank = 0;
  for (int i = 0; i < nodes.size(); ++i)
    if (nodes.Get(i).output_size() == 0 || nodes.Get(i).output(0).empty()) outputless_rank[static_cast<std::size_t>(i)] = rank++;
  for (auto& f : findings) {
    if (f.scope != 0 || !f.index || *f.index < 0 || *f.index >= nodes.size()) continue;
    const auto& node = nodes.Get(*f.index);
    const int k = outputless_rank[static_cast<std::size_t>(*f.index)];
    if (k >= 0) {
      if (k < static_cast<int>(without_outputs.size())) f.line = without_outputs[static_cast<std::size_t>(k)];
    } else if (auto it = by_output.find(node.output(0)); it != by_output.end()) {
      f.line = it->second;
    }
  }
}

namespace {

// Lints one file into `report`; when the model loaded, its wire ops if `wire` asks for
// them, else none (only a deployment or --together checks programs against each other,
// and a walk copying 150k Sends and Recvs is not free on a large graph).
std::optional<ProgramWire> lint_one(const std::string& path, const LintOptions& options, LintReport& report,
                                    bool wire) {
  if (leaves_its_folder(path)) {
    report.io_errors.push_back(path + ": a symlink to a file outside its folder: not followed (lint the file it "
                                      "points to by its own path)");
    report.unreadable.push_back(path);
    return std::nullopt;  // not linted: not counted in the summary's files
  }
  // On an arena: lint only reads the model, and releasing an arena is one pass over a
  // few large blocks instead of a destructor per node and string (none with the
  // caller's arena).
  std::optional<google::protobuf::Arena> own;
  google::protobuf::Arena& arena = options.arena != nullptr ? *options.arena : own.emplace();
  auto model = ir::load_model(path, arena, options.limits.load());
  if (!model) {
    const auto kind = model.error().kind;
    if (kind == ir::IoError::Kind::kNotFound || kind == ir::IoError::Kind::kUnreadable) {
      report.io_errors.push_back(model.error().message);
      report.unreadable.push_back(path);
      return std::nullopt;  // not linted: not counted in the summary's files
    }
    ++report.files;
    DiagnosticEngine diags(path);
    report_load_error(diags, model.error(), path);
    for (auto& f : diags.take()) report.findings.push_back(std::move(f));
    return std::nullopt;
  }
  ++report.files;
  DiagnosticEngine diags(path);
  if (auto within = ir::check_model_limits(**model, options.limits); !within) {
    report_limit_error(diags, within.error());
    for (auto& f : diags.take()) report.findings.push_back(std::move(f));
    return std::nullopt;
  }
  validate_model(**model, ValidateOptions{options.pedantic, path, options.ops}, diags);
  auto findings = diags.take();
  if (path.ends_with(".onnxtxt")) locate_text_lines(path, **model, findings);
  for (auto& f : findings) report.findings.push_back(std::move(f));
  if (!(**model).has_graph()) return std::nullopt;
  if (!wire) return ProgramWire{path, {}, {}, {}};
  return collect_wire(**model, path);
}

}  // namespace

void lint_file(const std::string& path, const LintOptions& options, LintReport& report) {
  lint_one(path, options, report, /*wire=*/false);
}

LintReport lint_files(const std::vector<std::string>& paths, const LintOptions& options) {
  LintReport report;
  std::vector<ProgramWire> programs;
  bool deployment = false;
  const bool across =
      options.together || std::any_of(paths.begin(), paths.end(), [](const std::string& p) { return p.ends_with(".toml"); });
  auto add = [&](const std::string& graph, const std::string* peer) {
    auto known = std::find_if(programs.begin(), programs.end(), [&](const ProgramWire& p) { return p.file == graph; });
    if (known == programs.end()) {
      auto wire = lint_one(graph, options, report, across);
      if (!wire) return;
      programs.push_back(std::move(*wire));
      known = programs.end() - 1;
    }
    if (peer != nullptr) known->peers.push_back(*peer);
  };
  for (const auto& path : paths) {
    if (!path.ends_with(".toml")) {
      add(path, nullptr);
      continue;
    }
    // A deployment file: its graphs, each with the peers that run it.
    auto entries = read_deployment(path);
    if (!entries) {
      report.io_errors.push_back(entries.error());
      report.unreadable.push_back(path);
      continue;
    }
    deployment = true;
    for (const auto& entry : *entries) add(entry.graph, &entry.peer);
  }
  if (deployment || options.together)
    for (auto& f : check_across(programs, deployment)) report.findings.push_back(std::move(f));
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

namespace {

// "1 error", "2 errors", "0 errors".
std::string count_of(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace

std::string lint_summary(const LintReport& report) {
  return count_of(report.errors, "error") + ", " + count_of(report.warnings, "warning") + " in " +
         count_of(report.files, "file");
}

void write_lint_text(const LintReport& report, std::ostream& out) {
  for (const auto& e : report.io_errors) out << ir::escape_text(e) << '\n';
  for (const auto& f : report.findings) out << format_text(f) << '\n';
  out << lint_summary(report) << '\n';
}

}  // namespace bb::compiler
