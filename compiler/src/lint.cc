#include "bb/compiler/lint.h"

#include <limits>
#include <ostream>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>

#include "bb/compiler/validate.h"
#include "bb/ir/model_io.h"

namespace bb::compiler {

namespace {

// A binary model is parsed into an arena: lint only reads it, and releasing an arena is
// one pass over a few large blocks instead of a destructor per node and string.
Expected<onnx::ModelProto*, ir::IoError> load(const std::string& path, google::protobuf::Arena& arena) {
  if (ir::format_for_path(path) == ir::ModelFormat::kText) {
    auto model = ir::load_model(path);
    if (!model) return unexpected(std::move(model.error()));
    auto* out = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
    out->Swap(&*model);
    return out;
  }
  const ir::LoadLimits limits;
  auto bytes = ir::read_file(path, limits.max_file_bytes);
  if (!bytes) return unexpected(std::move(bytes.error()));
  if (bytes->size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return unexpected(ir::IoError{ir::IoError::Kind::kTooLarge, path + ": over 2 GiB: protobuf cannot parse it"});
  auto* model = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes->data()),
                                               static_cast<int>(bytes->size()));
  input.SetRecursionLimit(limits.max_recursion_depth);
  if (!model->MergePartialFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    return unexpected(ir::IoError{ir::IoError::Kind::kParse,
                                  path + ": not a binary ONNX model: protobuf parsing failed near byte " +
                                      std::to_string(input.CurrentPosition()) + " of " +
                                      std::to_string(bytes->size())});
  }
  return model;
}

}  // namespace

void lint_file(const std::string& path, const LintOptions& options, LintReport& report) {
  ++report.files;
  google::protobuf::Arena arena;
  auto model = load(path, arena);
  if (!model) {
    const auto kind = model.error().kind;
    if (kind == ir::IoError::Kind::kNotFound || kind == ir::IoError::Kind::kUnreadable) {
      report.io_errors.push_back(model.error().message);
      return;
    }
    DiagnosticEngine diags(path);
    diags.report(kBB001, without_path_prefix(model.error().message, path), "check that the file is an ONNX model (binary, or text for .onnxtxt)");
    for (auto& f : diags.take()) report.findings.push_back(std::move(f));
    return;
  }
  DiagnosticEngine diags(path);
  validate_model(**model, ValidateOptions{options.pedantic, path}, diags);
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
  for (const auto& e : report.io_errors) out << e << '\n';
  for (const auto& f : report.findings) out << format_text(f) << '\n';
  out << lint_summary(report) << '\n';
}

}  // namespace bb::compiler
