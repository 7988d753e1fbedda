// insert-peer-health-gate-rx: PeerHealthGateRx after DedupGateRx (SPEC §4.2). The matching, naming,
// placement, rewiring and stamping are shared with the other gate passes in
// gate_insertion.cc; this pass names its gate.
#include "gate_insertion.h"
#include "passes.h"

namespace bb::compiler {
namespace {

class InsertPeerHealthGateRxPass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    insert_gate(context.model, index_of(context), Gate::kPeerHealthRx);
    return PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_insert_peer_health_gate_rx_pass() { return std::make_unique<InsertPeerHealthGateRxPass>(); }

}  // namespace bb::compiler
