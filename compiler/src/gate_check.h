// The gate contract checker of bb/compiler/gate_contracts.h over an index that already
// exists: verify-gates passes the one the gate passes kept valid.
#pragma once

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/gate_contracts.h"
#include "wire_index.h"

namespace bb::compiler {

void check_gate_contracts(WireIndex& index, GateSet required, DiagnosticEngine& diags);

}  // namespace bb::compiler
