#include "model_bytes.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "bb/compiler/codes.h"
#include "bb/ir/model_io.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_format.h"
#include "bb/ir/sha256.h"

namespace bb::compiler {
namespace {

using ir::kModelFunctionsField;
using ir::kModelGraphField;
using ir::offset_after_field;
constexpr std::size_t kPassportRoom = 4096;   // the passport keys a writer adds, generously
constexpr std::size_t kMaxTagAndLength = 15;  // a varint32 tag and a varint64 length
constexpr std::size_t kStreamBuffer = std::size_t{4} << 20;  // as ir::AtomicWriter's chunks

// `model` without graph and functions (detached and put back without copying: the
// unsafe_arena calls only move pointers, on the heap and on an arena alike).
std::string serialize_rest(onnx::ModelProto& model) {
  onnx::GraphProto* graph = model.has_graph() ? model.unsafe_arena_release_graph() : nullptr;
  google::protobuf::RepeatedPtrField<onnx::FunctionProto> functions(model.GetArena());
  functions.UnsafeArenaSwap(model.mutable_functions());
  std::string rest = ir::serialize_deterministic(model);
  model.unsafe_arena_set_allocated_graph(graph);
  model.mutable_functions()->UnsafeArenaSwap(&functions);
  return rest;
}

// Appends field `field` holding `message` of `size` bytes (ByteSizeLong, which also
// caches the sizes the serialization reads): tag, length, bytes.
void append_field(int field, const google::protobuf::MessageLite& message, std::size_t size, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + kMaxTagAndLength + size);
  google::protobuf::io::ArrayOutputStream array(out.data() + start, static_cast<int>(out.size() - start));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  coded.WriteTag(ir::make_tag(field, ir::WireType::kLengthDelimited));
  coded.WriteVarint64(size);
  message.SerializeWithCachedSizes(&coded);
  out.resize(start + static_cast<std::size_t>(coded.ByteCount()));
}

// The `functions` fields.
std::string serialize_functions(const onnx::ModelProto& model) {
  std::string out;
  for (const auto& function : model.functions())
    append_field(kModelFunctionsField, function, function.ByteSizeLong(), out);
  return out;
}

// The size of the model's bytes: the other fields, `graph` with its tag and length, the
// functions.
std::uint64_t planned_size(const std::string& rest, bool has_graph, std::size_t graph_size,
                           const std::string& functions) {
  const std::uint64_t graph_field =
      has_graph ? 1 + google::protobuf::io::CodedOutputStream::VarintSize64(graph_size) + graph_size : 0;
  return rest.size() + graph_field + functions.size();
}

}  // namespace

OutputStream::OutputStream(std::filesystem::path path) : path_(std::move(path)) { buffer_.resize(kStreamBuffer); }

bool OutputStream::Next(void** data, int* size) {
  if (used_ == buffer_.size() && !flush()) return false;
  *data = buffer_.data() + used_;
  *size = static_cast<int>(buffer_.size() - used_);
  used_ = buffer_.size();
  return true;
}

void OutputStream::BackUp(int count) { used_ -= static_cast<std::size_t>(count); }

void OutputStream::append(std::string_view bytes) {
  while (!bytes.empty()) {
    if (used_ == buffer_.size() && !flush()) return;
    const std::size_t take = std::min(bytes.size(), buffer_.size() - used_);
    std::copy_n(bytes.data(), take, buffer_.data() + used_);
    used_ += take;
    bytes.remove_prefix(take);
  }
}

void OutputStream::set_hashing(bool on) {
  (void)flush();  // an error stays in error_
  hashing_ = on;
}

Expected<void, ir::IoError> OutputStream::flush() {
  if (error_) return unexpected(*error_);
  const std::string_view bytes(buffer_.data(), used_);
  if (hashing_) hasher_.update(bytes);
  flushed_ += used_;
  used_ = 0;
  if (!writer_) {
    auto created = ir::AtomicWriter::create(path_);
    if (!created) {
      error_ = created.error();
      return unexpected(*error_);
    }
    writer_ = std::move(*created);
  }
  if (auto written = writer_->write(bytes); !written) {
    error_ = written.error();
    return written;
  }
  return {};
}

Expected<void, ir::IoError> OutputStream::commit() {
  if (auto flushed = flush(); !flushed) return flushed;
  if (auto committed = writer_->commit(); !committed) {
    error_ = committed.error();
    return committed;
  }
  return {};
}

Expected<OutputBytes, std::uint64_t> serialize_head(onnx::ModelProto& model, std::uint64_t max_bytes) {
  OutputBytes bytes;
  bytes.functions = serialize_functions(model);
  const std::string rest = serialize_rest(model);
  const std::size_t split = offset_after_field(rest, kModelGraphField);
  const std::size_t graph_size = model.has_graph() ? model.graph().ByteSizeLong() : 0;
  if (const auto size = planned_size(rest, model.has_graph(), graph_size, bytes.functions); size > max_bytes)
    return unexpected(size);
  bytes.head.reserve(rest.size() + graph_size + 16 + bytes.functions.size() + kPassportRoom);
  bytes.head.append(rest, 0, split);
  bytes.graph_offset = bytes.head.size();
  if (model.has_graph()) append_field(kModelGraphField, model.graph(), graph_size, bytes.head);
  return bytes;
}

Expected<OutputBytes, std::uint64_t> stream_head(onnx::ModelProto& model, OutputStream& out,
                                                 std::uint64_t max_bytes) {
  OutputBytes bytes;
  bytes.streamed = true;
  bytes.functions = serialize_functions(model);
  const std::string rest = serialize_rest(model);
  const std::size_t size = model.has_graph() ? model.graph().ByteSizeLong() : 0;
  if (const auto planned = planned_size(rest, model.has_graph(), size, bytes.functions); planned > max_bytes)
    return unexpected(planned);
  out.append(std::string_view(rest).substr(0, offset_after_field(rest, kModelGraphField)));
  out.set_hashing(true);
  if (model.has_graph()) {
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    coded.WriteTag(ir::make_tag(kModelGraphField, ir::WireType::kLengthDelimited));
    coded.WriteVarint64(size);
    model.graph().SerializeWithCachedSizes(&coded);
  }  // the CodedOutputStream hands back what it did not use
  out.set_hashing(false);
  out.hasher().update(bytes.functions);
  bytes.digest = out.hasher().finish_hex();
  return bytes;
}

PassStatus output_too_large(DiagnosticEngine& diags, std::uint64_t size, std::uint64_t limit) {
  diags.report(kBB021, "the compiled model would be " + std::to_string(size) + " bytes, over the limit of " +
                           std::to_string(limit) + " (raise it with " + std::string(kFlagMaxOutputBytes) + ")");
  return PassStatus::input_errors();
}

std::string digest_of(const OutputBytes& bytes) {
  if (bytes.streamed) return bytes.digest;
  Sha256 hasher;
  hasher.update(std::string_view(bytes.head).substr(bytes.graph_offset));
  hasher.update(bytes.functions);
  return hasher.finish_hex();
}

std::string finish_output(onnx::ModelProto& model, OutputBytes bytes) {
  if (!model.unknown_fields().empty()) return ir::serialize_deterministic(model);  // they go last
  const std::string rest = serialize_rest(model);
  std::string out = std::move(bytes.head);
  out.append(rest, offset_after_field(rest, kModelGraphField));
  out.append(bytes.functions);
  return out;
}

void finish_output(onnx::ModelProto& model, OutputBytes bytes, OutputStream& out) {
  if (!bytes.streamed) {
    out.append(finish_output(model, std::move(bytes)));
    return;
  }
  const std::string rest = serialize_rest(model);
  out.append(std::string_view(rest).substr(offset_after_field(rest, kModelGraphField)));
  out.append(bytes.functions);
}

}  // namespace bb::compiler
