#include "bb/ir/model_io.h"

#include "bb/ir/atomic_writer.h"
#include "bb/ir/escape.h"
#include "mapping.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/defs/parser.h>

namespace bb::ir {
namespace {

IoError io_error(IoError::Kind kind, const std::filesystem::path& path, std::string_view what) {
  return IoError{kind, path.string() + ": " + std::string(what)};
}

std::string errno_text(int err) { return std::strerror(err); }

// The token at 1-based `line` and `column` of `text`: up to 24 bytes that are not
// white space, escaped; "the end of the input" past it.
std::string token_at(std::string_view text, unsigned line, unsigned column) {
  std::size_t at = 0;
  for (unsigned l = 1; l < line && at < text.size(); ++at)
    if (text[at] == '\n') ++l;
  at += column > 0 ? column - 1 : 0;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  if (at >= text.size()) return "the end of the input";
  std::size_t end = at;
  while (end < text.size() && end - at < 24 && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
  return "'" + escape_text(text.substr(at, end - at)) + (end - at == 24 ? "…'" : "'");
}

// The ONNX parser's message is "[ParseError at position (line: L column: C)]", then
// "Error context: " with the whole line of the input around the error, then what it
// expected. The input may be any file (a symlink, a secret): only the position, what
// was expected and the offending token are kept, escaped, on one line.
std::string parse_error_message(const std::string& raw, std::string_view text) {
  unsigned line = 0, column = 0;
  const auto context = raw.find("\nError context: ");
  const auto expected = context == std::string::npos ? std::string::npos : raw.find('\n', context + 1);
  if (std::sscanf(raw.c_str(), "[ParseError at position (line: %u column: %u)]", &line, &column) != 2 ||
      expected == std::string::npos)
    return "ONNX text does not parse (" + escape_text(raw.substr(0, raw.find('\n')), 80) + ")";
  std::string what = raw.substr(expected + 1);
  for (char& c : what)
    if (c == '\n') c = ' ';
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + escape_text(what, 120) +
         " (at " + token_at(text, line, column) + ")";
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

ModelFormat format_for_path(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return (ext == ".onnxtxt" || ext == ".txt") ? ModelFormat::kText : ModelFormat::kBinary;
}

namespace {

// An open regular file and its size, within `max_bytes`.
struct OpenFile {
  std::unique_ptr<Fd> fd;
  std::uint64_t size = 0;
};

Expected<OpenFile, IoError> open_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO does not wait for a writer (the fstat below refuses it).
  auto fd = std::make_unique<Fd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd->get() < 0) {
    const int err = errno;
    return unexpected(io_error(err == ENOENT ? IoError::Kind::kNotFound : IoError::Kind::kUnreadable, path,
                               err == ENOENT ? "no such file" : "cannot open: " + errno_text(err)));
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return unexpected(io_error(IoError::Kind::kUnreadable, path, errno_text(errno)));
  if (!S_ISREG(st.st_mode)) return unexpected(io_error(IoError::Kind::kUnreadable, path, "not a regular file"));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) {
    return unexpected(io_error(IoError::Kind::kTooLarge, path,
                               "file is " + std::to_string(size) + " bytes, over the limit of " +
                                   std::to_string(max_bytes)));
  }
  return OpenFile{std::move(fd), size};
}

}  // namespace

Expected<std::string_view, IoError> read_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                              const std::function<char*(std::size_t)>& buffer) {
  auto file = open_regular_file(path, max_bytes);
  if (!file) return unexpected(std::move(file.error()));
  const Fd& fd = *file->fd;
  const auto size = static_cast<std::size_t>(file->size);
  char* const data = buffer(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd.get(), data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(io_error(IoError::Kind::kUnreadable, path, "read failed: " + errno_text(errno)));
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<std::size_t>(n);
  }
  return std::string_view(data, done);
}

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
  if (this == &other) return *this;
  if (map_ != nullptr) detail::unmap(map_, size_);
  buffer_ = std::move(other.buffer_);
  map_ = std::exchange(other.map_, nullptr);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

FileBytes::~FileBytes() {
  if (map_ != nullptr) detail::unmap(map_, size_);
}

Expected<FileBytes, IoError> map_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  auto file = open_regular_file(path, max_bytes);
  if (!file) return unexpected(std::move(file.error()));
  FileBytes bytes;
  if (file->size == 0) return bytes;  // (mmap refuses an empty mapping)
  detail::install_sigbus_handler();
  const auto size = static_cast<std::size_t>(file->size);
  void* at = detail::map_read_only(file->fd->get(), size);
  if (at == nullptr) return unexpected(io_error(IoError::Kind::kUnreadable, path, "cannot map: " + errno_text(errno)));
  bytes.map_ = at;
  bytes.size_ = size;
  return bytes;
}

Expected<std::string, IoError> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::string bytes;
  auto read = read_file(path, max_bytes, [&bytes](std::size_t size) {
    bytes.resize(size);
    return bytes.data();
  });
  if (!read) return unexpected(std::move(read.error()));
  bytes.resize(read->size());
  return bytes;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

namespace {

// The deepest bracket nesting ({ ( [) of ONNX text outside string literals, stopping
// once it passes `limit`. onnx's text parser is recursive descent: without this bound a
// 2 MB file of nested subgraphs overflows its stack (a crash found by hand, now in
// tests/bad_input). Brackets in comments count too: that only errs on the safe side.
int text_nesting(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '(' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == '}' || c == ')' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Parses into `model` (empty, on the heap or on an arena).
Expected<void, IoError> parse_into(std::string_view bytes, ModelFormat format, const LoadLimits& limits,
                                   onnx::ModelProto& model) {
  if (format == ModelFormat::kText) {
    // A graph level in text is one bracket but three protobuf levels (graph, node,
    // attribute): this keeps text models within what their binary form may nest.
    const int max_brackets = limits.max_recursion_depth / 3;
    if (text_nesting(bytes, max_brackets) > max_brackets) {
      return unexpected(IoError{IoError::Kind::kParse, "ONNX text nests brackets deeper than " +
                                                           std::to_string(max_brackets) +
                                                           " levels (subgraphs or types): refused before parsing"});
    }
    const std::string text(bytes);  // the parser wants a NUL-terminated string
    onnx::OnnxParser parser(text.c_str());
    // onnx 1.12's parser reports most errors as a Status, but an out-of-range number
    // escapes from std::stoll/stof as an exception (found by fuzz_model_compile).
    try {
      auto status = parser.Parse(model);
      if (!status.IsOK())
        return unexpected(IoError{IoError::Kind::kParse, parse_error_message(status.ErrorMessage(), bytes)});
    } catch (const std::exception& e) {
      return unexpected(IoError{IoError::Kind::kParse, "ONNX text parser failed: invalid or out-of-range number (" +
                                                           escape_text(e.what(), 80) + ")"});
    }
    if (!parser.EndOfInput())
      return unexpected(IoError{IoError::Kind::kParse, "unexpected text after the model"});
    return {};
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return unexpected(IoError{IoError::Kind::kTooLarge, "over 2 GiB: protobuf cannot parse it"});
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  input.SetRecursionLimit(limits.max_recursion_depth);
  if (!model.MergePartialFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    return unexpected(IoError{IoError::Kind::kParse,
                              "not a binary ONNX model: protobuf parsing failed near byte " +
                                  std::to_string(input.CurrentPosition()) + " of " +
                                  std::to_string(bytes.size())});
  }
  return {};
}

IoError with_path(const std::filesystem::path& path, IoError error) {
  return IoError{error.kind, path.string() + ": " + error.message};
}

// A binary model parsed from the file as it is read, through one small buffer: the
// parse keeps no copy of the file's bytes, so a large model costs its messages only (a
// 58 MB file read whole is 58 MB of fresh memory, which on a VM is a page fault per
// 4 KiB). Reads no more than the size fstat gave, as read_file does.
Expected<onnx::ModelProto*, IoError> stream_binary_model(const std::filesystem::path& path,
                                                         google::protobuf::Arena& arena, const LoadLimits& limits) {
  constexpr int kReadBlock = 256 << 10;  // stays in the cache between read(2) and the parser
  auto file = open_regular_file(path, limits.max_file_bytes);
  if (!file) return unexpected(std::move(file.error()));
  if (file->size > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    return unexpected(with_path(path, IoError{IoError::Kind::kTooLarge, "over 2 GiB: protobuf cannot parse it"}));
  google::protobuf::io::FileInputStream stream(file->fd->get(), kReadBlock);
  google::protobuf::io::LimitingInputStream limited(&stream, static_cast<std::int64_t>(file->size));
  auto* model = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  bool parsed = false;
  std::uint64_t position = 0;
  {
    google::protobuf::io::CodedInputStream input(&limited);
    input.SetRecursionLimit(limits.max_recursion_depth);
    parsed = model->MergePartialFromCodedStream(&input) && input.ConsumedEntireMessage();
    position = static_cast<std::uint64_t>(input.CurrentPosition());
  }
  if (stream.GetErrno() != 0)
    return unexpected(io_error(IoError::Kind::kUnreadable, path, "read failed: " + errno_text(stream.GetErrno())));
  if (!parsed)
    return unexpected(with_path(path, IoError{IoError::Kind::kParse, "not a binary ONNX model: protobuf parsing failed near byte " +
                                                                       std::to_string(position) + " of " +
                                                                       std::to_string(file->size)}));
  return model;
}

}  // namespace

Expected<onnx::ModelProto, IoError> parse_model(std::string_view bytes, ModelFormat format,
                                                const LoadLimits& limits) {
  onnx::ModelProto model;
  if (auto parsed = parse_into(bytes, format, limits, model); !parsed) return unexpected(std::move(parsed.error()));
  return model;
}

Expected<onnx::ModelProto*, IoError> parse_model(std::string_view bytes, ModelFormat format,
                                                 google::protobuf::Arena& arena, const LoadLimits& limits) {
  auto* model = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  if (auto parsed = parse_into(bytes, format, limits, *model); !parsed) return unexpected(std::move(parsed.error()));
  return model;
}

Expected<onnx::ModelProto, IoError> load_model(const std::filesystem::path& path, const LoadLimits& limits) {
  auto bytes = read_file(path, limits.max_file_bytes);
  if (!bytes) return unexpected(std::move(bytes.error()));
  auto model = parse_model(*bytes, format_for_path(path), limits);
  if (!model) return unexpected(with_path(path, std::move(model.error())));
  return model;
}

Expected<onnx::ModelProto*, IoError> load_model(const std::filesystem::path& path, google::protobuf::Arena& arena,
                                                const LoadLimits& limits) {
  if (format_for_path(path) == ModelFormat::kBinary) return stream_binary_model(path, arena, limits);
  auto bytes = read_file(path, limits.max_file_bytes);
  if (!bytes) return unexpected(std::move(bytes.error()));
  auto model = parse_model(*bytes, format_for_path(path), arena, limits);
  if (!model) return unexpected(with_path(path, std::move(model.error())));
  return model;
}

void append_serialized_deterministic(const google::protobuf::MessageLite& message, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + message.ByteSizeLong());
  google::protobuf::io::ArrayOutputStream array(out.data() + start, static_cast<int>(out.size() - start));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
}

std::string serialize_deterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  append_serialized_deterministic(message, out);
  return out;
}

Expected<void, IoError> write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  auto writer = AtomicWriter::create(path);
  if (!writer) return unexpected(std::move(writer.error()));
  if (auto written = (*writer)->write(bytes); !written) return written;
  return (*writer)->commit();
}

Expected<void, IoError> save_model(const std::filesystem::path& path, const onnx::ModelProto& model) {
  return write_file_atomic(path, serialize_deterministic(model));
}

}  // namespace bb::ir
