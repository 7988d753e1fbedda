#include "bb/compiler/compile.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "bb/ir/model_io.h"

namespace bb::compiler {
namespace {

constexpr int kModelGraphField = 7;

// Offset of the first top-level field numbered above `field` in `bytes`, or the size.
std::size_t offset_after_field(std::string_view bytes, int field) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (true) {
    const int offset = in.CurrentPosition();
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return bytes.size();
    if (static_cast<int>(google::protobuf::internal::WireFormatLite::GetTagFieldNumber(tag)) > field)
      return static_cast<std::size_t>(offset);
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) return bytes.size();
  }
}

// Length of the leading `graph` field (tag, length, message) in `graph_and_functions`.
std::size_t graph_field_length(std::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  const std::uint32_t tag = in.ReadTag();
  if (google::protobuf::internal::WireFormatLite::GetTagFieldNumber(tag) != kModelGraphField) return 0;
  std::uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return 0;
  return static_cast<std::size_t>(in.CurrentPosition()) + length;
}

// The model's deterministic bytes, reusing the already serialized graph and functions:
// a ModelProto's bytes are its fields' encodings in field order, and `graph` (7) and
// `functions` (25) sit around fields 8–20.
std::string serialize_with(onnx::ModelProto& model, const std::string& graph_and_functions) {
  if (!model.unknown_fields().empty()) return ir::serialize_deterministic(model);
  // Detached and put back without copying (the unsafe_arena calls only move pointers,
  // on the heap and on an arena alike).
  onnx::GraphProto* graph = model.has_graph() ? model.unsafe_arena_release_graph() : nullptr;
  google::protobuf::RepeatedPtrField<onnx::FunctionProto> functions(model.GetArena());
  functions.UnsafeArenaSwap(model.mutable_functions());
  const std::string rest = ir::serialize_deterministic(model);
  model.unsafe_arena_set_allocated_graph(graph);
  model.mutable_functions()->UnsafeArenaSwap(&functions);

  const std::size_t split = offset_after_field(rest, kModelGraphField);
  const std::size_t graph_length = graph != nullptr ? graph_field_length(graph_and_functions) : 0;
  std::string out;
  out.reserve(rest.size() + graph_and_functions.size());
  out.append(rest, 0, split);
  out.append(graph_and_functions, 0, graph_length);
  out.append(rest, split);
  out.append(graph_and_functions, graph_length);
  return out;
}

}  // namespace

CompileResult compile_model(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log) {
  PassContext context(model, diags, path);
  PassManager manager(options, log);
  CompileResult result;
  result.status = manager.run(context);
  result.ran = context.ran;
  if (result.status.kind != PassStatus::Kind::kOk) return result;
  result.bytes = context.graph_and_functions_bytes ? serialize_with(model, *context.graph_and_functions_bytes)
                                                    : ir::serialize_deterministic(model);
  return result;
}

std::string default_output_path(std::string_view input) {
  const auto slash = input.rfind('/');
  const auto dot = input.rfind('.');
  const bool has_ext = dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash + 1);
  return std::string(has_ext ? input.substr(0, dot) : input) + ".bb";
}

}  // namespace bb::compiler
