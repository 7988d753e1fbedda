// `bbc inspect`: op counts per domain, one line per Send with its gate chain and
// destination peers (text form), then the passport keys.
#pragma once

#include <iosfwd>

#include <onnx/onnx_pb.h>

namespace bb::compiler {

void inspect_model(const onnx::ModelProto& model, std::ostream& out);

}  // namespace bb::compiler
