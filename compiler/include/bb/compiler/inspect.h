// `bbc inspect`: op counts per domain, one line per Send with its gate chain and
// destination peers (text form), then the passport keys; or (--format dot) the program
// drawn as a Graphviz digraph.
#pragma once

#include <iosfwd>

#include <onnx/onnx_pb.h>

namespace bb::compiler {

void inspect_model(const onnx::ModelProto& model, std::ostream& out);

// Graphviz DOT: one cluster per graph, subgraph and function; ops as boxes, values as
// labelled edges; each Send and Recv boxed with the gates inserted for it (dashed
// cluster), labelled with its peer (or peer list) and channel. Deterministic.
void write_dot(const onnx::ModelProto& model, std::ostream& out);

}  // namespace bb::compiler
