// bb's own text dump of a model (for --print-after and the golden tests): one line per
// node with its index, domain, op type, name, inputs, outputs and attributes; peers in
// text form; then the opset imports and metadata. Deterministic.
#pragma once

#include <iosfwd>
#include <string>

#include <onnx/onnx_pb.h>

namespace bb::compiler {

void dump_model(const onnx::ModelProto& model, std::ostream& out);
std::string dump_model(const onnx::ModelProto& model);

}  // namespace bb::compiler
