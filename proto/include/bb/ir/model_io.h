// Reading and writing ONNX models: binary `.onnx`/`.bb` or ONNX text `.onnxtxt`,
// deterministic serialization, atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/arena.h>
#include <google/protobuf/message_lite.h>
#include <onnx/onnx_pb.h>

#include "bb/ir/expected.h"

namespace bb::ir {

struct IoError {
  enum class Kind {
    kNotFound,    // the file does not exist
    kUnreadable,  // exists but cannot be read (permissions, a directory, I/O error)
    kTooLarge,    // over the configured size limit
    kParse,       // read, but not a model: `message` says where parsing failed
    kWrite,       // the output could not be written (nothing is left behind)
    kExists,      // the output is already there and may not be replaced (nothing written)
  };
  Kind kind;
  std::string message;
};

enum class ModelFormat { kBinary, kText };

// `.onnxtxt` (and `.txt`) are ONNX text syntax; everything else is binary protobuf.
ModelFormat format_for_path(const std::filesystem::path& path);

struct LoadLimits {
  // Protobuf cannot represent a message of 2 GiB or more.
  std::uint64_t max_file_bytes = (std::uint64_t{1} << 31) - 1;
  // Nesting depth for protobuf parsing (graphs in attributes nest).
  int max_recursion_depth = 100;
};

// Reads a whole file, refusing one over `max_bytes` before allocating for it.
// Anything but a regular file (a FIFO, a device, a folder) is kUnreadable, found
// without waiting for a FIFO's writer.
Expected<std::string, IoError> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);
// The same into memory of the caller's: `buffer(size)` gives room for the file's `size`
// bytes, which the caller keeps (bbrun's loader gives memory that is not zero-filled
// before read(2) overwrites it). The bytes read, at its start (fewer than `size` when
// the file shrank while it was read).
Expected<std::string_view, IoError> read_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                              const std::function<char*(std::size_t)>& buffer);

// A file's bytes, held for as long as the object lives: mapped into memory (map_file) or
// in a buffer of the caller's.
class FileBytes {
 public:
  FileBytes() = default;
  FileBytes(std::unique_ptr<char[]> buffer, std::size_t size) : buffer_(std::move(buffer)), size_(size) {}
  FileBytes(FileBytes&& other) noexcept { *this = std::move(other); }
  FileBytes& operator=(FileBytes&& other) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes();

  std::string_view bytes() const { return {map_ != nullptr ? static_cast<const char*>(map_) : buffer_.get(), size_}; }

 private:
  friend Expected<FileBytes, IoError> map_file(const std::filesystem::path& path, std::uint64_t max_bytes);
  std::unique_ptr<char[]> buffer_;
  void* map_ = nullptr;  // a mapping of size_ bytes, unmapped by the destructor
  std::size_t size_ = 0;
};

// read_file without the copy: a regular file within `max_bytes` mapped read-only into
// memory, its pages the page cache's, all mapped at once (a large model's read copied
// it into fresh memory, which the kernel first zero-fills: a tenth of a million-node
// compile on a VM). The catch of any mapping: a file truncated by another process
// while it is mapped raises SIGBUS on the next read of a lost page. The first map_file
// installs a handler for SIGBUS, unless the program has one, that removes the
// AtomicWriter temporaries, says on stderr that a mapped input shrank under the
// process and lets the signal end it; nothing half-written is left.
Expected<FileBytes, IoError> map_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Whether both paths exist and name the same file (after symlinks): an output that
// would overwrite one of a run's inputs.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

Expected<onnx::ModelProto, IoError> parse_model(std::string_view bytes, ModelFormat format,
                                                const LoadLimits& limits = {});
Expected<onnx::ModelProto, IoError> load_model(const std::filesystem::path& path,
                                               const LoadLimits& limits = {});

// The same, parsing into `arena`: the model, its nodes and attributes are laid out in a
// few large blocks in parse order (walking them is streaming memory), and releasing
// them is freeing those blocks instead of one destructor per message and string. The
// model lives as long as the arena. Tools that read or rewrite a large model use these.
Expected<onnx::ModelProto*, IoError> parse_model(std::string_view bytes, ModelFormat format,
                                                 google::protobuf::Arena& arena, const LoadLimits& limits = {});
Expected<onnx::ModelProto*, IoError> load_model(const std::filesystem::path& path, google::protobuf::Arena& arena,
                                                const LoadLimits& limits = {});

// Options for an arena that holds one large model for a whole run (`bbc compile`, lint,
// inspect): blocks of 2 MiB growing to 16 MiB, each 2 MiB-aligned and advised for
// transparent huge pages. A million-node model is ~700 MB of scattered small objects;
// on 4 KiB pages every pass misses the TLB on most nodes and the first touch of each
// page is a fault, which on a virtual machine cost more than the compile's own work
// (docs/performance.md, "Round 5: huge pages"). Where the kernel does not
// offer huge pages the advice is ignored and the blocks are ordinary memory.
google::protobuf::ArenaOptions large_model_arena_options();

// Deterministic protobuf serialization (stable field order; same input, same bytes).
std::string serialize_deterministic(const google::protobuf::MessageLite& message);
void append_serialized_deterministic(const google::protobuf::MessageLite& message, std::string& out);

// Writes `bytes` to a temporary file in the same folder, then renames it over `path`.
// On any failure the temporary file is removed and `path` is left as it was.
Expected<void, IoError> write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
Expected<void, IoError> save_model(const std::filesystem::path& path, const onnx::ModelProto& model);

}  // namespace bb::ir
