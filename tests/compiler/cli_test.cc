// The bbc binary: exit codes (docs/spec.md), where output goes, atomic writes.
#include <gtest/gtest.h>

#include "bb/compiler/codes.h"
#include "bb/ir/passport.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;
using testing::shell_quote;
using testing::TempDir;

constexpr std::string_view kPing = R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
ping () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
}
)";

testing::Run bbc(const std::string& args) { return run_shell(std::string(BBC_PATH) + " " + args); }

TEST(BbcCli, CompileWritesDefaultOutputAndIsIdempotent) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  auto run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(fs::exists(dir / "ping.bb"));
  const std::string first = testing::read_text(dir / "ping.bb");
  run = bbc("compile " + shell_quote((dir / "ping.bb").string()) + " -o " + shell_quote((dir / "again.bb").string()));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(testing::read_text(dir / "again.bb") == first);
  EXPECT_TRUE(run.err.empty()) << run.err;
}

TEST(BbcCli, OutputToStdout) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  auto run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " -o -");
  EXPECT_EQ(run.exit_code, 0);
  auto model = testing::parse_bytes(run.out);
  EXPECT_TRUE(ir::read_passport(model));
  EXPECT_EQ(dir.files().size(), 1u);  // nothing written next to the input
}

TEST(BbcCli, InputErrorsExitOneWithTheCompilerConvention) {
  TempDir dir;
  testing::write_text(dir / "bad.onnxtxt", R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.wire" : 1]>
bad () => () {
  = ai.bytesandbrains.wire.Send<peer = "id:">(nothing)
}
)");
  auto run = bbc("compile " + shell_quote((dir / "bad.onnxtxt").string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("bad.onnxtxt: node #0 (Send): error BB011: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("bad.onnxtxt: node #0 (Send): error BB004: input 'nothing' is never produced"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("[hint: "), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "bad.bb"));
}

TEST(BbcCli, WarningsAreShownAndExitZero) {
  TempDir dir;
  testing::write_text(dir / "w.onnxtxt", R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
w () => () {
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
}
)");
  auto run = bbc("compile " + shell_quote((dir / "w.onnxtxt").string()));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.err.find("warning BB016"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::exists(dir / "w.bb"));
}

TEST(BbcCli, NotAModelIsBB001ExitOne) {
  TempDir dir;
  testing::write_text(dir / "junk.onnx", "\x0a\xff\xff\xff\x0f garbage");
  auto run = bbc("compile " + shell_quote((dir / "junk.onnx").string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("junk.onnx: error BB001: "), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "junk.bb"));
}

TEST(BbcCli, LimitsAreBB001ExitOneAndFlagsRaiseThem) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  const std::string in = shell_quote((dir / "ping.onnxtxt").string());
  auto run = bbc("compile " + in + " --max-nodes 1");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("error BB001: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("over the limit of 1 (raise it with --max-nodes)"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "ping.bb"));
  run = bbc("lint " + in + " --max-nodes 1");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("error BB001: "), std::string::npos) << run.err;
  run = bbc("compile " + in + " --max-file-bytes 16");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("over the limit of 16 [hint: raise the limit with --max-file-bytes]"), std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dir / "ping.bb"));
  run = bbc("compile " + in + " --max-nodes 2 --max-attribute-bytes 64 --max-tensor-elements 1 --max-file-bytes 4096");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir / "ping.bb"));
  for (const char* bad : {"--max-nodes 0", "--max-file-bytes 4294967296", "--max-tensor-elements -1"}) {
    run = bbc("compile " + in + " " + bad);
    EXPECT_EQ(run.exit_code, 2) << bad << ": " << run.err;
  }
}

TEST(BbcCli, MissingInputIsExitTwo) {
  TempDir dir;
  auto run = bbc("compile " + shell_quote((dir / "missing.onnx").string()));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("missing.onnx"), std::string::npos);
  EXPECT_TRUE(dir.files().empty());
}

TEST(BbcCli, UnwritableOutputIsExitTwoAndLeavesNothing) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  fs::create_directory(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  auto run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " -o " +
                 shell_quote((dir / "ro/out.bb").string()));
  if (::geteuid() != 0) {  // root writes anywhere
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(fs::is_empty(dir / "ro"));
  }
  run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " -o " +
            shell_quote((dir / "no/such/dir/out.bb").string()));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("out.bb"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "no"));
}

TEST(BbcCli, SkipOfUnknownOrUnskippablePassIsExitTwoAndLeavesNothing) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  for (std::string pass : {"nope", "validate", "canonicalize", "verify-gates", "stamp-passport"}) {
    auto run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " --skip " + pass);
    EXPECT_EQ(run.exit_code, 2) << pass;
    EXPECT_NE(run.err.find("insert-dedup-gate-rx"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(dir / "ping.bb")) << pass;
  }
  auto run = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " --skip insert-dedup-gate-rx");
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(BbcCli, BadFlagsExitTwoHelpAndVersionZero) {
  EXPECT_EQ(bbc("compile --no-such-flag x.onnx").exit_code, 2);
  EXPECT_EQ(bbc("").exit_code, 2);
  auto help = bbc("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("compile"), std::string::npos);
  auto version = bbc("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, compiler_id() + "\n");
}

TEST(BbcCli, PassesListsNameTabDescription) {
  auto run = bbc("passes");
  EXPECT_EQ(run.exit_code, 0);
  std::string expected;
  for (const auto& p : registered_passes()) expected += std::string(p.name) + "\t" + std::string(p.description) + "\n";
  EXPECT_EQ(run.out, expected);
}

TEST(BbcCli, CodesListsTheCatalogue) {
  auto run = bbc("codes");
  EXPECT_EQ(run.exit_code, 0);
  std::string expected;
  for (const auto& c : code_catalog())
    expected += std::string(c.code) + "\t" + std::string(to_string(c.severity)) + "\t" + std::string(c.title) + "\n";
  EXPECT_EQ(run.out, expected);
}

TEST(BbcCli, DocsDiagnosticsMdIsGeneratedFromTheCatalogue) {
  auto run = bbc("codes --markdown");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, diagnostics_markdown());
  EXPECT_EQ(run.out, testing::read_text(fs::path(BB_SOURCE_DIR) / "docs/diagnostics.md"))
      << "docs/diagnostics.md is stale: regenerate it with `bbc codes --markdown > docs/diagnostics.md`";
  for (const auto& c : code_catalog()) {
    EXPECT_FALSE(c.doc.empty()) << c.code;
    EXPECT_NE(run.out.find("\n### " + std::string(c.code) + "\n"), std::string::npos) << c.code;
  }
}

TEST(BbcCli, TimePassesTextAndJsonOnStderr) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  auto text = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " --time-passes -o -");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.err.find("insert-backoff-gate-tx"), std::string::npos) << text.err;
  auto json = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " --time-passes=json -o " +
                  shell_quote((dir / "x.bb").string()));
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.err.rfind("{\"passes\": [{\"name\": \"validate\", \"seconds\": ", 0), 0u) << json.err;
  auto print = bbc("compile " + shell_quote((dir / "ping.onnxtxt").string()) + " --print-after all -o " +
                   shell_quote((dir / "y.bb").string()));
  EXPECT_NE(print.err.find("after pass stamp-passport"), std::string::npos);
}

TEST(BbcCli, InspectShowsOpsSendsAndPassport) {
  TempDir dir;
  testing::write_text(dir / "ping.onnxtxt", kPing);
  ASSERT_EQ(bbc("compile " + shell_quote((dir / "ping.onnxtxt").string())).exit_code, 0);
  auto run = bbc("inspect " + shell_quote((dir / "ping.bb").string()));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("ai.bytesandbrains.syscall 3\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Send 'Send_1': PeerHealthGateTx -> BackoffGateTx -> Send, peer id:bob"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("ai.bytesandbrains.compiled = v1"), std::string::npos);
  EXPECT_EQ(bbc("inspect " + shell_quote((dir / "none.bb").string())).exit_code, 2);
}

}  // namespace
}  // namespace bb::compiler
