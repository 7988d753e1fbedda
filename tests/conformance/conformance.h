// The ONNX backend test models of Debian's libonnx-testdata as a conformance suite:
// each model is compiled by the compiler library (the passes `bbc compile` runs), loaded
// by the runtime loader, run by the engine's static run with test_data_set_0's inputs,
// and its graph outputs compared with the expected ones at ONNX's tolerances.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bb/runtime/value.h"

namespace bb::conformance {

// ONNX's backend test tolerances.
inline constexpr double kRtol = 1e-3;
inline constexpr double kAtol = 1e-7;

struct CaseResult {
  bool passed = false;
  // Why it failed: one line, e.g. "load: no kernel for 'ai.onnx::Conv'".
  std::string reason;
  // The reason with its details dropped, for counting (e.g. "no kernel for 'ai.onnx::Conv'").
  std::string category;
};

// The test folders below `root` that hold a model.onnx (the folder is a symbolic link:
// it is followed), sorted by name.
std::vector<std::filesystem::path> case_dirs(const std::filesystem::path& folder);

// Runs one test folder in this process.
CaseResult run_case(const std::filesystem::path& dir);

// Runs one test folder in a child process, so a crash or a hang is that test's failure
// ("crashed: signal 11", "timed out after 60 s") instead of the whole suite's.
CaseResult run_case_isolated(const std::filesystem::path& dir, int timeout_seconds);

// Whether `actual` equals `expected` at the tolerances above (floating point: |a - e| <=
// atol + rtol * |e|, NaN equals NaN, infinities equal with the same sign; integers, bools
// and strings exactly); a sentence saying the first difference otherwise.
std::optional<std::string> compare(const runtime::Tensor& expected, const runtime::Tensor& actual);

// The expected list: `<folder>/<test>` per line, `#` comments and blank lines ignored.
std::set<std::string> read_expected(const std::filesystem::path& file);
// Writes `names` sorted, one per line, under a header comment.
bool write_expected(const std::filesystem::path& file, const std::set<std::string>& names);

}  // namespace bb::conformance
