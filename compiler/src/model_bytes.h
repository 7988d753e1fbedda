// The compiled model's bytes, serialized once. A ModelProto's deterministic bytes are
// its fields' encodings in field order, and the passport digest covers `graph` (7) and
// `functions` (25) (docs/spec.md). stamp-passport serializes the head of the output —
// the fields before `graph`, then `graph` — and the functions, hashes the graph and
// functions regions, and the writer appends the fields after `graph` (the passport
// among them) and the functions: the big graph is serialized once, sized once, copied
// never.
//
// Written to a file, the head is not even kept: stamp-passport streams it through an
// OutputStream into the file's AtomicWriter, hashing the graph's bytes on the way, and
// the writer then streams the rest behind it (no buffer of the whole output).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/io/zero_copy_stream.h>
#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"

#include "bb/compiler/pass.h"
#include "bb/ir/atomic_writer.h"
#include "bb/ir/sha256.h"

namespace bb::compiler {

// Protobuf serialization into the file `path`, atomically (ir::AtomicWriter), through a
// buffer of its own, hashing the bytes of the regions marked with set_hashing. The
// temporary file is created with the first bytes that leave the buffer (so a compile
// that stops or is killed before stamp-passport leaves nothing), and removed unless
// commit() succeeds.
class OutputStream final : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  explicit OutputStream(std::filesystem::path path);

  bool Next(void** data, int* size) override;
  void BackUp(int count) override;
  std::int64_t ByteCount() const override { return static_cast<std::int64_t>(flushed_ + used_); }

  // Appends bytes (no CodedOutputStream may be open on this stream).
  void append(std::string_view bytes);
  // From here on the bytes are (not) hashed (no CodedOutputStream may be open).
  void set_hashing(bool on);
  Sha256& hasher() { return hasher_; }
  // Hands the buffered bytes to the writer; the writer's first error, if any.
  Expected<void, ir::IoError> flush();
  // Flushes and commits the file (creating it if nothing was written yet).
  Expected<void, ir::IoError> commit();
  std::uint64_t size() const { return flushed_ + used_; }
  // A write failed (the rest is dropped; flush and commit report it).
  bool failed() const { return error_.has_value(); }

 private:
  std::filesystem::path path_;
  std::unique_ptr<ir::AtomicWriter> writer_;
  std::string buffer_;
  std::size_t used_ = 0;
  std::uint64_t flushed_ = 0;
  bool hashing_ = false;
  Sha256 hasher_;
  std::optional<ir::IoError> error_;
};

// The head of `model`'s bytes and its functions' bytes, with room reserved for the rest.
// When the model would be larger than `max_bytes` (its fields as they are now, before
// the passport), nothing is serialized: the error is that size. (Protobuf cannot
// serialize a message of 2 GiB or more: `max_bytes` must stay below.)
Expected<OutputBytes, std::uint64_t> serialize_head(onnx::ModelProto& model, std::uint64_t max_bytes);
// The same, the head streamed into `out` and the digest computed on the way; nothing is
// written when the model is too large.
Expected<OutputBytes, std::uint64_t> stream_head(onnx::ModelProto& model, OutputStream& out,
                                                 std::uint64_t max_bytes);

// Reports BB021 (a model of `size` bytes over `limit`) and returns the status that stops.
PassStatus output_too_large(DiagnosticEngine& diags, std::uint64_t size, std::uint64_t limit);

// The lowercase hex SHA-256 of the graph and functions regions: graph_sha256.
std::string digest_of(const OutputBytes& bytes);

// The whole model's bytes: `bytes.head`, the fields after `graph`, the functions. Equal
// to a deterministic serialization of `model`, provided nothing before `graph` changed
// since serialize_head. Not for streamed bytes.
std::string finish_output(onnx::ModelProto& model, OutputBytes bytes);

// Writes the model's bytes to `out`: for streamed bytes, what follows the head; else
// everything.
void finish_output(onnx::ModelProto& model, OutputBytes bytes, OutputStream& out);

}  // namespace bb::compiler
