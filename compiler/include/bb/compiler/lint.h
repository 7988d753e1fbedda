// `bbc lint`: the validation of `bbc compile` over several files, every finding
// collected, sorted by file then node index, printed as text, JSON or SARIF 2.1.0
// (docs/diagnostics.md, docs/compiler.md, docs/spec.md). Lint never writes files.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <google/protobuf/arena.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/op_manifest.h"
#include "bb/ir/limits.h"

namespace bb::compiler {

enum class LintFormat { kText, kJson, kSarif };

struct LintOptions {
  LintFormat format = LintFormat::kText;
  bool werror = false;    // warnings fail the run
  bool pedantic = false;  // report BB030
  bool together = false;  // --together: the graphs are one deployment, checked against each other (BB032, BB033)
  ir::ModelLimits limits;  // a file over them is BB001
  const OpManifest* ops = nullptr;  // --ops FILE (or null)
  // The arena the models are parsed into, never released by lint (bbc passes one it never
  // frees when it lints one file, as compile does: releasing 1M nodes' strings costs a
  // tenth of the lint, and the process exits after the report). Null: each file on an
  // arena of its own, released after it.
  google::protobuf::Arena* arena = nullptr;
};

struct LintReport {
  std::vector<Finding> findings;     // sorted
  std::vector<std::string> io_errors;  // files that could not be read (usage/IO: exit 2)
  std::vector<std::string> unreadable;  // their paths, in the same order
  std::size_t files = 0;
  std::size_t errors = 0, warnings = 0, notes = 0;
};

// Sets each main-graph finding's `line` to its node's line in the ONNX text at `path`
// (the statement that produces its first output; output-less ones in order).
void locate_text_lines(const std::string& path, const onnx::ModelProto& model, std::vector<Finding>& findings);

// Lints one file and appends its findings (or its I/O error) to `report`.
void lint_file(const std::string& path, const LintOptions& options, LintReport& report);
// Lints every file; findings sorted.
LintReport lint_files(const std::vector<std::string>& paths, const LintOptions& options);

// 0 no errors (and no warnings with --werror); 1 errors; 2 an I/O error (wins over 1).
int lint_exit_code(const LintReport& report, const LintOptions& options);

// `N errors, M warnings in K files`, singular for one ("1 error, 0 warnings in 1 file")
std::string lint_summary(const LintReport& report);

// Appendix A formats.
void write_lint_json(const LintReport& report, std::ostream& out);
void write_lint_sarif(const LintReport& report, std::ostream& out);
// Text findings, one per line, then the summary line.
void write_lint_text(const LintReport& report, std::ostream& out);

}  // namespace bb::compiler
