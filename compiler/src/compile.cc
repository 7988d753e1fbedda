#include "bb/compiler/compile.h"

#include <algorithm>

#include "bb/ir/limits.h"
#include "bb/ir/model_stream.h"
#include "bb/ir/passport.h"
#include "model_bytes.h"
#include "verbatim.h"
#include "wire_index.h"

namespace bb::compiler {

namespace {

// Protobuf cannot represent more: no option goes above it.
std::uint64_t max_output_bytes(const PassOptions& options) {
  return std::min(options.max_output_bytes, ir::kMaxModelFileBytes);
}

// Runs the passes, then writes the compiled model to `out` (the driver's part: no pass
// writes). On BB021 nothing is written.
CompileResult run_and_write(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log, OutputStream& out) {
  PassContext context(model, diags, path);
  context.ops = options.ops;
  context.max_output_bytes = max_output_bytes(options);
  context.verbatim = options.verbatim;
  PassManager manager(options, log);
  CompileResult result;
  // What looks at the graph between the passes, or at the model after the compile, sees
  // every node: the verbatim ones are parsed first.
  if (context.verbatim != nullptr && (manager.shows_graph() || options.model_keeps_gates)) {
    const bool parsed = context.verbatim->parse_whole(model, diags, path);
    context.verbatim = nullptr;
    if (!parsed) {
      result.status = PassStatus::input_errors();
      return result;
    }
  }
  result.status = manager.run(context);
  result.ran = context.ran;
  // The recorded gates, if any (gate_records.h): the writer emits them; afterwards the
  // index turns them into nodes as it goes with the context (the model then holds what
  // was written), unless the caller wants only the bytes.
  WireIndex* index = context.analyses.cached<WireIndex>();
  if (result.status.kind == PassStatus::Kind::kOk) {
    const bool pending = context.analyses.cached<PendingDigest>() != nullptr;
    if (auto written = write_model(model, out, context.max_output_bytes, pending, index, context.verbatim); !written)
      result.status = output_too_large(diags, written.error(), context.max_output_bytes);
  }
  if (index != nullptr && !options.model_keeps_gates) index->discard_records();
  return result;
}

}  // namespace

CompileResult compile_model(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log) {
  std::string bytes;
  OutputStream out(bytes);
  CompileResult result = run_and_write(model, path, options, diags, log, out);
  if (result.status.kind != PassStatus::Kind::kOk) return result;
  (void)out.flush();  // into a string: cannot fail
  result.bytes = std::move(bytes);
  result.size = result.bytes.size();
  return result;
}

CompileResult compile_model_to_file(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                                    DiagnosticEngine& diags, std::ostream& log, const std::filesystem::path& output) {
  // The file is created when the writer hands it the first bytes (after every pass and
  // check), and removed unless committed: a compile that fails, or is killed, leaves
  // nothing.
  OutputStream out(output);
  CompileResult result = run_and_write(model, path, options, diags, log, out);
  if (result.status.kind != PassStatus::Kind::kOk) return result;
  if (auto committed = out.commit(); !committed) {
    result.write_error = committed.error();
    return result;
  }
  result.size = out.size();
  return result;
}

int VerbatimModel::node_count() const { return nodes->size(); }

int VerbatimModel::parsed_node_count() const {
  return nodes->kept().empty() ? model->graph().node_size() : static_cast<int>(nodes->kept().size());
}

std::optional<VerbatimModel> load_verbatim(const std::filesystem::path& path, google::protobuf::Arena& arena,
                                           const ir::ModelLimits& limits) {
  if (ir::format_for_path(path) != ir::ModelFormat::kBinary) return std::nullopt;
  auto mapped = ir::map_file(path, limits.max_file_bytes);
  if (!mapped) return std::nullopt;
  return load_verbatim(std::move(*mapped), arena, limits);
}

std::optional<VerbatimModel> load_verbatim(std::unique_ptr<char[]> bytes, std::size_t size,
                                           google::protobuf::Arena& arena, const ir::ModelLimits& limits) {
  return load_verbatim(ir::FileBytes(std::move(bytes), size), arena, limits);
}

std::optional<VerbatimModel> load_verbatim(ir::FileBytes file, google::protobuf::Arena& arena,
                                           const ir::ModelLimits& limits) {
  const std::string_view bytes = file.bytes();
  auto parsed = ir::parse_model_without_nodes(bytes, arena, limits.load(), limits.max_nodes);
  if (!parsed) return std::nullopt;
  onnx::ModelProto* model = parsed->model;
  if (!model->unknown_fields().empty() || ir::read_passport(*model) ||
      !ir::check_model_limits(*model, limits, /*main_nodes_checked=*/true))
    return std::nullopt;
  VerbatimModel out;
  out.model = model;
  out.nodes = std::make_shared<VerbatimNodes>(std::move(file), std::move(*parsed), limits);
  return out;
}

std::string default_output_path(std::string_view input) {
  const auto slash = input.rfind('/');
  const auto dot = input.rfind('.');
  const bool has_ext = dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash + 1);
  return std::string(has_ext ? input.substr(0, dot) : input) + ".bb";
}

}  // namespace bb::compiler
