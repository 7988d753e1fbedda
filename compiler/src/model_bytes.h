// The compiled model's bytes, serialized once, by the driver (compile.cc). A ModelProto's
// deterministic bytes are its fields' encodings in field order, and the passport digest
// covers `graph` (7) and `functions` (25) (docs/spec.md), while the passport itself sits
// in `metadata_props` (14), between the two. stamp-passport decides the passport with its
// digest left pending (PendingDigest); the writer serializes the fields before `graph`,
// then `graph`, hashing its bytes on the way, hashes the functions' bytes (serialized
// first: they are small), fills the digest in, and appends the fields after `graph` and
// the functions. The big graph is serialized once, sized once, copied never; written to
// a file, it goes through a 4 MiB buffer straight into the file (no buffer of the whole
// output).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/io/zero_copy_stream.h>
#include <onnx/onnx_pb.h>

#include "bb/compiler/pass.h"
#include "bb/ir/atomic_writer.h"
#include "bb/ir/expected.h"
#include "bb/ir/sha256.h"

namespace bb::compiler {

class VerbatimNodes;
class WireIndex;

// Appends field `field` holding `message` of `size` bytes (ByteSizeLong, which also
// caches the sizes the serialization reads): tag, length, deterministic bytes.
void append_field(int field, const google::protobuf::MessageLite& message, std::size_t size, std::string& out);

// Recorded by stamp-passport: the passport is written but its graph_sha256 is empty, for
// the writer to fill in once it has hashed the bytes it writes. An instrumentation that
// shows the model before the write (--print-after) settles it first (settle_digest).
struct PendingDigest {};

// The digest of the model as it is now, written into its passport, when it is pending;
// for whoever must see the compiled model before the writer does. Costs a serialization
// of the graph: only instrumentations asked for on the command line call it.
void settle_digest(PassContext& context);

// Protobuf serialization through a buffer of its own, into the file `path` atomically
// (ir::AtomicWriter) or into a string, hashing the bytes of the regions marked with
// set_hashing. A file's temporary is created with the first bytes that leave the buffer
// (so a compile that stops before the write leaves nothing), and removed unless commit()
// succeeds. A file output larger than the buffer is hashed and written by a thread of
// the stream's own, a buffer at a time and in order, while the caller fills a second
// buffer; an error of the thread's is reported by a later call (flush, commit).
class OutputStream final : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  explicit OutputStream(std::filesystem::path path);
  explicit OutputStream(std::string& bytes);
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;
  ~OutputStream() override;

  bool Next(void** data, int* size) override;
  void BackUp(int count) override;
  std::int64_t ByteCount() const override { return static_cast<std::int64_t>(flushed_ + used_); }

  // The whole output will be `bytes` long: a string takes room for it at once.
  void expect(std::uint64_t bytes);
  // Appends bytes (no CodedOutputStream may be open on this stream).
  void append(std::string_view bytes);
  // From here on the bytes are (not) hashed (no CodedOutputStream may be open).
  void set_hashing(bool on);
  // The hash of the regions marked so far (each hashed as its buffer is flushed).
  Sha256& hasher() { return hasher_; }
  // Hands the buffered bytes to the file or the string; the first error, if any.
  Expected<void, ir::IoError> flush();
  // Flushes and commits the file (creating it if nothing was written yet).
  Expected<void, ir::IoError> commit();
  std::uint64_t size() const { return flushed_ + used_; }

 private:
  std::optional<std::filesystem::path> path_;
  std::string* bytes_ = nullptr;
  std::unique_ptr<ir::AtomicWriter> writer_;
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  std::uint64_t flushed_ = 0;
  bool hashing_ = false;
  Sha256 hasher_;
  std::optional<ir::IoError> error_;
  class Drain;
  std::unique_ptr<char[]> spare_;  // the buffer the thread holds, or the next one
  std::unique_ptr<Drain> drain_;   // last: stops before the rest goes
};

// Writes `model`'s deterministic bytes to `out`. With `pending` (stamp-passport left the
// digest to the writer), graph_sha256 is the SHA-256 of the graph and functions bytes as
// they are written, set in the passport before the fields after `graph` go out. When the
// model would be larger than `max_bytes`, nothing is written: the error is its size.
// (Protobuf cannot serialize a message of 2 GiB or more: `max_bytes` must stay below.)
//
// `gates`: the WireIndex of the compile, or null. The gates it records (gate_records.h)
// are written between the main graph's nodes, at the places their nodes would hold, as
// the bytes their nodes would serialize to. `verbatim`: the main graph's nodes left as
// bytes (verbatim.h), or null; their entries are written between the graph's nodes where
// they stood.
Expected<void, std::uint64_t> write_model(onnx::ModelProto& model, OutputStream& out, std::uint64_t max_bytes,
                                          bool pending, WireIndex* gates = nullptr,
                                          const VerbatimNodes* verbatim = nullptr);

// Reports BB021 (a model of `size` bytes over `limit`) and returns the status that stops.
PassStatus output_too_large(DiagnosticEngine& diags, std::uint64_t size, std::uint64_t limit);

}  // namespace bb::compiler
