// The everyday path, as a new user walks it: the mistakes everybody makes with bbc and
// bbrun, each refused or explained where it is made. One test (or a few) per item of
// the issue that collected them; each failed on the tree before the fix.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "bb/ir/duration.h"
#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
#include "bb/ir/suggest.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;
using testing::shell_quote;
using testing::TempDir;

constexpr std::string_view kHeader =
    R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
)";

std::string graph(std::string_view body) {
  return std::string(kHeader) + "g () => () {\n" + std::string(body) + "}\n";
}

testing::Run bbc(const std::string& args) { return run_shell(std::string(BBC_PATH) + " " + args); }
testing::Run bbrun(const std::string& args) { return run_shell(std::string(BBRUN_PATH) + " " + args); }

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

class Everyday : public ::testing::Test {
 protected:
  std::string file(const std::string& name, std::string_view text) {
    testing::write_text(dir_ / name, text);
    return shell_quote((dir_ / name).string());
  }
  std::string path(const std::string& name) const { return shell_quote((dir_ / name).string()); }
  bool exists(const std::string& name) const { return fs::exists(dir_ / name); }
  TempDir dir_;
};

// ---- 1. compile and lint refuse what bbrun refuses ----------------------------------------

TEST_F(Everyday, UnknownAttributeOfABbOpIsAnErrorWithDidYouMean) {
  const auto g = file("typo.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 50000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", chanel = "count">(tick)
)"));
  for (const char* command : {"compile ", "lint "}) {
    const auto run = bbc(command + g);
    EXPECT_EQ(run.exit_code, 1) << command << run.err;
    EXPECT_TRUE(has(run.err, "error BB008: Send has no attribute 'chanel' (did you mean 'channel'?) [hint: rename it to channel]"))
        << run.err;
  }
  EXPECT_FALSE(exists("typo.bb"));
}

TEST_F(Everyday, RangesAndChoicesTheKernelsCheckAreCheckedAtCompileTime) {
  const auto g = file("ranges.onnxtxt", graph(R"(  a = ai.bytesandbrains.syscall.Interval<period_ns = 0>()
  b = ai.bytesandbrains.syscall.Interval<period_ns = -5>()
  = ai.bytesandbrains.syscall.Log<level = "loud">(a, b)
  = ai.bytesandbrains.wire.Send<peer = "id:bob", deadline_ns = -1>(a)
)"));
  const auto run = bbc("compile " + g);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(has(run.err, "error BB008: Interval attribute 'period_ns' = 0 is out of range: it must be at least 1"))
      << run.err;
  EXPECT_TRUE(has(run.err, "Interval attribute 'period_ns' = -5 is out of range")) << run.err;
  EXPECT_TRUE(has(run.err, "Log attribute 'level' = 'loud' is not one of trace, debug, info, warn, error")) << run.err;
  EXPECT_TRUE(has(run.err, "Send attribute 'deadline_ns' = -1 is out of range: it must be at least 0")) << run.err;
  EXPECT_FALSE(exists("ranges.bb"));
}

TEST(EverydayTable, TheOneDeclarationDrivesTheCheck) {
  // The op table's declaration is what both bbc and bbrun's loader read.
  const auto* interval = ir::find_bb_op(ir::kSyscallDomain, ir::kInterval);
  ASSERT_NE(interval, nullptr);
  const auto* period = ir::find_attr_spec(*interval, ir::kAttrPeriodNs);
  ASSERT_NE(period, nullptr);
  EXPECT_EQ(period->min, 1);
  EXPECT_EQ(ir::describe_constraint(*period), "at least 1");
  onnx::NodeProto node;
  node.set_domain(std::string(ir::kSyscallDomain));
  node.set_op_type(std::string(ir::kLog));
  auto* level = node.add_attribute();
  level->set_name(std::string(ir::kAttrLevel));
  level->set_type(onnx::AttributeProto::STRING);
  level->set_s("wran");
  const auto problems = ir::check_node_attributes(*ir::find_bb_op(ir::kSyscallDomain, ir::kLog), node);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, ir::AttrProblem::Kind::kValue);
  EXPECT_TRUE(has(problems[0].message, "(did you mean 'warn'?)")) << problems[0].message;
}

TEST_F(Everyday, AggregateQuorumRuleIsCheckedAtCompileTime) {
  const auto g = file("agg.onnxtxt", graph(R"(  x, from = ai.bytesandbrains.wire.Recv<channel = "u">()
  m = ai.bytesandbrains.syscall.Aggregate<count = 2, quorum = 3, timeout_ns = 1000>(x)
  = ai.bytesandbrains.syscall.Log(m)
)"));
  const auto run = bbc("lint " + g);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "Aggregate attribute 'quorum' = 3 is out of range [1, count = 2]")) << run.err;
}

// ---- 2. the CLI as people type it -------------------------------------------------------

constexpr std::string_view kPingBody = R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
  x, from = ai.bytesandbrains.wire.Recv()
  = ai.bytesandbrains.syscall.Log(x)
)";

TEST_F(Everyday, FlagsBeforeTheInputWork) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  auto run = bbc("compile --skip insert-dedup-gate-rx " + g);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(exists("ping.bb"));
  const auto inspected = bbc("inspect " + path("ping.bb"));
  EXPECT_TRUE(has(inspected.out, "Recv -> PeerHealthGateRx -> BackoffGateRx\n")) << inspected.out;
  run = bbc("compile --time-passes " + g + " -o " + path("timed.bb"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "validate")) << run.err;
  EXPECT_TRUE(exists("timed.bb"));
  run = bbc("compile --time-passes=json " + g + " -o -");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "{")) << run.err;
}

TEST_F(Everyday, AMistypedSubcommandIsNamedWithASuggestion) {
  const auto run = bbc("compil x.onnx");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(has(run.err, "bbc: error: unknown command 'compil' (did you mean 'compile'?)")) << run.err;
  EXPECT_EQ(bbc("--help").exit_code, 0);
}

TEST_F(Everyday, LintDoesNotCountAnUnreadableFileAsLinted) {
  const auto g = file("ok.onnxtxt", graph(kPingBody));
  const auto run = bbc("lint " + g + " " + path("missing.onnx"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(has(run.err, "0 errors, 0 warnings in 1 file")) << run.err;
}

TEST_F(Everyday, BbrunChecksMetricsAndTracePathsBeforeTheRun) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  ASSERT_EQ(bbc("compile " + g).exit_code, 0);
  const auto run = bbrun(path("ping.bb") + " --virtual-time --duration 1s --metrics " + path("no/such/m.json"));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(has(run.err, "--metrics")) << run.err;
  EXPECT_TRUE(has(run.err, "does not exist")) << run.err;
  EXPECT_FALSE(has(run.err, "ran ")) << "refused before the run\n" << run.err;
  const auto trace = bbrun(path("ping.bb") + " --virtual-time --duration 1s --trace " + shell_quote(dir_.path().string()));
  EXPECT_EQ(trace.exit_code, 2) << trace.err;
  EXPECT_TRUE(has(trace.err, "is a folder")) << trace.err;
}

// ---- 3. messages that point at the fix -----------------------------------------------

TEST_F(Everyday, OpTypeTypoGetsDidYouMean) {
  const auto g = file("op.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Intervl<period_ns = 5>()
  y = Relo(tick)
)"));
  const auto run = bbc("lint " + g);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "unknown op 'Intervl' in domain 'ai.bytesandbrains.syscall' (not a bb op) (did you mean 'Interval'?)"))
      << run.err;
}

TEST_F(Everyday, DomainTypoSuggestsTheKnownDomain) {
  // Imported under the typo: not taken for a team's own domain.
  const auto imported = file("imported.onnxtxt", R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wrie" : 1]>
g () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 5>()
  = ai.bytesandbrains.wrie.Send<peer = "id:bob">(tick)
}
)");
  auto run = bbc("lint " + imported);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(has(run.err, "error BB003: domain 'ai.bytesandbrains.wrie' of op 'Send' is not a domain bb or ONNX knows "
                           "(did you mean 'ai.bytesandbrains.wire'?)"))
      << run.err;
  // Not imported: the hint names the known domain instead of importing the typo.
  const auto plain = file("plain.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 5>()
  = ai.bytesandbrains.wrie.Send<peer = "id:bob">(tick)
)"));
  run = bbc("lint " + plain);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "did you mean 'ai.bytesandbrains.wire'?")) << run.err;
  EXPECT_FALSE(has(run.err, "add \"ai.bytesandbrains.wrie\"")) << run.err;
}

TEST_F(Everyday, AFileWithoutHeaderIsToldOnce) {
  const auto g = file("bare.onnxtxt", R"(g () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 5>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
  = ai.bytesandbrains.syscall.Log(tick)
}
)");
  const auto run = bbc("lint " + g);
  EXPECT_EQ(run.exit_code, 1);
  std::size_t count = 0;
  for (std::size_t at = run.err.find("BB002"); at != std::string::npos; at = run.err.find("BB002", at + 1)) ++count;
  EXPECT_EQ(count, 1u) << run.err;
  EXPECT_TRUE(has(run.err, "start the file with <ir_version: 8, opset_import: [")) << run.err;
}

TEST_F(Everyday, MissingNameAttributeMentionsMakeNodesName) {
  const auto g = file("metric.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 5>()
  = ai.bytesandbrains.syscall.IncrMetric(tick)
)"));
  const auto run = bbc("lint " + g);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "IncrMetric needs attribute 'name' (STRING)")) << run.err;
  EXPECT_TRUE(has(run.err, "onnx.helper.make_node's name= sets the node's name, not this attribute")) << run.err;
}

TEST_F(Everyday, AChangedBbNamesTheUsualCulprit) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  ASSERT_EQ(bbc("compile " + g).exit_code, 0);
  // What onnx.checker.check_model(path, full_check=True) does to a file: a value_info added.
  auto model = testing::parse_bytes(testing::read_text(dir_ / "ping.bb"));
  auto* info = model.mutable_graph()->add_value_info();
  info->set_name("tick");
  info->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::INT64);
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  testing::write_text(dir_ / "ping.bb", bytes);
  const auto run = bbc("lint " + path("ping.bb"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "the graph was changed after compiling")) << run.err;
  EXPECT_TRUE(has(run.err, "onnx.checker.check_model(path, full_check=True)")) << run.err;
}

TEST_F(Everyday, InspectOfAnUncompiledFileSaysSo) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  const auto run = bbc("inspect " + g);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out.rfind("not compiled: ", 0), 0u) << run.out;
}

TEST_F(Everyday, BbrunOnAFolderSaysSoInWords) {
  const auto run = bbrun(shell_quote(dir_.path().string()));
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(has(run.err, "is a folder, not a file; give the compiled graph (.bb) to run")) << run.err;
}

TEST_F(Everyday, CompileOntoAFolderSaysSoInWords) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  fs::create_directory(dir_.path() / "out");
  const auto run = bbc("compile " + g + " -o " + path("out"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(has(run.err, "out: is a folder; give the path of the .bb file to write (e.g. ")) << run.err;
  EXPECT_TRUE(has(run.err, "ping.bb)")) << run.err;
}

// ---- 4. an empty file is not a program -----------------------------------------------

TEST_F(Everyday, AnEmptyFileIsRefusedWithNoOutput) {
  const auto empty = file("empty.onnx", "");
  auto run = bbc("compile " + empty);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(has(run.err, "error BB001: the model has no graph")) << run.err;
  EXPECT_FALSE(exists("empty.bb"));
  run = bbc("lint " + empty);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(has(run.err, "BB001")) << run.err;
}

// ---- 5. logs a person can read ---------------------------------------------------------

TEST(EverydayTime, OneHumanFormatForLogs) {
  EXPECT_EQ(format_time(1'000'086'257), "1.000s");
  EXPECT_EQ(format_time(2'993'320), "2.993ms");
  EXPECT_EQ(format_time(12'000'000'000), "12s");
  EXPECT_EQ(format_time(1'500'000'000), "1.5s");
  EXPECT_EQ(format_time(10'000'000), "10ms");
  EXPECT_EQ(format_time(1'500), "1.5us");
  EXPECT_EQ(format_time(12), "12ns");
  EXPECT_EQ(format_time(0), "0s");
}

TEST_F(Everyday, LogLinesNameThePeerAndUseHumanTimes) {
  const auto g = file("log.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 2993320, count = 2>()
  = ai.bytesandbrains.syscall.Log<message = "hello">(tick)
)"));
  ASSERT_EQ(bbc("compile " + g).exit_code, 0);
  const auto run = bbrun(path("log.bb") + " --peer id:alice --virtual-time --duration 10ms");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "[id:alice #1 t=2.993ms exec=2] hello: timestamp 2.993ms")) << run.err;
  EXPECT_FALSE(std::regex_search(run.err, std::regex("t=[0-9]{4,}ns"))) << "no raw nanoseconds\n" << run.err;
  EXPECT_TRUE(has(run.err, ": ran 2.993ms (virtual time)")) << run.err;
}

TEST_F(Everyday, APartitionIsLoggedAsACrashIs) {
  const auto a = file("alice.onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "t">(tick)
)"));
  const auto b = file("bob.onnxtxt", graph(R"(  x, from = ai.bytesandbrains.wire.Recv<channel = "t">()
  = ai.bytesandbrains.syscall.IncrMetric<name = "got">(x)
)"));
  ASSERT_EQ(bbc("compile " + a).exit_code, 0);
  ASSERT_EQ(bbc("compile " + b).exit_code, 0);
  file("deploy.toml", R"([run]
duration = "2s"

[[node]]
peer = "id:alice"
graph = "alice.bb"

[[node]]
peer = "id:bob"
graph = "bob.bb"

[[fault]]
at = "500ms"
kind = "partition"
peers = ["id:bob"]
for = "1s"
)");
  const auto run = bbrun("--sim " + path("deploy.toml"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "info: 0.500s  partition begins: id:bob cut off from the rest")) << run.err;
  EXPECT_TRUE(has(run.err, "info: 1.500s  partition heals: id:bob reconnected to the rest")) << run.err;
  EXPECT_FALSE(has(run.err, "crashed")) << run.err;
}

// ---- 6. inspect shows each Recv with its rx gate chain ---------------------------------

TEST_F(Everyday, InspectShowsRecvsWithTheirRxChain) {
  const auto g = file("ping.onnxtxt", graph(kPingBody));
  ASSERT_EQ(bbc("compile " + g).exit_code, 0);
  const auto run = bbc("inspect " + path("ping.bb"));
  EXPECT_TRUE(has(run.out, "recvs:\n  Recv 'Recv_2': channel \"\", 1 payload(s): Recv -> DedupGateRx -> "
                           "PeerHealthGateRx -> BackoffGateRx\n"))
      << run.out;
}

// ---- 7. SARIF that code scanning takes as it is ------------------------------------------

TEST_F(Everyday, SarifHasFingerprintsLinesEncodedUrisInvocationsAndHelpUris) {
  const auto bad = file("my graph #1 (copy).onnxtxt", graph(R"(  tick = ai.bytesandbrains.syscall.Interval<period_ns = 0>()
  = ai.bytesandbrains.wire.Send<peer = "id:">(tick)
  = ai.bytesandbrains.wire.Send<peer = "id:bob", chanel = "x">(tick)
)"));
  const auto run = run_shell("cd " + shell_quote(dir_.path().string()) + " && " + BBC_PATH +
                             " lint --format sarif 'my graph #1 (copy).onnxtxt' missing.onnx");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  const std::string& log = run.out;
  EXPECT_TRUE(has(log, "\"uri\": \"my%20graph%20%231%20%28copy%29.onnxtxt\"")) << log;
  EXPECT_TRUE(has(log, "\"startLine\": 3}")) << "Interval's line\n" << log;
  EXPECT_TRUE(has(log, "\"startLine\": 4}")) << "the first Send's line\n" << log;
  EXPECT_TRUE(has(log, "\"startLine\": 5}")) << "the second Send's line\n" << log;
  EXPECT_TRUE(has(log, "\"executionSuccessful\": false")) << log;
  EXPECT_TRUE(has(log, "\"toolExecutionNotifications\": [\n      {\"level\": \"error\"")) << log;
  EXPECT_TRUE(has(log, "\"uri\": \"missing.onnx\"")) << log;
  EXPECT_TRUE(has(log, "docs/diagnostics.md#bb008\"")) << log;
  EXPECT_TRUE(has(log, "\"informationUri\": \"https://")) << log;
  std::set<std::string> prints;
  std::size_t results = 0;
  const std::regex print("\"bbFinding/v1\": \"([0-9a-f:]+)\"");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), print); it != std::sregex_iterator(); ++it, ++results)
    prints.insert((*it)[1]);
  EXPECT_GE(results, 3u) << log;
  EXPECT_EQ(prints.size(), results) << "one fingerprint per finding\n" << log;
  // Stable: the same findings give the same fingerprints on another run.
  const auto again = run_shell("cd " + shell_quote(dir_.path().string()) + " && " + BBC_PATH +
                               " lint --format sarif 'my graph #1 (copy).onnxtxt'");
  for (const auto& p : prints) EXPECT_TRUE(has(again.out, p)) << p;
  // Valid JSON whatever the input.
  testing::write_text(dir_ / "log.sarif", log);
  EXPECT_EQ(run_shell("/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' " + path("log.sarif")).exit_code, 0);
  (void)bad;
}

TEST_F(Everyday, SarifWithNoInputIsAValidEmptyLog) {
  const auto run = bbc("lint --format sarif");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  testing::write_text(dir_ / "empty.sarif", run.out);
  const auto parsed = run_shell("/usr/bin/python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); "
                                "assert l[\"runs\"][0][\"results\"] == [], l; "
                                "assert l[\"runs\"][0][\"invocations\"][0][\"executionSuccessful\"] is True' " +
                                path("empty.sarif"));
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err << run.out;
}

// ---- 9. checks across a deployment ---------------------------------------------------------

constexpr std::string_view kSender = R"(  tick, k = ai.bytesandbrains.syscall.Interval<period_ns = 50000000, count = 5>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "count">(k)
  = ai.bytesandbrains.wire.Send<peer = "id:carl", channel = "count">(k)
)";
constexpr std::string_view kReceiver = R"(  n, from = ai.bytesandbrains.wire.Recv<channel = "cuont">()
  = ai.bytesandbrains.syscall.IncrMetric<name = "counts">(n)
)";

TEST_F(Everyday, LintChecksADeploymentsChannelsAndPeers) {
  file("alice.onnxtxt", graph(kSender));
  file("bob.onnxtxt", graph(kReceiver));
  file("deploy.toml", "[[node]]\npeer = \"id:alice\"\ngraph = \"alice.onnxtxt\"\n\n[[node]]\npeer = \"id:bob\"\ngraph = "
                      "\"bob.onnxtxt\"\n");
  auto run = bbc("lint --werror " + path("deploy.toml"));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(has(run.err, "warning BB032: Send to id:bob on channel \"count\", but the graph of id:bob has no Recv on "
                           "that channel (it listens on 'cuont') (did you mean 'cuont'?): every envelope ends rejected"))
      << run.err;
  EXPECT_TRUE(has(run.err, "warning BB034: Send to id:carl, a peer that is not in the deployment")) << run.err;
  EXPECT_TRUE(has(run.err, "warning BB033: Recv on channel \"cuont\", but no Send in the deployment sends on it (they "
                           "send on 'count') (did you mean 'count'?)"))
      << run.err;
  EXPECT_TRUE(has(run.err, "in 2 files")) << run.err;
  // The graphs given together: the channels, without peers.
  run = bbc("lint --together " + path("alice.onnxtxt") + " " + path("bob.onnxtxt"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "BB032: Send on channel \"count\", but no Recv in the graphs linted together listens on it"))
      << run.err;
  EXPECT_FALSE(has(run.err, "BB034")) << run.err;
  // Each on its own (no --together): no cross-file findings.
  run = bbc("lint " + path("alice.onnxtxt") + " " + path("bob.onnxtxt"));
  EXPECT_FALSE(has(run.err, "BB032")) << run.err;
}

TEST_F(Everyday, APayloadCountAcrossFilesIsReportedBeforeTheRun) {
  file("alice.onnxtxt", graph(R"(  tick, k = ai.bytesandbrains.syscall.Interval<period_ns = 50000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "count">(tick, k)
)"));
  file("bob.onnxtxt", graph(R"(  n, from = ai.bytesandbrains.wire.Recv<channel = "count">()
  = ai.bytesandbrains.syscall.IncrMetric<name = "counts">(n)
)"));
  const auto run = bbc("lint --together " + path("alice.onnxtxt") + " " + path("bob.onnxtxt"));
  EXPECT_TRUE(has(run.err, "warning BB015: Send carries 2 payload(s) on channel \"count\", but the Recvs of that channel "
                           "in the graphs linted together take 1"))
      << run.err;
}

TEST_F(Everyday, ARejectionCarriesTheReceiversReasonIntoTheSendersLogMetricsAndTrace) {
  const auto a = file("alice.onnxtxt", graph(kSender));
  const auto b = file("bob.onnxtxt", graph(kReceiver));
  ASSERT_EQ(bbc("compile " + a).exit_code, 0);
  ASSERT_EQ(bbc("compile " + b).exit_code, 0);
  file("deploy.toml", "[run]\nduration = \"1s\"\n\n[[node]]\npeer = \"id:alice\"\ngraph = \"alice.bb\"\n\n[[node]]\n"
                      "peer = \"id:bob\"\ngraph = \"bob.bb\"\n");
  const auto run = bbrun("--sim " + path("deploy.toml") + " --metrics " + path("m.json") + " --trace " + path("t.jsonl"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(has(run.err, "id:alice: id:bob rejected a Send: no_recv: no Recv on channel 'count'")) << run.err;
  EXPECT_TRUE(has(run.err, "id:alice -> id:bob: rejected (no_recv), failure 1")) << run.err;
  EXPECT_TRUE(has(testing::read_text(dir_ / "m.json"), "\"no_recv\"")) << testing::read_text(dir_ / "m.json");
  EXPECT_TRUE(has(testing::read_text(dir_ / "t.jsonl"), "no_recv"));
}

// ---- 10. ops people reached for --------------------------------------------------------

TEST_F(Everyday, IntervalCountsItsTicksAndConstantReemitsOnATrigger) {
  const auto g = file("counter.onnxtxt", graph(R"(  tick, k = ai.bytesandbrains.syscall.Interval<period_ns = 50000000, count = 3>()
  v = ai.bytesandbrains.syscall.Constant<value_string = "hi">(tick)
  = ai.bytesandbrains.syscall.Log<message = "tick">(k, v)
)"));
  ASSERT_EQ(bbc("compile " + g).exit_code, 0);
  const auto run = bbrun(path("counter.bb") + " --virtual-time --duration 1s");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  for (const char* line : {"tick: int64 0, string \"hi\"", "tick: int64 1, string \"hi\"", "tick: int64 2, string \"hi\""})
    EXPECT_TRUE(has(run.err, line)) << line << "\n" << run.err;
}

}  // namespace
}  // namespace bb::compiler
