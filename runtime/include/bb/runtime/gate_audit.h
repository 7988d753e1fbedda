// The gate chains of a compiled model, as its structure has them (not as its passport's
// pass list says): bbrun warns at load about every Send or Recv that is not behind its
// full chain — a model compiled with `--skip`, or a file edited and re-stamped by hand,
// runs with wire ops the framework state never sees.
#pragma once

#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace bb::runtime {

// One sentence per Send (with a destination) or Recv of the main graph and of the
// model's functions that lacks a gate of its chain, in node order: "Send 'send0' is
// not behind its full gate chain (no PeerHealthGateTx before it)". Empty when every
// wire op is gated.
std::vector<std::string> ungated_wire_ops(const onnx::ModelProto& model);

}  // namespace bb::runtime
