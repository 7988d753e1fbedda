// bbc lint (docs/diagnostics.md, docs/compiler.md, docs/spec.md): every finding of every file, sorted; text on
// stderr, JSON and SARIF on stdout; exit codes 0/1/2 and --werror; compiled-input checks
// on hand-edited .bb files; the testdata corpus lints clean.
#include "bb/compiler/lint.h"

#include <gtest/gtest.h>

#include "../support/testdata.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::ModelBuilder;
using testing::shell_quote;
using testing::TempDir;

testing::Run bbc(const std::string& args) { return testing::run_shell(std::string(BBC_PATH) + " " + args); }

const std::string kFormats = std::string(BB_SOURCE_DIR) + "/tests/lint/check_formats.py";

// A graph with several problems, each on a named node.
onnx::ModelProto several_problems() {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "bad_peer", "id:");                    // BB011
  b.send({}, "no_payload");                               // BB010
  b.send({"ghost"}, "dangling");                          // BB004
  b.sys(ir::kInterval, {}, {"t2"}, "no_period");          // BB008
  b.node("", "Frobnicate", {"tick"}, {"f"}, "unknown");   // BB003
  b.node("com.x", "Op", {"tick"}, {"g"}, "no_domain");    // BB002
  b.send({"late"}, "early");                              // BB016 (warning)
  b.tick("late", "late_tick");
  return b.model();
}

void save(const fs::path& path, const onnx::ModelProto& model) {
  auto saved = ir::save_model(path, model);
  ASSERT_TRUE(saved) << saved.error().message;
}

onnx::ModelProto compiled_ping() {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "send0");
  b.recv({"x", "from"}, "recv0");
  b.sys(ir::kLog, {"x", "from"}, {}, "log");
  auto result = testing::compile(b.model());
  EXPECT_TRUE(result.ok());
  return testing::parse_bytes(result.bytes);
}

int index_of(const onnx::GraphProto& graph, std::string_view name) {
  for (int i = 0; i < graph.node_size(); ++i)
    if (graph.node(i).name() == name) return i;
  return -1;
}

bool has(const LintReport& report, std::string_view code, std::string_view node) {
  for (const auto& f : report.findings)
    if (f.code == code && f.node == node) return true;
  return false;
}

std::string all(const LintReport& report) {
  std::string out;
  for (const auto& f : report.findings) out += format_text(f) + "\n";
  return out;
}

TEST(Lint, ReportsEveryProblemWithCodeAndNode) {
  TempDir dir;
  save(dir / "many.onnx", several_problems());
  const auto report = lint_files({(dir / "many.onnx").string()}, {});
  for (auto [code, node] : {std::pair{kBB011, "bad_peer"}, {kBB010, "no_payload"}, {kBB004, "dangling"},
                            {kBB008, "no_period"}, {kBB003, "unknown"}, {kBB002, "no_domain"}, {kBB016, "early"}})
    EXPECT_TRUE(has(report, code, node)) << code << " " << node << "\n" << all(report);
  EXPECT_EQ(report.warnings, 1u);
  EXPECT_EQ(report.errors, report.findings.size() - 1);

  auto run = bbc("lint " + shell_quote((dir / "many.onnx").string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(run.out.empty());
  EXPECT_NE(run.err.find("many.onnx: node 'bad_peer' (Send #1): error BB011: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("node 'early' (Send #7): warning BB016"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(std::to_string(report.errors) + " errors, 1 warning in 1 file\n"), std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dir / "many.bb"));  // lint never writes
}

// bbc lints one file on an arena it never frees (LintOptions::arena): the report is the
// same as on an arena of lint's own; a file given twice is linted once either way.
TEST(Lint, CallersArenaGivesTheSameReport) {
  TempDir dir;
  save(dir / "many.onnx", several_problems());
  const std::string path = (dir / "many.onnx").string();
  const auto own = lint_files({path}, {});
  google::protobuf::Arena arena;
  LintOptions options;
  options.arena = &arena;
  const auto kept = lint_files({path}, options);
  ASSERT_FALSE(own.findings.empty());
  EXPECT_EQ(all(kept), all(own));
  EXPECT_GT(arena.SpaceUsed(), 0u);  // the model was parsed into the caller's arena
  const auto twice = lint_files({path, path}, {});
  EXPECT_EQ(twice.files, 1u);
  EXPECT_EQ(all(twice), all(own));
}

TEST(Lint, SortedByFileThenNodeIndex) {
  TempDir dir;
  save(dir / "b.onnx", several_problems());
  save(dir / "a.onnx", several_problems());
  const auto report = lint_files({(dir / "b.onnx").string(), (dir / "a.onnx").string()}, {});
  EXPECT_EQ(report.files, 2u);
  for (std::size_t i = 1; i < report.findings.size(); ++i) {
    const auto& p = report.findings[i - 1];
    const auto& f = report.findings[i];
    ASSERT_LE(p.file, f.file);
    if (p.file == f.file) {
      EXPECT_LE(p.index.value_or(-1), f.index.value_or(-1)) << all(report);
    }
  }
  EXPECT_EQ(report.findings.front().file, (dir / "a.onnx").string());
}

TEST(Lint, JsonOnStdoutMatchesTheSchema) {
  TempDir dir;
  save(dir / "many.onnx", several_problems());
  ModelBuilder unnamed;
  unnamed.model().set_ir_version(9);  // a file-level finding
  unnamed.send({}, "");               // an unnamed node
  save(dir / "more.onnx", unnamed.model());
  auto run = bbc("lint --format json " + shell_quote((dir / "many.onnx").string()) + " " +
                 shell_quote((dir / "more.onnx").string()));
  EXPECT_EQ(run.exit_code, 1);
  testing::write_text(dir / "out.json", run.out);
  auto check = testing::run_shell("/usr/bin/python3 " + kFormats + " json < " + shell_quote((dir / "out.json").string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << run.out;
  EXPECT_NE(run.out.find("\"code\": \"BB009\", \"severity\": \"error\""), std::string::npos);
  EXPECT_NE(run.out.find("\"node\": null, \"op_type\": null, \"index\": null"), std::string::npos);
  EXPECT_NE(run.out.find("\"node\": null, \"op_type\": \"Send\", \"index\": 0"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"node\": \"bad_peer\", \"op_type\": \"Send\", \"index\": 1"), std::string::npos);
  EXPECT_NE(run.err.find("in 2 files"), std::string::npos);
}

// Node names are bytes: a name that is not UTF-8 (a stray byte, an overlong form, a
// surrogate) still gives valid JSON and SARIF, each bad byte written as U+FFFD.
TEST(Lint, MachineFormatsStayValidJsonForNonUtf8Names) {
  TempDir dir;
  ModelBuilder b;
  b.tick();
  const std::string name = std::string("bad\xff") + "\xc0\x80" + "\xed\xa0\x80" + "\"q\"\x01";
  b.send({"tick"}, name, "id:");  // BB011 names the node
  save(dir / "bytes.onnx", b.model());
  for (const char* format : {"json", "sarif"}) {
    auto run = bbc(std::string("lint --format ") + format + " " + shell_quote((dir / "bytes.onnx").string()));
    EXPECT_EQ(run.exit_code, 1) << format;
    testing::write_text(dir / "out.json", run.out);
    auto check = testing::run_shell("/usr/bin/python3 " + kFormats + " " + format + " < " +
                                    shell_quote((dir / "out.json").string()));
    EXPECT_EQ(check.exit_code, 0) << format << ": " << check.out << run.out;
    EXPECT_NE(run.out.find("bad\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\\"q\\\"\\u0001"), std::string::npos)
        << format << ": " << run.out;
  }
}

TEST(Lint, SarifHasEveryFieldAndOneRulePerCode) {
  TempDir dir;
  save(dir / "many.onnx", several_problems());
  save(dir / "again.onnx", several_problems());
  auto run = bbc("lint --format sarif " + shell_quote((dir / "many.onnx").string()) + " " +
                 shell_quote((dir / "again.onnx").string()));
  EXPECT_EQ(run.exit_code, 1);
  testing::write_text(dir / "out.sarif", run.out);
  auto check =
      testing::run_shell("/usr/bin/python3 " + kFormats + " sarif < " + shell_quote((dir / "out.sarif").string()));
  EXPECT_EQ(check.exit_code, 0) << check.out << run.out;
  EXPECT_NE(run.out.find("\"logicalLocations\": [{\"name\": \"bad_peer\", \"kind\": \"function\"}]"),
            std::string::npos);
  // A file outside the working folder: a file: URI (inside it, a relative one: tests/compiler/everyday_test.cc).
  EXPECT_NE(run.out.find("\"uri\": " + std::string("\"file://") + (dir / "many.onnx").string() + "\""), std::string::npos)
      << run.out;
  // Each code used once in the rules although both files use it.
  std::size_t rules = 0;
  for (auto pos = run.out.find("{\"id\": \"BB011\""); pos != std::string::npos;
       pos = run.out.find("{\"id\": \"BB011\"", pos + 1))
    ++rules;
  EXPECT_EQ(rules, 1u);
}

TEST(Lint, HandEditedCompiledFiles) {
  TempDir dir;
  const auto clean = compiled_ping();
  save(dir / "clean.bb", clean);
  EXPECT_TRUE(lint_files({(dir / "clean.bb").string()}, {}).findings.empty());

  {  // remove a gate: BackoffGateTx@send0 gone, the Send reads the PeerHealth outputs
    auto m = clean;
    auto* g = m.mutable_graph();
    const int bo = index_of(*g, "BackoffGateTx@send0");
    const int send = index_of(*g, "send0");
    g->mutable_node(send)->set_input(0, g->node(bo).input(0));
    g->mutable_node()->DeleteSubrange(bo, 1);
    save(dir / "removed.bb", m);
    const auto r = lint_files({(dir / "removed.bb").string()}, {});
    EXPECT_TRUE(has(r, kBB012, "send0")) << all(r);
    bool digest = false;
    for (const auto& f : r.findings) digest = digest || (f.code == kBB020 && f.file_level());
    EXPECT_TRUE(digest) << all(r);
  }
  {  // reorder the chain: the Send is fed by PeerHealth, which is fed by Backoff
    auto m = clean;
    auto* g = m.mutable_graph();
    auto* ph = g->mutable_node(index_of(*g, "PeerHealthGateTx@send0"));
    auto* bo = g->mutable_node(index_of(*g, "BackoffGateTx@send0"));
    ph->set_op_type(std::string(ir::kBackoffGateTx));
    bo->set_op_type(std::string(ir::kPeerHealthGateTx));
    save(dir / "reordered.bb", m);
    const auto r = lint_files({(dir / "reordered.bb").string()}, {});
    EXPECT_TRUE(has(r, kBB013, "send0")) << all(r);
  }
  {  // change a gate's peer
    auto m = clean;
    auto* g = m.mutable_graph();
    ir::stamp_peer(*g->mutable_node(index_of(*g, "BackoffGateTx@send0")), PeerId::from_text("id:mallory")->bytes());
    save(dir / "peer.bb", m);
    const auto r = lint_files({(dir / "peer.bb").string()}, {});
    EXPECT_TRUE(has(r, kBB013, "send0")) << all(r);
    bool names_mallory = false;
    for (const auto& f : r.findings) names_mallory = names_mallory || f.message.find("id:mallory") != std::string::npos;
    EXPECT_TRUE(names_mallory) << all(r);
  }
  {  // alter the graph after the digest: a Recv consumer bypasses the rx chain
    auto m = clean;
    auto* g = m.mutable_graph();
    g->mutable_node(index_of(*g, "log"))->set_input(0, "x");
    save(dir / "bypass.bb", m);
    const auto r = lint_files({(dir / "bypass.bb").string()}, {});
    bool digest = false;
    for (const auto& f : r.findings) digest = digest || (f.code == kBB020 && f.file_level());
    EXPECT_TRUE(digest) << all(r);
    EXPECT_TRUE(has(r, kBB014, "recv0")) << all(r);
  }
  {  // a .bb without passport
    ModelBuilder b;
    b.tick();
    save(dir / "plain.bb", b.model());
    const auto r = lint_files({(dir / "plain.bb").string()}, {});
    ASSERT_EQ(r.findings.size(), 1u);
    EXPECT_EQ(r.findings[0].code, kBB020);
  }
}

TEST(Lint, ExitCodes) {
  TempDir dir;
  ModelBuilder clean;
  clean.tick();
  clean.send({"tick"}, "s");
  save(dir / "clean.onnx", clean.model());
  ModelBuilder warn;
  warn.send({"tick"}, "s");
  warn.tick();
  save(dir / "warn.onnx", warn.model());
  ModelBuilder unnamed;
  unnamed.tick("t", "");
  save(dir / "note.onnx", unnamed.model());
  save(dir / "error.onnx", several_problems());
  const auto p = [&](const char* name) { return shell_quote((dir / name).string()); };

  EXPECT_EQ(bbc("lint " + p("clean.onnx")).exit_code, 0);
  EXPECT_EQ(bbc("lint " + p("warn.onnx")).exit_code, 0);
  EXPECT_EQ(bbc("lint --werror " + p("warn.onnx")).exit_code, 1);
  auto note = bbc("lint --pedantic --werror " + p("note.onnx"));
  EXPECT_EQ(note.exit_code, 0);  // notes never fail
  EXPECT_NE(note.err.find("note BB030"), std::string::npos) << note.err;
  EXPECT_EQ(bbc("lint " + p("note.onnx")).err.find("BB030"), std::string::npos);
  EXPECT_EQ(bbc("lint " + p("clean.onnx") + " " + p("error.onnx")).exit_code, 1);
  auto io = bbc("lint " + p("error.onnx") + " " + p("missing.onnx"));
  EXPECT_EQ(io.exit_code, 2);  // an I/O error wins over input errors
  EXPECT_NE(io.err.find("missing.onnx"), std::string::npos);
  EXPECT_NE(io.err.find("BB011"), std::string::npos);  // the other file is still linted
  testing::write_text(dir / "junk.onnx", "junk");
  auto junk = bbc("lint " + p("junk.onnx"));
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find("error BB001"), std::string::npos);
  EXPECT_EQ(bbc("lint --format xml " + p("clean.onnx")).exit_code, 2);
  EXPECT_EQ(bbc("lint").exit_code, 0);  // no input: an empty report (a valid empty SARIF log)
  EXPECT_EQ(dir.files().size(), 5u);  // nothing written
}

TEST(Lint, OnnxTestDataHasNoErrors) {
  const auto models = bb::testing::onnx_testdata_models();
  ASSERT_EQ(models.size(), 1072u);
  const auto report = lint_files(models, {});
  EXPECT_EQ(report.files, 1072u);
  EXPECT_TRUE(report.io_errors.empty());
  EXPECT_EQ(report.errors, 0u) << all(report);
  EXPECT_EQ(report.warnings, 0u) << all(report);
}

}  // namespace
}  // namespace bb::compiler
