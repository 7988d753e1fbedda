// verify-gates: the gate contracts of SPEC §4.4, per node, for the gates whose
// insertion passes ran. The checker is the one that gives BB012–BB014 on compiled
// input; here a violation is a bug in bbc (exit 3).
#include <string>

#include "bb/compiler/gate_contracts.h"
#include "passes.h"

namespace bb::compiler {
namespace {

class VerifyGatesPass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    DiagnosticEngine found(context.diags.file());
    check_gate_contracts(context.model, context.gates, found);
    if (found.findings().empty()) return PassStatus::ok();
    std::string message = "the gate passes left a contract violated:";
    for (const auto& f : found.findings()) message += "\n  " + format_text(f);
    return PassStatus::internal(std::move(message));
  }
};

}  // namespace

std::unique_ptr<Pass> create_verify_gates_pass() { return std::make_unique<VerifyGatesPass>(); }

}  // namespace bb::compiler
