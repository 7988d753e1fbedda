// The passport digest of a binary model file, read from the file's bytes as they are.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bb::runtime {

// ir::graph_digest() hashes the deterministic serialization of the model's `graph` and
// `functions` fields, each with its tag and length. A file written by a deterministic
// serializer (bbc writes that way) holds exactly those bytes, so hashing them straight
// from the file gives the same digest without serializing the parsed graph again. This
// returns that hash (graph first, then the functions in file order), or nullopt when
// the top level of `bytes` is not protobuf or holds `graph` more than once. A digest
// that differs says only that the file is not in that form: the loader then falls back
// to ir::graph_digest() of the parsed model, so the check means the same either way.
std::optional<std::string> file_graph_digest(std::string_view bytes);

}  // namespace bb::runtime
