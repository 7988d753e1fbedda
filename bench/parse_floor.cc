// The floor for any file-to-file rewrite of an ONNX model: read the file, parse it with
// protobuf, serialize it deterministically and write it (atomically, like bbc). Prints
// the wall time of each step; bench/compile_bench.sh compares `bbc compile` and
// `bbc lint` with it (docs/performance.md: compile ≤ 1.5× the floor at 1M nodes; lint ≤ 2× parse).
// Without OUT it only reads and parses: the plain parse whose peak RSS bbc compile's is
// measured against (compile ≤ 1.3× of it).
//
//   bb_parse_floor IN.onnx [OUT.onnx]
#include <chrono>
#include <cstdio>
#include <string>

#include "bb/ir/model_io.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: bb_parse_floor IN.onnx [OUT.onnx]\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  const auto t0 = Clock::now();
  auto bytes = bb::ir::read_file(argv[1], bb::ir::LoadLimits{}.max_file_bytes);
  if (!bytes) {
    std::fprintf(stderr, "%s\n", bytes.error().message.c_str());
    return 2;
  }
  const auto t1 = Clock::now();
  auto model = bb::ir::parse_model(*bytes, bb::ir::ModelFormat::kBinary);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  const auto t2 = Clock::now();
  if (argc == 2) {
    std::printf("read %.6f parse %.6f total %.6f\n", seconds(t0, t1), seconds(t1, t2), seconds(t0, t2));
    return 0;
  }
  const std::string out = bb::ir::serialize_deterministic(*model);
  const auto t3 = Clock::now();
  if (auto written = bb::ir::write_file_atomic(argv[2], out); !written) {
    std::fprintf(stderr, "%s\n", written.error().message.c_str());
    return 2;
  }
  const auto t4 = Clock::now();
  std::printf("read %.6f parse %.6f serialize %.6f write %.6f total %.6f\n", seconds(t0, t1), seconds(t1, t2),
              seconds(t2, t3), seconds(t3, t4), seconds(t0, t4));
  return 0;
}
