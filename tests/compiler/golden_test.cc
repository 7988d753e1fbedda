// Golden files: the text dump of every compiled example matches tests/compiler/golden/.
// Regenerate with BB_UPDATE_GOLDEN=1 after an intended change (and review the diff).
#include <gtest/gtest.h>

#include <onnx/checker.h>

#include <algorithm>
#include <cstdlib>

#include "bb/compiler/pass.h"
#include "bb/compiler/text_dump.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const fs::path kExamples = fs::path(BB_SOURCE_DIR) / "examples";
const fs::path kGolden = fs::path(BB_SOURCE_DIR) / "tests/compiler/golden";

std::vector<std::string> examples() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kExamples)) {
    const auto ext = e.path().extension();
    if (ext == ".onnxtxt" || ext == ".py") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The model an example describes: the text file, or what its script writes.
onnx::ModelProto load_example(const std::string& name, const TempDir& dir) {
  fs::path path = kExamples / name;
  if (path.extension() == ".py") {
    const fs::path out = dir / (path.stem().string() + ".onnx");
    const auto run = testing::run_shell("/usr/bin/python3 " + testing::shell_quote(path.string()) + " " +
                                        testing::shell_quote(out.string()));
    if (run.exit_code != 0) throw std::runtime_error(name + ": " + run.err);
    path = out;
  }
  auto model = ir::load_model(path);
  if (!model) throw std::runtime_error(model.error().message);
  return std::move(*model);
}

// The dump without the version, so a version bump does not touch every golden file.
std::string versionless(std::string dump) {
  const std::string id = compiler_id();
  for (auto pos = dump.find(id); pos != std::string::npos; pos = dump.find(id, pos)) dump.replace(pos, id.size(), "bbc <version>");
  return dump;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, CompiledDumpMatches) {
  TempDir dir;
  auto model = load_example(GetParam(), dir);
  auto result = testing::compile(model, {}, GetParam());
  ASSERT_TRUE(result.ok()) << result.status.message;
  EXPECT_TRUE(result.findings.empty()) << format_text(result.findings[0]);
  auto out = testing::parse_bytes(result.bytes);
  EXPECT_NO_THROW(onnx::checker::check_model(out));
  const std::string dump = versionless(dump_model(out));
  const fs::path golden = kGolden / (fs::path(GetParam()).stem().string() + ".txt");
  if (std::getenv("BB_UPDATE_GOLDEN") != nullptr) testing::write_text(golden, dump);
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run with BB_UPDATE_GOLDEN=1";
  EXPECT_EQ(dump, testing::read_text(golden)) << "the dump of " << GetParam() << " changed";
}

INSTANTIATE_TEST_SUITE_P(Examples, Golden, ::testing::ValuesIn(examples()), [](const auto& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

// `--print-after all` on the ping-pong example: what each pass leaves, one golden per pass
// (tests/compiler/golden/passes/<pass>.txt), so a change in one pass shows where it is.
TEST(Golden, PrintAfterEachPassMatches) {
  TempDir dir;
  auto model = load_example("ping_pong.onnxtxt", dir);
  PassOptions options;
  options.print_after = "all";
  auto result = testing::compile(model, options, "ping_pong.onnxtxt");
  ASSERT_TRUE(result.ok()) << result.status.message;
  const std::string log = versionless(result.log);
  const std::string marker = "// ---- bbc: after pass ";
  std::size_t checked = 0;
  for (const auto& pass : registered_passes()) {
    const std::string head = marker + std::string(pass.name) + " ----\n";
    const auto start = log.find(head);
    ASSERT_NE(start, std::string::npos) << "no dump after " << pass.name;
    const auto end = log.find(marker, start + head.size());
    const std::string dump = log.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const fs::path golden = kGolden / "passes" / (std::string(pass.name) + ".txt");
    if (std::getenv("BB_UPDATE_GOLDEN") != nullptr) {
      fs::create_directories(golden.parent_path());
      testing::write_text(golden, dump);
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run with BB_UPDATE_GOLDEN=1";
    EXPECT_EQ(dump, testing::read_text(golden)) << "the dump after " << pass.name << " changed";
    ++checked;
  }
  EXPECT_EQ(checked, registered_passes().size());
}

TEST(Golden, EveryKindOfExampleExists) {
  const auto all = examples();
  EXPECT_GE(all.size(), 4u);
  EXPECT_TRUE(std::count(all.begin(), all.end(), "ping_pong.onnxtxt"));
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const auto& n) { return n.ends_with(".py"); }));
}

}  // namespace
}  // namespace bb::compiler
