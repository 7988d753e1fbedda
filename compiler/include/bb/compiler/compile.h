// `bbc compile` as a library call: validate, canonicalize, gate, verify, stamp, and the
// deterministic output bytes.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/pass_manager.h"

namespace bb::compiler {

struct CompileResult {
  PassStatus status;
  std::vector<std::string> ran;  // passes that ran
  std::string bytes;             // the compiled model when status is ok
};

// Compiles `model` in place. Findings go to `diags`; --print-after and --time-passes
// output to `log`.
CompileResult compile_model(onnx::ModelProto& model, std::string_view path, const PassOptions& options,
                            DiagnosticEngine& diags, std::ostream& log);

// The output path by default: IN with its extension replaced by `.bb`.
std::string default_output_path(std::string_view input);

}  // namespace bb::compiler
