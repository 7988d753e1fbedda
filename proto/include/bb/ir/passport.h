// The passport a compiled model carries and its graph digest (docs/spec.md, "Passport").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace bb::ir {

// The layout the digest is defined over: the fields of onnx.ModelProto that hold the graph
// and the model-local functions.
inline constexpr int kModelGraphField = 7;       // onnx.ModelProto.graph
inline constexpr int kModelFunctionsField = 25;  // onnx.ModelProto.functions (repeated)
// Within the graph, its nodes (what the loaders that take a graph apart locate).
inline constexpr int kGraphNodeField = 1;  // onnx.GraphProto.node (repeated)

// graph_sha256: the lowercase hex SHA-256 of the `graph` field (tag, length, deterministic
// bytes) followed by the `functions` fields, as they appear in the deterministic
// serialization of the model — that is, of a ModelProto holding only the two. Every
// digest of bb is this one: of a model (graph_digest), of a file's bytes
// (file_graph_digest), and of the bytes the compiler writes (the SHA-256 of exactly those
// regions, hashed on the way).
std::string graph_digest(const onnx::ModelProto& model);

// The deterministic bytes of `graph` and `functions` as they appear inside a ModelProto.
// Their SHA-256 is the digest; a writer may reuse them.
std::string graph_and_functions_bytes(const onnx::ModelProto& model);

// The digest of a serialized model's bytes, read where they are (no parse): nullopt when
// the bytes are not a well-formed message or hold the graph twice (protobuf would merge
// the two). Equal to graph_digest of the parsed model when the file was written
// deterministically (bbc writes that way); a digest that differs says only that the file
// is not in that form, so a caller falls back to graph_digest of the parsed model.
std::optional<std::string> file_graph_digest(std::string_view bytes);

// Where a serialized model's `graph` field and `functions` fields are (each its tag,
// length and body, in file order): the bytes its digest hashes. nullopt when the bytes
// are not a well-formed message or hold the graph twice (protobuf would merge the two);
// `graph` is empty when the model has none.
struct ModelLayout {
  std::string_view graph;
  std::size_t graph_body = 0;  // where the graph's body starts in `graph`
  std::vector<std::string_view> functions;
};
std::optional<ModelLayout> model_layout(std::string_view bytes);

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
