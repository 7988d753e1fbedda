// Fuzzes model loading and the whole compile pipeline (validate … stamp-passport), the
// path every graph of a pull request takes in CI. The first byte picks binary or text.
// Invariants: nothing crashes; no internal error (exit 3 in bbc) on any input; a
// compiled model compiles again to the same bytes (idempotence).
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "bb/compiler/compile.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"

namespace {

bb::compiler::CompileResult compile(onnx::ModelProto& model) {
  bb::compiler::DiagnosticEngine diags("fuzz.onnx");
  std::ostringstream log;
  return bb::compiler::compile_model(model, "fuzz.onnx", bb::compiler::PassOptions{}, diags, log);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto format = (data[0] & 1) ? bb::ir::ModelFormat::kText : bb::ir::ModelFormat::kBinary;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  auto model = bb::ir::parse_model(input, format);
  if (!model) return 0;
  // bbc refuses a model over the limits (BB001) before any pass: so does the harness.
  if (!bb::ir::check_model_limits(*model, bb::ir::ModelLimits{})) return 0;
  auto first = compile(*model);
  if (first.status.kind == bb::compiler::PassStatus::Kind::kInternal) std::abort();
  if (first.status.kind != bb::compiler::PassStatus::Kind::kOk) return 0;
  auto again = bb::ir::parse_model(first.bytes, bb::ir::ModelFormat::kBinary);
  if (!again) std::abort();
  auto second = compile(*again);
  if (second.status.kind != bb::compiler::PassStatus::Kind::kOk || second.bytes != first.bytes) std::abort();
  return 0;
}
