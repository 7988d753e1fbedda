// Fuzzes `.bb` loading in the runtime: passport check, kernel resolution, attribute
// pre-parsing and planning. Invariant: any input is either a Program or a LoadError —
// never a crash, a hang or an unbounded allocation.
#include <cstdint>
#include <string_view>

#include "bb/ir/model_io.h"
#include "bb/runtime/program.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto model = bb::ir::parse_model(input, bb::ir::ModelFormat::kBinary);
  if (!model) return 0;
  bb::runtime::LoadOptions options;
  options.verify_digest = (size & 1) == 0;  // half the runs get past the digest check
  (void)bb::runtime::Program::build(std::move(*model), "fuzz.bb", options);
  return 0;
}
