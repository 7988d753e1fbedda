// The one place where runtime tensors meet onnx::TensorProto: initializers, Constant
// attributes, --input/--inputs files, --outputs files and envelope payloads.
//
// from_proto checks everything a file or a peer could get wrong before it allocates:
// a known and supported element type, non-negative dims, an element count within the
// limit, data in exactly one field whose length matches the dims, no external data.
// to_proto writes raw_data (little-endian, as ONNX does) for numeric types and
// string_data for strings, so the same tensor always gives the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"
#include "bb/runtime/tensor.h"

namespace bb::runtime {

// A sentence saying what is wrong ("tensor declares 6 elements but raw_data holds 8
// bytes"); the caller names the file, node or envelope.
Expected<Tensor, std::string> from_proto(const onnx::TensorProto& proto,
                                         std::int64_t max_elements = std::int64_t{1} << 31);
void to_proto(const Tensor& tensor, onnx::TensorProto& out);
onnx::TensorProto to_proto(const Tensor& tensor);

// A file holding one serialized TensorProto (bbrun --input, a deployment's node
// inputs), read within `max_bytes` and checked by from_proto. The error is a sentence
// without the file's name ("not a serialized onnx.TensorProto"); the caller names it.
// `name`, when given, receives the TensorProto's name ("" when it carries none).
Expected<Tensor, std::string> read_tensor_file(const std::filesystem::path& path,
                                               std::uint64_t max_bytes = std::uint64_t{1} << 31,
                                               std::string* name = nullptr);

}  // namespace bb::runtime
