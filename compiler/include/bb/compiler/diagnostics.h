// Findings are values: {code, severity, message, file, node, op_type, index, hint}.
// Every rule reports through one DiagnosticEngine; the text form follows the compiler
// convention of docs/compiler.md:
//   graph.onnx: node 'send0' (Send #12): error BB011: <message> [hint: <hint>]
// File-level findings omit the node part; unnamed nodes show `node #<index> (<op>)`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/codes.h"
#include "bb/ir/escape.h"

namespace bb::ir {
struct IoError;
struct LimitError;
}  // namespace bb::ir

namespace bb::compiler {

struct Finding {
  std::string code;
  Severity severity = Severity::kError;
  std::string message;
  std::string file;
  std::optional<std::string> node;     // the node's name; none for unnamed nodes and file-level findings
  std::optional<std::string> op_type;  // none for file-level findings
  std::optional<int> index;            // node index in its graph; none for file-level findings
  std::string hint;
  // 1-based line of the node in the source text (.onnxtxt, main graph), when lint found
  // it; none otherwise. SARIF's region; not part of the text form.
  std::optional<int> line;
  // Sort key among the graphs of one file: 0 the main graph, then subgraphs and
  // functions in the order they are visited. Not part of any output format.
  int scope = 0;

  bool file_level() const { return !index.has_value(); }
};

// `graph.onnx: node 'send0' (Send #12): error BB011: message [hint: hint]`, every part
// escaped (ir::escape_text): one line whatever the file's name or the node's.
std::string format_text(const Finding& finding);

// By file, then scope, then node index (file-level findings first), then code; stable.
void sort_findings(std::vector<Finding>& findings);

// Where a node-level finding points: its graph (scope) and index there.
struct NodeLocation {
  const onnx::NodeProto* node = nullptr;
  int index = 0;
  int scope = 0;
};

class DiagnosticEngine {
 public:
  explicit DiagnosticEngine(std::string file = {}) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // The severity comes from the code catalog.
  Finding& report(std::string_view code, std::string message, std::string hint = {});
  Finding& report(std::string_view code, const NodeLocation& at, std::string message, std::string hint = {});
  void add(Finding finding);

  const std::vector<Finding>& findings() const { return findings_; }
  std::vector<Finding> take() { return std::move(findings_); }

  std::size_t errors() const { return count(Severity::kError); }
  std::size_t warnings() const { return count(Severity::kWarning); }
  std::size_t notes() const { return count(Severity::kNote); }
  bool has_errors() const { return errors() > 0; }

 private:
  std::size_t count(Severity severity) const;

  std::string file_;
  std::vector<Finding> findings_;
};

// A value as it may appear in a message (bb/ir/escape.h).
using ir::printable;

// `message` without a leading `<path>: ` (I/O errors name the file; a finding already does).
std::string without_path_prefix(std::string_view message, std::string_view path);

// BB001 for a model file `path` that did not load (it does not parse, or is over
// --max-file-bytes), and for a loaded model over a limit of ir::ModelLimits.
void report_load_error(DiagnosticEngine& diags, const ir::IoError& error, std::string_view path);
void report_limit_error(DiagnosticEngine& diags, const ir::LimitError& error);

}  // namespace bb::compiler
