// The gate insertion shared by the five gate passes (docs/compiler.md). Each pass file names
// its gate; this does the work through the shared WireIndex: it visits the wire ops and
// their neighbours, rewires the consumers the index records (rx), and rebuilds each
// node list once. In the main graph of a fresh compile the gates are recorded in the
// index instead of inserted as nodes (BodyIndex::can_record, gate_records.h); the
// writer emits their bytes.
#pragma once

#include <cstdint>

#include <onnx/onnx_pb.h>

#include "bb/compiler/gate_contracts.h"
#include "wire_index.h"

namespace bb::compiler {

// Inserts `gate` for every Send (tx gates) or Recv (rx gates) of every graph of the
// indexed model that does not carry the gate's stamp yet; stamps them; imports the
// syscall domain into the model or function that received gates. New nodes go on the
// model's arena (none for a model on the heap). Keeps `index` valid.
//
// `budget`: the bytes the gates may still add to the output. Each gate takes at least
// the bytes of its names (node, inputs, outputs); when the budget runs out the insertion
// stops half-way and returns false (the model is then not to be written).
//
// `rx_renames_may_wait`: an rx gate's rewiring of the Recvs' readers may wait for the
// next rx gate pass (BodyIndex::rename_recorded), which the caller is sure comes next
// with nothing looking at the graph before it (PassContext::rx_renames_may_wait).
bool insert_gate(onnx::ModelProto& model, WireIndex& index, Gate gate, std::uint64_t& budget,
                 bool rx_renames_may_wait = false);

}  // namespace bb::compiler
