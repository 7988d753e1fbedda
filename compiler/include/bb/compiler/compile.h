// `bbc compile` as a library call: validate, canonicalize, gate, verify, stamp, and the
// deterministic output bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/pass_manager.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"

namespace bb::compiler {

struct CompileResult {
  PassStatus status;
  std::vector<std::string> ran;  // passes that ran
  std::string bytes;             // the compiled model when status is ok (compile_model)
  std::uint64_t size = 0;        // its size in bytes
  // compile_model_to_file: the output could not be written (nothing was left behind).
  std::optional<ir::IoError> write_error;
};

// Compiles `model` in place. Findings go to `diags`; --print-after and --time-passes
// output to `log`.
CompileResult compile_model(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log);

// The same, writing the compiled model to `output` atomically (ir::AtomicWriter) instead
// of returning its bytes: after the passes the driver serializes the model once, straight
// into the file (no buffer of the whole output), hashing the graph for the passport on
// the way, and commits. The file's bytes equal compile_model's. Unless the status is ok
// and there is no write_error, `output` is left as it was.
CompileResult compile_model_to_file(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                                    DiagnosticEngine& diags, std::ostream& log, const std::filesystem::path& output);

// A binary source model loaded for compiling with its main graph's nodes left as the
// file's bytes (docs/compiler.md, "Verbatim nodes"): every other field is parsed, and
// validate parses the nodes a pass needs; the writer copies the others.
struct VerbatimModel {
  onnx::ModelProto* model = nullptr;      // on the caller's arena; its main graph holds no node yet
  std::shared_ptr<VerbatimNodes> nodes;  // for PassOptions::verbatim, while the compile runs
  int node_count() const;                 // the main graph's nodes
  // After the compile: how many of them were parsed (all of them, unless the validate
  // walk held and left the others as bytes).
  int parsed_node_count() const;
};

// nullopt when `path` is not a binary model laid out as protobuf writes one, holds
// unknown fields or a passport (a compiled model), or does not load within `limits`:
// then load the model whole (ir::load_model), which says what is wrong.
std::optional<VerbatimModel> load_verbatim(const std::filesystem::path& path, google::protobuf::Arena& arena,
                                           const ir::ModelLimits& limits);
// The same for a binary model's `size` bytes, or a file's (the path's is mapped:
// ir::map_file), which the result holds.
std::optional<VerbatimModel> load_verbatim(std::unique_ptr<char[]> bytes, std::size_t size,
                                           google::protobuf::Arena& arena, const ir::ModelLimits& limits);
std::optional<VerbatimModel> load_verbatim(ir::FileBytes file, google::protobuf::Arena& arena,
                                           const ir::ModelLimits& limits);

// The output path by default: IN with its extension replaced by `.bb`.
std::string default_output_path(std::string_view input);

}  // namespace bb::compiler
