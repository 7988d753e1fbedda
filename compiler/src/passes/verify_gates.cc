// verify-gates: the gate contracts of docs/compiler.md, per node, for the gates whose
// insertion passes ran. The checker is the one that gives BB012–BB014 on compiled
// input; here a violation is a bug in bbc (exit 3). It reads the WireIndex the gate
// passes kept, so it visits the wire ops and their chains, not every node;
// --verify-each (and lint on the output) check the same contracts from a fresh index.
#include <string>

#include "gate_check.h"
#include "passes.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

class VerifyGatesPass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    DiagnosticEngine found(context.diags.file());
    check_gate_contracts(context.analysis<WireIndex>(), context.gates, found);
    context.analyses.preserve_all();  // it only reads
    if (found.findings().empty()) return PassStatus::ok();
    std::string message = "the gate passes left a contract violated:";
    for (const auto& f : found.findings()) message += "\n  " + format_text(f);
    return PassStatus::internal(std::move(message));
  }
};

}  // namespace

std::unique_ptr<Pass> create_verify_gates_pass(const PassInfo&) { return std::make_unique<VerifyGatesPass>(); }

}  // namespace bb::compiler
