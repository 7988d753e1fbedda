// The passport a compiled model carries (SPEC §3, Appendix A) and its graph digest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace bb::ir {

// graph_sha256: lowercase hex SHA-256 of the deterministic serialization of a ModelProto
// that holds only the model's `graph` and `functions`.
std::string graph_digest(const onnx::ModelProto& model);

// The deterministic bytes of `graph` and `functions` as they appear inside a ModelProto
// (fields 7 and 25). Their SHA-256 is the digest; a writer may reuse them.
std::string graph_and_functions_bytes(const onnx::ModelProto& model);

struct Passport {
  std::string compiled;             // "v1"
  std::string compiler;             // "bbc <version>"
  std::vector<std::string> passes;  // in the order they ran
  std::string digest;               // graph_sha256
  bool ran(std::string_view pass) const;
};

// The passport when the model carries the `compiled` key (whatever else is missing).
std::optional<Passport> read_passport(const onnx::ModelProto& model);
// Writes all four keys, overwriting existing ones.
void write_passport(onnx::ModelProto& model, const Passport& passport);

}  // namespace bb::ir
