// Inputs that cannot blow up compile time or output size (docs/security.md): wire-op
// names made unique in linear time, gate keys of bounded length (BB022), the compiled
// model held to --max-output-bytes (BB021) and never past protobuf's 2 GiB.
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bb/compiler/codes.h"
#include "bb/compiler/compile.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::compile;
using testing::ModelBuilder;
using testing::run_shell;
using testing::shell_quote;
using testing::TempDir;

// 40,000 Sends named `s` took 53 s to compile: each collision tried every suffix from ~2
// up (n²/2 probes). Now the suffixes continue where the last one of the same name stopped.
TEST(OutputBounds, SameNamedSendsAreRenamedInLinearTime) {
  constexpr int kSends = 40'000;
  ModelBuilder b;
  b.tick("t", "tick");
  b.send({"t"}, "s~3");  // a name the suffixes must step over
  for (int i = 0; i < kSends; ++i) b.send({"t"}, "s");
  // CPU time, not wall time: the machine may be busy. Linear: ≈ 0.3 s; quadratic: ≈ 50 s.
  const std::clock_t start = std::clock();
  auto out = compile(b.model());
  const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  ASSERT_TRUE(out.ok()) << out.status.message;
  EXPECT_LT(seconds, 10.0) << "quadratic renaming is back";
  const auto model = testing::parse_bytes(out.bytes);
  std::vector<std::string> sends;
  for (const auto& n : model.graph().node())
    if (ir::is_send(n)) sends.push_back(n.name());
  ASSERT_EQ(sends.size(), kSends + 1u);
  EXPECT_EQ(sends[0], "s~3");
  EXPECT_EQ(sends[1], "s");
  EXPECT_EQ(sends[2], "s~2");
  EXPECT_EQ(sends[3], "s~4");
  EXPECT_EQ(sends[4], "s~5");
  EXPECT_EQ(sends.back(), "s~" + std::to_string(kSends + 1));
}

// A Recv with many outputs and a long name: each of its three gates repeats the name in
// every value it defines (a 40 KB model compiled to 401 MB).
onnx::ModelProto wide_recv(std::size_t name_bytes, int outputs) {
  ModelBuilder b;
  auto& recv = b.recv({}, std::string(name_bytes, 'r'));
  for (int j = 0; j < outputs; ++j) recv.add_output("o" + std::to_string(j));
  auto& log = b.sys(ir::kLog, {}, {}, "log");
  for (int j = 0; j < outputs; ++j) log.add_input("o" + std::to_string(j));
  return b.model();
}

TEST(OutputBounds, WireOpNamesLongerThanAGateKeyAreBB022) {
  auto out = compile(wide_recv(ir::kMaxGateKeyBytes + 1, 2));
  EXPECT_EQ(out.status.kind, PassStatus::Kind::kInputErrors);
  const Finding* f = out.find(kBB022);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("the name is 1025 bytes long"), std::string::npos) << f->message;
  EXPECT_TRUE(out.bytes.empty());
  EXPECT_TRUE(compile(wide_recv(ir::kMaxGateKeyBytes, 2)).ok());
}

TEST(OutputBounds, OutputOverTheLimitIsBB021AndNothingIsWritten) {
  const auto model = wide_recv(1000, 200);  // 200 outputs × 3 gates × ~1 KB
  auto fits = compile(model);
  ASSERT_TRUE(fits.ok());
  ASSERT_GT(fits.bytes.size(), 600'000u);
  PassOptions options;
  // The gates' names alone go past the limit: stopped while inserting them.
  options.max_output_bytes = 100'000;
  auto out = compile(model, options);
  EXPECT_EQ(out.status.kind, PassStatus::Kind::kInputErrors);
  const Finding* f = out.find(kBB021);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("the gates alone would add more than 100000 bytes"), std::string::npos) << f->message;
  EXPECT_TRUE(out.bytes.empty());
  // Just under the whole size: the gates fit, the model does not (stamp-passport).
  options.max_output_bytes = fits.bytes.size() - 1000;
  out = compile(model, options);
  f = out.find(kBB021);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("the compiled model would be "), std::string::npos) << f->message;
  // One byte short of the exact size: the passport's bytes count too.
  options.max_output_bytes = fits.bytes.size() - 1;
  out = compile(model, options);
  EXPECT_NE(out.find(kBB021), nullptr);
  EXPECT_TRUE(out.bytes.empty());
  options.max_output_bytes = fits.bytes.size();
  out = compile(model, options);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.bytes, fits.bytes);

  // To a file: nothing is left behind.
  TempDir dir;
  for (std::uint64_t limit : {std::uint64_t{100'000}, fits.bytes.size() - 1}) {
    auto copy = model;
    DiagnosticEngine diags("test.onnx");
    std::ostringstream log;
    PassOptions o;
    o.max_output_bytes = limit;
    auto written = compile_model_to_file(copy, "test.onnx", o, diags, log, dir / "out.bb");
    EXPECT_EQ(written.status.kind, PassStatus::Kind::kInputErrors) << limit;
    EXPECT_FALSE(fs::exists(dir / "out.bb")) << limit;
    EXPECT_TRUE(fs::is_empty(dir.path())) << "no temporary file either";
  }
}

testing::Run bbc(const std::string& args) { return run_shell(std::string(BBC_PATH) + " " + args); }

// `-o -` of a model past the limit wrote unreadable bytes and exited 0 (past 2 GiB);
// now it is BB021, exit 1, nothing on stdout, and no flag goes past protobuf's ceiling.
TEST(OutputBounds, BbcRefusesAnOutputOverTheLimit) {
  TempDir dir;
  {
    const auto model = wide_recv(1000, 200);
    std::ofstream out(dir / "wide.onnx", std::ios::binary);
    model.SerializeToOstream(&out);
  }
  const std::string in = shell_quote((dir / "wide.onnx").string());
  auto run = bbc("compile " + in + " -o - --max-output-bytes 100000");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(run.out.empty());
  EXPECT_NE(run.err.find("error BB021: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("(raise it with --max-output-bytes)"), std::string::npos) << run.err;
  run = bbc("compile " + in + " --max-output-bytes 100000");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_FALSE(fs::exists(dir / "wide.bb"));
  run = bbc("compile " + in + " --max-output-bytes 2147483648");
  EXPECT_EQ(run.exit_code, 2) << "over protobuf's ceiling: " << run.err;
  run = bbc("compile " + in + " --max-output-bytes 2147483647");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir / "wide.bb"));
}

}  // namespace
}  // namespace bb::compiler
