// insert-<gate>: the five gate passes are one pass parameterised by a row of the gate
// catalogue (bb/ir/gates.h). For every Send (tx gates) or Recv (rx gates) without the
// gate's stamp it inserts the gate at its place in the chain (docs/compiler.md, "Gate
// insertion"); the matching, naming, placement, rewiring and stamping are in
// gate_insertion.cc. It keeps the WireIndex valid as it inserts.
#include "gate_insertion.h"
#include "passes.h"

namespace bb::compiler {
namespace {

class InsertGatePass final : public Pass {
 public:
  explicit InsertGatePass(Gate gate) : gate_(gate) {}

  PassStatus run(PassContext& context) override {
    insert_gate(context.model, context.analysis<WireIndex>(), gate_);
    context.analyses.preserve<WireIndex>();
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
