// bbrun end to end: the CLI contract (docs/runtime.md, docs/spec.md).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/sha256.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/tensor_proto.h"
#include "engine_harness.h"
#include "../support/tool_run.h"

namespace bb::testing {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kMs = runtime::kMillisecond;

class BbrunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bbrun_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ToolRun invoke(const std::string& args, const std::string& prefix = "") {
    return run_captured(prefix + std::string(BBRUN_PATH) + " " + args, dir_);
  }
  fs::path write(const std::string& name, const onnx::ModelProto& m) {
    const fs::path p = dir_ / name;
    EXPECT_TRUE(ir::save_model(p, m));
    return p;
  }
  fs::path write_text(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

onnx::ModelProto interval_send() {
  GraphBuilder g;
  auto& tick = g.syscall(ir::kInterval, "tick", {}, {"t"});
  GraphBuilder::set_int(tick, ir::kAttrPeriodNs, 1 * kMs);
  g.gated_send("Send_1", "t", "bob");
  return g.compiled();
}

std::vector<std::int64_t> attempt_times(const std::string& jsonl) {
  std::vector<std::int64_t> out;
  for (const auto& t : parse_trace(jsonl))
    if (t.event == "attempt") out.push_back(t.t_ns);
  return out;
}

const std::vector<std::int64_t> kSchedule{0, 10 * kMs, 30 * kMs, 70 * kMs, 150 * kMs, 310 * kMs, 630 * kMs};

TEST_F(BbrunCli, ListOpsPrintsTheRegistry) {
  const auto r = invoke("--list-ops");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, runtime::registry::list_text());
  EXPECT_NE(r.out.find(std::string(ir::kSyscallDomain) + "\t" + std::string(ir::kBackoffGateTx) + "\tgate\tbuilt-in\n"),
            std::string::npos);
  EXPECT_NE(r.out.find(std::string(ir::kWireDomain) + "\t" + std::string(ir::kSend) + "\teffect\tbuilt-in\n"),
            std::string::npos);
}

TEST_F(BbrunCli, DocsOpsMdIsGeneratedFromTheRegistry) {
  const auto r = invoke("--list-ops --markdown");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, slurp(fs::path(BB_SOURCE_DIR) / "docs/ops.md"))
      << "docs/ops.md is stale: regenerate it with `bbrun --list-ops --markdown > docs/ops.md`";
}

TEST_F(BbrunCli, IntervalSendBacksOffAndHoldsTicksWithCooldown) {
  const auto bb = write("g.bb", interval_send());
  const auto r = invoke(bb.string() + " --virtual-time --duration 1s --metrics " + (dir_ / "m.json").string() +
                     " --trace " + (dir_ / "t.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string trace = slurp(dir_ / "t.jsonl");
  EXPECT_EQ(attempt_times(trace), kSchedule);
  std::size_t cooldowns = 0;
  for (const auto& t : parse_trace(trace))
    if (t.event == "deny") {
      EXPECT_EQ(t.op_type, ir::kBackoffGateTx);
      EXPECT_EQ(t.reason, "cooldown");
      ++cooldowns;
    }
  EXPECT_EQ(cooldowns, 993u);
  const std::string metrics = slurp(dir_ / "m.json");
  EXPECT_NE(metrics.find("\"id:local\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\"executions\": 1000"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\"unreachable\": 7"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\"BackoffGateTx\": {\"allowed\": 7, \"cooldown\": 993}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("{\"peer\": \"id:bob\", \"failures\": 7, \"next_retry_ns\": 1270000000, \"down\": true}"),
            std::string::npos)
      << metrics;
  const std::string sha = sha256_hex(trace);
  EXPECT_NE(metrics.find("\"trace_sha256\": \"" + sha + "\""), std::string::npos);
  EXPECT_NE(r.err.find("trace sha256: " + sha), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gate BackoffGateTx"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("id:bob"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(BbrunCli, SameSeedSameTraceHash) {
  const auto bb = write("g.bb", interval_send());
  const std::string args = bb.string() + " --virtual-time --duration 300ms --backoff-jitter full --seed 3 --trace ";
  const auto a = invoke(args + (dir_ / "a.jsonl").string());
  const auto b = invoke(args + (dir_ / "b.jsonl").string());
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(slurp(dir_ / "a.jsonl"), slurp(dir_ / "b.jsonl"));
}

TEST_F(BbrunCli, ExecutionsLimit) {
  const auto bb = write("g.bb", interval_send());
  const auto r = invoke(bb.string() + " --virtual-time --executions 25 --metrics " + (dir_ / "m.json").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(slurp(dir_ / "m.json").find("\"executions\": 25,"), std::string::npos);
}

TEST_F(BbrunCli, FlagsWinOverConfigFile) {
  const auto bb = write("g.bb", interval_send());
  const auto cfg = write_text("c.toml", "[backoff]\nbase = \"20ms\"\ncap = \"1s\"\n[governor]\nthreshold = 3\n");
  auto r = invoke(bb.string() + " --virtual-time --duration 200ms --config " + cfg.string() + " --trace " +
               (dir_ / "a.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(attempt_times(slurp(dir_ / "a.jsonl")), (std::vector<std::int64_t>{0, 20 * kMs, 60 * kMs, 140 * kMs}));
  r = invoke(bb.string() + " --virtual-time --duration 200ms --config " + cfg.string() + " --backoff-base 10ms --trace " +
          (dir_ / "b.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(attempt_times(slurp(dir_ / "b.jsonl")), (std::vector<std::int64_t>{0, 10 * kMs, 30 * kMs, 70 * kMs, 150 * kMs}));
}

TEST_F(BbrunCli, BlocklistDeniesAtTheHealthGate) {
  const auto bb = write("g.bb", interval_send());
  const auto r = invoke(bb.string() + " --virtual-time --duration 5ms --blocklist id:bob --metrics " +
                     (dir_ / "m.json").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(slurp(dir_ / "m.json").find("\"PeerHealthGateTx\": {\"allowed\": 0, \"blocklisted\": 5}"),
            std::string::npos)
      << slurp(dir_ / "m.json");
}

TEST_F(BbrunCli, UnknownConfigKeyIsAUsageErrorNamingLineAndKey) {
  const auto bb = write("g.bb", interval_send());
  const auto cfg = write_text("c.toml", "[backoff]\nbase = \"20ms\"\nbsae = \"1s\"\n");
  const auto r = invoke(bb.string() + " --virtual-time --config " + cfg.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("c.toml:3: backoff.bsae: unknown key"), std::string::npos) << r.err;
}

// Settings that size memory are bounded where they are parsed: a dedup window of 10^11
// used to abort the node with bad_alloc.
TEST_F(BbrunCli, DedupSizesAreBoundedInFlagsAndConfig) {
  const auto bb = write("g.bb", interval_send());
  auto r = invoke(bb.string() + " --virtual-time --executions 1 --dedup-window 100000000000");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--dedup-window"), std::string::npos) << r.err;
  r = invoke(bb.string() + " --virtual-time --executions 1 --dedup-max-streams 0");
  EXPECT_EQ(r.code, 2) << r.err;
  const auto cfg = write_text("c.toml", "[dedup]\nwindow = 100000000000\n");
  r = invoke(bb.string() + " --virtual-time --executions 1 --config " + cfg.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("c.toml:2: dedup.window: 100000000000 is outside [1, 65536]"), std::string::npos) << r.err;
  r = invoke(bb.string() + " --virtual-time --executions 1 --dedup-window 65536 --dedup-max-streams 1048576");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(BbrunCli, ModelLimitsExitOneAndFlagsRaiseThem) {
  const auto bb = write("g.bb", interval_send());
  auto r = invoke(bb.string() + " --virtual-time --executions 1 --max-nodes 1");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("over the limit of 1 (raise it with --max-nodes)"), std::string::npos) << r.err;
  r = invoke(bb.string() + " --virtual-time --executions 1 --max-file-bytes 8");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("over the limit of 8"), std::string::npos) << r.err;
  r = invoke(bb.string() + " --virtual-time --executions 1 --max-nodes 1000 --max-attribute-bytes 1024 "
                           "--max-tensor-elements 16 --max-envelope-bytes 4096 --max-envelope-payloads 2");
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* bad : {"--max-nodes 0", "--max-envelope-bytes 0", "--max-file-bytes 4294967296"}) {
    r = invoke(bb.string() + " --virtual-time --executions 1 " + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
  }
}

TEST_F(BbrunCli, LoadErrorsExitOne) {
  GraphBuilder g;
  g.syscall(ir::kPulse, "p", {}, {"t"});
  const auto raw = write("raw.bb", g.raw());
  auto r = invoke(raw.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not compiled: run 'bbc compile graph.onnx' first"), std::string::npos) << r.err;

  auto tampered = interval_send();
  tampered.mutable_graph()->mutable_node(0)->set_name("changed");
  const auto t = write("t.bb", tampered);
  r = invoke(t.string() + " --virtual-time --duration 1ms");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
  r = invoke(t.string() + " --virtual-time --duration 1ms --no-verify");
  EXPECT_EQ(r.code, 0) << r.err;

  GraphBuilder u;
  u.node("", "Frobnicate", "r", {"x"}, {"y"});  // ops no build has a kernel for
  u.node("", "Frobnicate", "r2", {"y"}, {"z"});
  auto* in = u.raw().mutable_graph()->add_input();
  in->set_name("x");
  const auto ub = write("u.bb", u.compiled());
  r = invoke(ub.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("node 'r' (Frobnicate #0)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("node 'r2' (Frobnicate #1)"), std::string::npos) << r.err;
}

// y = Relu(x) with x and y float[3]: --inputs, --outputs, and a graph input left empty.
TEST_F(BbrunCli, InputsAndOutputsFolders) {
  GraphBuilder g;
  g.node(ir::kOnnxDomain, "Relu", "relu", {"x"}, {"y"});
  for (auto* v : {g.raw().mutable_graph()->add_input(), g.raw().mutable_graph()->add_output()}) {
    v->set_name(v == &g.raw().graph().input(0) ? "x" : "y");
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(3);
  }
  const auto bb = write("relu.bb", g.compiled());
  const std::vector<float> x{-1.5f, 0.0f, 2.5f};
  onnx::TensorProto input = runtime::to_proto(runtime::Tensor::vector<float>(x));
  input.set_name("x");
  fs::create_directories(dir_ / "in");
  std::ofstream(dir_ / "in" / "input_0.pb", std::ios::binary) << input.SerializeAsString();

  auto r = invoke(bb.string() + " --virtual-time --inputs " + (dir_ / "in").string() + " --outputs " +
                  (dir_ / "out").string());
  ASSERT_EQ(r.code, 0) << r.err;
  onnx::TensorProto output;
  std::ifstream file(dir_ / "out" / "output_0.pb", std::ios::binary);
  ASSERT_TRUE(output.ParseFromIstream(&file));
  EXPECT_EQ(output.name(), "y");
  auto y = runtime::from_proto(output);
  ASSERT_TRUE(y) << y.error();
  const std::vector<float> expected{0.0f, 0.0f, 2.5f};
  EXPECT_TRUE(*y == runtime::Tensor::vector<float>(expected));

  input.set_name("not_x");
  std::ofstream(dir_ / "in" / "input_0.pb", std::ios::binary | std::ios::trunc) << input.SerializeAsString();
  r = invoke(bb.string() + " --virtual-time --inputs " + (dir_ / "in").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("is named 'not_x' but graph input 0 is 'x'"), std::string::npos) << r.err;

  r = invoke(bb.string() + " --virtual-time");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("graph input 'x': error: no value given and no initializer"), std::string::npos) << r.err;
}

TEST_F(BbrunCli, UsageErrorsExitTwo) {
  EXPECT_EQ(invoke("").code, 2);
  EXPECT_EQ(invoke("--no-such-flag").code, 2);
  EXPECT_EQ(invoke((dir_ / "missing.bb").string()).code, 2);
  EXPECT_EQ(invoke("x.bb --duration 5parsecs").code, 2);
  EXPECT_EQ(invoke("x.bb --backoff-jitter wobbly").code, 2);
  EXPECT_EQ(invoke("--help").code, 0);
  const auto v = invoke("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("bbrun "), std::string::npos);
}

TEST_F(BbrunCli, SigtermStopsCleanlyWithSummary) {
  const auto bb = write("g.bb", interval_send());
  const auto r = invoke(bb.string() + " --metrics " + (dir_ / "m.json").string(), std::string(BB_SOURCE_DIR) + "/tests/support/signal_when_ready.sh TERM ");
  EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("stopped by signal 15"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gate BackoffGateTx"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "m.json"));
}

#ifdef BBC_PATH
// Through both CLIs: bbc compiles the Interval → Send graph, bbrun runs it.
TEST_F(BbrunCli, CompiledByBbcEndToEnd) {
  const fs::path src = fs::path(BB_SOURCE_DIR) / "tests/runtime/data/interval_send.onnxtxt";
  const fs::path bb = dir_ / "interval_send.bb";
  const std::string compile = std::string(BBC_PATH) + " compile " + src.string() + " -o " + bb.string() + " 2>" +
                              (dir_ / "bbc.err").string();
  ASSERT_EQ(std::system(compile.c_str()), 0) << slurp(dir_ / "bbc.err");
  const auto r = invoke(bb.string() + " --virtual-time --duration 1s --metrics " + (dir_ / "m.json").string() +
                     " --trace " + (dir_ / "t.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string trace = slurp(dir_ / "t.jsonl");
  EXPECT_EQ(attempt_times(trace), kSchedule);
  std::size_t cooldowns = 0, attempts = 0;
  for (const auto& t : parse_trace(trace)) {
    if (t.event == "deny") {
      EXPECT_EQ(t.reason, "cooldown");
      EXPECT_EQ(t.peer, "id:bob");
      ++cooldowns;
    }
    if (t.event == "outcome") {
      EXPECT_EQ(t.outcome, "unreachable");
      ++attempts;
    }
  }
  EXPECT_EQ(cooldowns, 993u);
  EXPECT_EQ(attempts, 7u);
  const std::string metrics = slurp(dir_ / "m.json");
  EXPECT_NE(metrics.find("\"attempts\": {\"delivered\": 0, \"unreachable\": 7, \"timeout\": 0, \"rejected\": 0, \"advised\": 0}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\"BackoffGateTx\": {\"allowed\": 7, \"cooldown\": 993}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\"PeerHealthGateTx\": {\"allowed\": 1000}"), std::string::npos) << metrics;
}
#endif

}  // namespace
}  // namespace bb::testing
