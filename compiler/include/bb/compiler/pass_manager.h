// Runs the registered passes in canonical order (docs/compiler.md, "Pass manager"). What
// happens around a pass — --time-passes[=json], --print-after, --verify-each (always on in
// debug builds) — is a PassInstrumentation, as in MLIR: the manager itself only skips,
// checks the properties a pass requires, runs it and drops the analyses it did not keep.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bb/compiler/pass.h"
#include "bb/ir/expected.h"

namespace bb::compiler {

enum class TimeFormat { kNone, kText, kJson };

struct PassOptions {
  std::vector<std::string> skip;
  std::optional<std::string> print_after;  // a pass name or "all"
  TimeFormat time = TimeFormat::kNone;
  bool verify_each = false;
  // `--ops FILE`: the op manifest validate checks custom-domain ops against (or null).
  const OpManifest* ops = nullptr;
  // `--max-output-bytes`: the largest compiled model written (BB021).
  std::uint64_t max_output_bytes = kDefaultMaxOutputBytes;
  // Whether the model holds its gate nodes after compile_model(_to_file) returns. The
  // gate passes of a fresh compile record the main graph's gates, and the writer emits
  // their bytes (docs/compiler.md, "Gate records"); building them as nodes afterwards
  // costs what the records saved. The output bytes are the same either way: bbc, which
  // exits after the write, says false.
  bool model_keeps_gates = true;
  // The main graph's nodes as bytes, from load_verbatim (compile.h), or null.
  VerbatimNodes* verbatim = nullptr;
};

// Checks --skip and --print-after names. The error is a usage message that lists the
// valid names.
Expected<void, std::string> check_pass_options(const PassOptions& options);

// Hooks around every pass. before_pass hooks run in the order the instrumentations were
// added, after hooks in the reverse order (the last added sits closest to the pass).
class PassInstrumentation {
 public:
  virtual ~PassInstrumentation() = default;
  virtual void before_pipeline() {}
  virtual void before_pass(const PassInfo& /*pass*/, PassContext& /*context*/) {}
  // After a pass that succeeded; a status other than ok stops the pipeline with it.
  virtual PassStatus after_pass(const PassInfo& /*pass*/, PassContext& /*context*/) { return PassStatus::ok(); }
  virtual void after_failed_pass(const PassInfo& /*pass*/, PassContext& /*context*/) {}
  virtual void after_pipeline() {}
};

// The instrumentations behind the options, for callers that assemble their own.
std::unique_ptr<PassInstrumentation> make_timing(TimeFormat format, std::ostream& log);
std::unique_ptr<PassInstrumentation> make_ir_printer(std::string pass_or_all, std::ostream& log);
std::unique_ptr<PassInstrumentation> make_verifier();

class PassManager {
 public:
  // Adds the instrumentations `options` ask for; `log` receives the --print-after dumps and
  // the --time-passes report (stderr in bbc).
  PassManager(PassOptions options, std::ostream& log);
  void add_instrumentation(std::unique_ptr<PassInstrumentation> instrumentation);
  PassStatus run(PassContext& context);
  // Whether something besides the passes looks at the graph between them (--print-after,
  // --verify-each, an instrumentation added by the caller): it needs every node parsed.
  bool shows_graph() const { return options_.verify_each || options_.print_after.has_value() || added_; }

 private:
  PassStatus run_pass(const PassInfo& info, PassContext& context);

  PassOptions options_;
  std::vector<std::unique_ptr<PassInstrumentation>> instrumentations_;
  bool added_ = false;  // add_instrumentation was called
};

}  // namespace bb::compiler
