// Runs the registered passes in canonical order with the instrumentation of SPEC §4.1:
// --skip, --print-after, --time-passes[=json], --verify-each (always on in debug builds).
#pragma once

#include <iosfwd>
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
};

// Checks --skip and --print-after names. The error is a usage message that lists the
// valid names.
Expected<void, std::string> check_pass_options(const PassOptions& options);

class PassManager {
 public:
  // `log` receives the --print-after dumps and the --time-passes report (stderr in bbc).
  PassManager(PassOptions options, std::ostream& log);
  PassStatus run(PassContext& context);

 private:
  PassStatus verify_after(const PassInfo& pass, PassContext& context);
  void report_times(const std::vector<std::pair<std::string_view, double>>& times, double total);

  PassOptions options_;
  std::ostream& log_;
};

}  // namespace bb::compiler
