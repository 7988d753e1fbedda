// tools/bb-plot on a simulator run of the demo: the three pictures (with accuracy
// records written as a federated run reports them) are PNG files of 1200 x 500 pixels;
// from a JSONL trace without records it writes the two others and says why not the third.
#include <gtest/gtest.h>

#include <cstdint>

#include "observe_util.h"

namespace bb {
namespace {

using testing::run_in;
using testing::slurp;
using testing::TempDir;

const std::string kPlot = "/usr/bin/python3 " + std::string(BB_SOURCE_DIR) + "/tools/bb-plot";

struct PngSize {
  std::uint32_t width = 0, height = 0;
};

// The size in the IHDR chunk, {0, 0} when the file is not a PNG.
PngSize png_size(const std::string& bytes) {
  static const std::string kSignature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, kSignature) != 0 || bytes.compare(12, 4, "IHDR") != 0) return {};
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

class Plots : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::compile_demo(dir_.path())); }
  void expect_picture(const std::string& name) {
    const PngSize size = png_size(slurp(dir_ / name));
    EXPECT_EQ(size.width, 1200u) << name;
    EXPECT_EQ(size.height, 500u) << name;
  }
  TempDir dir_;
};

TEST_F(Plots, ThreePicturesFromAChromeTracedSimulationWithAccuracyRecords) {
  const auto run = run_in(dir_.path(), std::string(BBRUN_PATH) +
                                           " --sim deploy.toml --metrics m.json --trace t.json --trace-format chrome"
                                           " --log-level warn");
  ASSERT_EQ(run.code, 0) << run.err;
  testing::write_file(dir_ / "accuracy.jsonl",
                      "{\"node\": \"id:server\", \"round\": 1, \"accuracy\": 0.5}\n"
                      "{\"node\": \"id:server\", \"round\": 2, \"accuracy\": 0.7}\n"
                      "{\"node\": \"id:server\", \"round\": 3, \"accuracy\": 0.8}\n");
  const auto plot = run_in(dir_.path(), kPlot + " --metrics m.json --trace t.json --accuracy accuracy.jsonl --out pics");
  ASSERT_EQ(plot.code, 0) << plot.err;
  EXPECT_EQ(plot.out, "pics/cooldowns.png\npics/attempts.png\npics/accuracy.png\n");
  for (const char* name : {"pics/cooldowns.png", "pics/attempts.png", "pics/accuracy.png"}) expect_picture(name);
}

TEST_F(Plots, FromAJsonlTraceAccuracyRecordsInTheTraceCount) {
  const auto run = run_in(dir_.path(), std::string(BBRUN_PATH) +
                                           " --sim deploy.toml --metrics m.json --trace t.jsonl --log-level warn");
  ASSERT_EQ(run.code, 0) << run.err;
  auto plot = run_in(dir_.path(), kPlot + " --metrics m.json --trace t.jsonl --out a");
  ASSERT_EQ(plot.code, 0) << plot.err;
  EXPECT_EQ(plot.out, "a/cooldowns.png\na/attempts.png\n");
  EXPECT_NE(plot.err.find("no accuracy records"), std::string::npos) << plot.err;
  expect_picture("a/cooldowns.png");
  // Records of the convention inside the JSONL trace are read too.
  testing::write_file(dir_ / "t.jsonl", slurp(dir_ / "t.jsonl") + "{\"round\": 1, \"accuracy\": 0.25}\n");
  plot = run_in(dir_.path(), kPlot + " --metrics m.json --trace t.jsonl --out b");
  ASSERT_EQ(plot.code, 0) << plot.err;
  expect_picture("b/accuracy.png");
}

TEST_F(Plots, BadInputsAreUsageErrors) {
  testing::write_file(dir_ / "bad.json", "{not json");
  const auto plot = run_in(dir_.path(), kPlot + " --metrics bad.json --trace missing.jsonl --out x");
  EXPECT_EQ(plot.code, 2);
  EXPECT_NE(plot.err.find("--metrics bad.json: not JSON"), std::string::npos) << plot.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
}

}  // namespace
}  // namespace bb
