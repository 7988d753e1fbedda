// validate: every rule of docs/diagnostics.md through the shared validator (the same code
// `bbc lint` runs). All findings are reported; any error stops the pipeline.
#include "bb/compiler/validate.h"

#include "passes.h"
#include "verbatim.h"
#include "wire_scan.h"

namespace bb::compiler {
namespace {

class ValidatePass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    const std::size_t before = context.diags.findings().size();
    // A compiled input's skipped gates are inserted by this compile, not findings. The
    // walk also scans the main graph for the first gate pass's index (wire_scan.h).
    WireScan scan;
    const ValidateOptions options{false, context.path, context.ops, /*every_gate=*/false};
    bool scanned = false;
    if (context.verbatim != nullptr) {
      // The main graph's nodes are bytes (verbatim.h): walked as they are when the walk
      // holds, else parsed, and the model validated whole.
      DiagnosticEngine found(context.diags.file());
      scanned = validate_verbatim(context.model, *context.verbatim, options, found, scan);
      if (scanned) {
        for (auto& f : found.take()) context.diags.add(std::move(f));
      } else {
        const bool parsed = context.verbatim->parse_whole(context.model, context.diags, context.path);
        context.verbatim = nullptr;
        if (!parsed) return PassStatus::input_errors();
      }
    }
    if (context.verbatim == nullptr) scanned = validate_and_scan(context.model, options, context.diags, scan);
    bool errors = false;
    UnorderedScopes unordered;  // canonicalize sorts the graphs whose order is not topological
    const auto& findings = context.diags.findings();
    for (std::size_t k = before; k < findings.size(); ++k) {
      errors = errors || findings[k].severity == Severity::kError;
      if (findings[k].code == kBB016) unordered.scopes.push_back(findings[k].scope);
    }
    context.analyses.put<UnorderedScopes>(std::move(unordered));
    if (scanned) context.analyses.put<WireScan>(std::move(scan));
    context.analyses.preserve_all();  // it only reads
    return errors ? PassStatus::input_errors() : PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_validate_pass(const PassInfo&) { return std::make_unique<ValidatePass>(); }

}  // namespace bb::compiler
