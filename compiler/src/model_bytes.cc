#include "model_bytes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include "bb/ir/model_io.h"
#include "bb/ir/sha256.h"

namespace bb::compiler {
namespace {

constexpr int kModelGraphField = 7;
constexpr int kModelFunctionsField = 25;
constexpr std::size_t kPassportRoom = 4096;   // the passport keys a writer adds, generously
constexpr std::size_t kMaxTagAndLength = 15;  // a varint32 tag and a varint64 length

using google::protobuf::internal::WireFormatLite;

// Offset of the first top-level field numbered above `field` in `bytes`, or the size.
std::size_t offset_after_field(std::string_view bytes, int field) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (true) {
    const int offset = in.CurrentPosition();
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return bytes.size();
    if (static_cast<int>(WireFormatLite::GetTagFieldNumber(tag)) > field) return static_cast<std::size_t>(offset);
    if (!WireFormatLite::SkipField(&in, tag)) return bytes.size();
  }
}

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
  coded.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  coded.WriteVarint64(size);
  message.SerializeWithCachedSizes(&coded);
  out.resize(start + static_cast<std::size_t>(coded.ByteCount()));
}

}  // namespace

OutputBytes serialize_head(onnx::ModelProto& model) {
  OutputBytes bytes;
  for (const auto& function : model.functions())
    append_field(kModelFunctionsField, function, function.ByteSizeLong(), bytes.functions);
  const std::string rest = serialize_rest(model);
  const std::size_t split = offset_after_field(rest, kModelGraphField);
  const std::size_t graph_size = model.has_graph() ? model.graph().ByteSizeLong() : 0;
  bytes.head.reserve(rest.size() + graph_size + 16 + bytes.functions.size() + kPassportRoom);
  bytes.head.append(rest, 0, split);
  bytes.graph_offset = bytes.head.size();
  if (model.has_graph()) append_field(kModelGraphField, model.graph(), graph_size, bytes.head);
  return bytes;
}

std::string digest_of(const OutputBytes& bytes) {
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

}  // namespace bb::compiler
