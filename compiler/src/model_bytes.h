// The compiled model's bytes, serialized once. A ModelProto's deterministic bytes are
// its fields' encodings in field order, and the passport digest covers `graph` (7) and
// `functions` (25) (SPEC Appendix A). stamp-passport serializes the head of the output —
// the fields before `graph`, then `graph` — and the functions, hashes the graph and
// functions regions, and the writer appends the fields after `graph` (the passport
// among them) and the functions: the big graph is serialized once, sized once, copied
// never.
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "bb/compiler/pass.h"

namespace bb::compiler {

// The head of `model`'s bytes and its functions' bytes, with room reserved for the rest.
OutputBytes serialize_head(onnx::ModelProto& model);

// The lowercase hex SHA-256 of the graph and functions regions: graph_sha256.
std::string digest_of(const OutputBytes& bytes);

// The whole model's bytes: `bytes.head`, the fields after `graph`, the functions. Equal
// to a deterministic serialization of `model`, provided nothing before `graph` changed
// since serialize_head.
std::string finish_output(onnx::ModelProto& model, OutputBytes bytes);

}  // namespace bb::compiler
