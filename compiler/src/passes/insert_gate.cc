// insert-<gate>: the five gate passes are one pass parameterised by a row of the gate
// catalogue (bb/ir/gates.h). For every Send (tx gates) or Recv (rx gates) without the
// gate's stamp it inserts the gate at its place in the chain (docs/compiler.md, "Gate
// insertion"); the matching, naming, placement, rewiring and stamping are in
// gate_insertion.cc. It keeps the WireIndex valid as it inserts.
#include <algorithm>
#include <string>

#include "bb/compiler/codes.h"
#include "gate_insertion.h"
#include "passes.h"

namespace bb::compiler {
namespace {

// The bytes of names the gate passes added so far (their share of --max-output-bytes).
struct GateBytes {
  explicit GateBytes(PassContext&) {}
  std::uint64_t bytes = 0;
};

class InsertGatePass final : public Pass {
 public:
  explicit InsertGatePass(Gate gate) : gate_(gate) {}

  PassStatus run(PassContext& context) override {
    auto& added = context.analysis<GateBytes>();
    std::uint64_t budget = context.max_output_bytes - std::min(added.bytes, context.max_output_bytes);
    const std::uint64_t before = budget;
    const bool fits =
        insert_gate(context.model, context.analysis<WireIndex>(), gate_, budget, context.rx_renames_may_wait);
    added.bytes += before - budget;
    if (!fits) {
      context.diags.report(kBB021, "the gates alone would add more than " + std::to_string(context.max_output_bytes) +
                                       " bytes, the limit of the compiled model (raise it with " +
                                       std::string(kFlagMaxOutputBytes) + ")");
      return PassStatus::input_errors();
    }
    context.analyses.preserve<WireIndex>();
    context.analyses.preserve<GateBytes>();
    return PassStatus::ok();
  }

 private:
  Gate gate_;
};

}  // namespace

std::unique_ptr<Pass> create_insert_gate_pass(const PassInfo& info) {
  return std::make_unique<InsertGatePass>(*info.inserts);
}

}  // namespace bb::compiler
