#include "bb/compiler/compile.h"

#include <algorithm>

#include "bb/ir/atomic_writer.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"
#include "model_bytes.h"

namespace bb::compiler {

namespace {

// Protobuf cannot represent more: no option goes above it.
std::uint64_t max_output_bytes(const PassOptions& options) {
  return std::min(options.max_output_bytes, ir::kMaxModelFileBytes);
}

}  // namespace

CompileResult compile_model(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log) {
  PassContext context(model, diags, path);
  context.ops = options.ops;
  context.max_output_bytes = max_output_bytes(options);
  PassManager manager(options, log);
  CompileResult result;
  result.status = manager.run(context);
  result.ran = context.ran;
  if (result.status.kind != PassStatus::Kind::kOk) return result;
  auto* bytes = context.analyses.cached<OutputBytes>();
  result.bytes = bytes != nullptr ? finish_output(model, std::move(*bytes)) : ir::serialize_deterministic(model);
  result.size = result.bytes.size();
  // stamp-passport checked the size before serializing; the passport adds a few bytes.
  if (result.size > context.max_output_bytes) {
    result.status = output_too_large(diags, result.size, context.max_output_bytes);
    result.bytes.clear();
  }
  return result;
}

CompileResult compile_model_to_file(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                                    DiagnosticEngine& diags, std::ostream& log, const std::filesystem::path& output) {
  // The file is created when stamp-passport streams the first bytes (after every check),
  // and removed unless committed: a compile that fails, or is killed, leaves nothing.
  OutputStream stream(output);
  PassContext context(model, diags, path);
  context.ops = options.ops;
  context.max_output_bytes = max_output_bytes(options);
  context.output_stream = &stream;
  PassManager manager(options, log);
  CompileResult result;
  result.status = manager.run(context);
  result.ran = context.ran;
  if (result.status.kind != PassStatus::Kind::kOk) return result;
  if (auto* bytes = context.analyses.cached<OutputBytes>()) {
    finish_output(model, std::move(*bytes), stream);
  } else {
    stream.append(ir::serialize_deterministic(model));
  }
  // stamp-passport checked the size before writing; the passport adds a few bytes. Not
  // committed, the file is removed.
  if (stream.size() > context.max_output_bytes) {
    result.status = output_too_large(diags, stream.size(), context.max_output_bytes);
    return result;
  }
  if (auto committed = stream.commit(); !committed) {
    result.write_error = committed.error();
    return result;
  }
  result.size = stream.size();
  return result;
}

std::string default_output_path(std::string_view input) {
  const auto slash = input.rfind('/');
  const auto dot = input.rfind('.');
  const bool has_ext = dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash + 1);
  return std::string(has_ext ? input.substr(0, dot) : input) + ".bb";
}

}  // namespace bb::compiler
