// The gate insertion shared by the five gate passes (SPEC §4.2). Each pass file names
// its gate; this does the work, linear in graph size: one scan to plan, one rewrite of
// the consumers (rx), one rebuild of each node list.
#pragma once

#include <onnx/onnx_pb.h>

#include "bb/compiler/gate_contracts.h"

namespace bb::compiler {

// Inserts `gate` for every Send (tx gates) or Recv (rx gates) of every graph of the
// model that does not carry the gate's stamp yet; stamps them.
void insert_gate(onnx::ModelProto& model, Gate gate);

}  // namespace bb::compiler
