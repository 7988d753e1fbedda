// Fuzzes model loading and the whole compile pipeline (validate … stamp-passport), the
// path every graph of a pull request takes in CI. The first byte picks binary or text.
// Invariants: nothing crashes; no internal error (exit 3 in bbc) on any input; a
// compiled model compiles again to the same bytes (idempotence); a binary model compiled
// with its nodes left as bytes, as bbc compiles it (verbatim nodes), gives the same
// outcome, findings and bytes as the model parsed whole.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bb/compiler/compile.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"

namespace {

struct Compiled {
  bb::compiler::CompileResult result;
  std::vector<std::string> findings;
};

Compiled compile(onnx::ModelProto& model, bb::compiler::VerbatimNodes* verbatim = nullptr) {
  bb::compiler::DiagnosticEngine diags("fuzz.onnx");
  std::ostringstream log;
  bb::compiler::PassOptions options;
  options.verbatim = verbatim;
  options.model_keeps_gates = verbatim == nullptr;
  Compiled out{bb::compiler::compile_model(model, "fuzz.onnx", options, diags, log), {}};
  for (const auto& f : diags.findings()) out.findings.push_back(bb::compiler::format_text(f));
  return out;
}

// The same bytes compiled with the main graph's nodes left as bytes, against `whole`.
void check_verbatim(std::string_view input, const Compiled& whole) {
  auto bytes = std::make_unique<char[]>(input.size());
  std::copy(input.begin(), input.end(), bytes.get());
  google::protobuf::Arena arena;
  auto loaded = bb::compiler::load_verbatim(std::move(bytes), input.size(), arena, bb::ir::ModelLimits{});
  if (!loaded) return;  // (loaded whole by bbc)
  auto verbatim = compile(*loaded->model, loaded->nodes.get());
  if (verbatim.result.status.kind != whole.result.status.kind || verbatim.findings != whole.findings ||
      verbatim.result.bytes != whole.result.bytes)
    std::abort();
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
  if (first.result.status.kind == bb::compiler::PassStatus::Kind::kInternal) std::abort();
  if (format == bb::ir::ModelFormat::kBinary) check_verbatim(input, first);
  if (first.result.status.kind != bb::compiler::PassStatus::Kind::kOk) return 0;
  auto again = bb::ir::parse_model(first.result.bytes, bb::ir::ModelFormat::kBinary);
  if (!again) std::abort();
  auto second = compile(*again);
  if (second.result.status.kind != bb::compiler::PassStatus::Kind::kOk || second.result.bytes != first.result.bytes)
    std::abort();
  return 0;
}
