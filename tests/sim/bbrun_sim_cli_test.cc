// `bbrun --sim` end to end on the demo deployment (examples/demo/), compiled with bbc as
// tools/demo.sh does: the metrics JSON against Appendix A and the demo's promises (a
// Python checker), the feedback-loop log, determinism, signals and errors.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "../support/tool_run.h"
#include "bb/ir/sha256.h"

namespace bb {
namespace {

namespace fs = std::filesystem;

const fs::path kDemo = fs::path(BB_SOURCE_DIR) / "examples" / "demo";
const std::string kChecker = std::string(BB_SOURCE_DIR) + "/tests/sim/check_demo_run.py";

using CliRun = testing::ToolRun;
using testing::slurp;

class BbrunSim : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bbrun_sim_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* graph : {"alice", "receiver"}) {
      const std::string cmd = std::string(BBC_PATH) + " compile " + (kDemo / (std::string(graph) + ".onnxtxt")).string() +
                              " -o " + (dir_ / (std::string(graph) + ".bb")).string() + " 2>" + (dir_ / "bbc.err").string();
      ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "bbc.err");
    }
    fs::copy_file(kDemo / "deploy.toml", dir_ / "deploy.toml");
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun bbrun(const std::string& args, const std::string& prefix = "") {
    return testing::run_captured(prefix + std::string(BBRUN_PATH) + " " + args, dir_);
  }
  std::string deploy() const { return (dir_ / "deploy.toml").string(); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // The Python checker's verdict: "" when the run holds.
  std::string check(const std::string& metrics, const std::string& trace) {
    const std::string cmd = "/usr/bin/python3 " + kChecker + " " + metrics + " " + trace + " >" + path("check.out");
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : slurp(path("check.out")) + " (checker failed)";
  }
  void edit_deploy(const std::string& from, const std::string& to) {
    std::string text = slurp(dir_ / "deploy.toml");
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(dir_ / "deploy.toml", std::ios::trunc) << text;
  }

  fs::path dir_;
};

// The README's transcript of `make run` (tools/demo.sh) is a real run: the demo is
// deterministic, so the run's stderr equals the block after the `== bbrun --sim` line
// tools/demo.sh echoes, with the deployment's path as `make run` writes it.
TEST_F(BbrunSim, ReadmeDemoTranscriptIsARealRun) {
  const std::string readme = slurp(fs::path(BB_SOURCE_DIR) / "README.md");
  const std::string where = "build/release/examples/demo";
  const std::string head = "== bbrun --sim " + where + "/deploy.toml --metrics " + where + "/metrics.json --trace " +
                           where + "/trace.jsonl\n";
  const auto start = readme.find(head);
  ASSERT_NE(start, std::string::npos) << "README.md has no transcript starting with " << head;
  const auto end = readme.find("```", start);
  ASSERT_NE(end, std::string::npos);
  const std::string transcript = readme.substr(start + head.size(), end - start - head.size());
  const auto r = bbrun("--sim " + deploy() + " --metrics " + path("m.json") + " --trace " + path("t.jsonl"));
  ASSERT_EQ(r.code, 0) << r.err;
  std::string err = r.err;
  for (auto at = err.find(dir_.string()); at != std::string::npos; at = err.find(dir_.string(), at))
    err.replace(at, dir_.string().size(), where);
  EXPECT_EQ(err, transcript) << "README.md's demo transcript is stale: paste the output of `make run`";
}

TEST_F(BbrunSim, DemoRunHoldsItsPromisesAndMatchesTheMetricsFormat) {
  const auto r = bbrun("--sim " + deploy() + " --metrics " + path("m.json") + " --trace " + path("t.jsonl"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(check(path("m.json"), path("t.jsonl")), "");
  // The summary: per node, the network totals, the trace hash.
  const std::string sha = sha256_hex(slurp(dir_ / "t.jsonl"));
  EXPECT_NE(r.err.find("== bbrun --sim " + deploy() + ": ran 12s (virtual time), seed 7, 4 nodes"), std::string::npos)
      << r.err;
  for (const char* node : {"== node id:alice", "== node id:bob", "== node id:carol", "== node id:dave", "== network: sent "})
    EXPECT_NE(r.err.find(node), std::string::npos) << node;
  EXPECT_NE(r.err.find("trace sha256: " + sha + "\n"), std::string::npos) << r.err;
  // The feedback loop, as it happened: bob's crash, cooldowns doubling, the restart, the recovery.
  const std::vector<std::string> story{"2.000s  id:bob crashed",
                                       "id:alice -> id:bob: unreachable, failure 1: cooldown 10ms",
                                       "id:alice -> id:bob: unreachable, failure 2: cooldown 20ms",
                                       "id:alice -> id:bob: unreachable, failure 3: cooldown 40ms",
                                       "id:alice -> id:bob: unreachable, failure 4: cooldown 80ms",
                                       "id:alice -> id:bob: unreachable, failure 5: cooldown 160ms",
                                       "cooldown 1s",
                                       "8.000s  id:bob restarted (incarnation 2)",
                                       "id:alice -> id:bob: delivered after ",
                                       "== sends per destination"};
  std::size_t at = 0;
  for (const auto& line : story) {
    const auto found = r.err.find(line, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << line << "\n" << r.err;
    at = found;
  }
  EXPECT_TRUE(std::regex_search(r.err, std::regex("id:alice -> id:carol +delivered \\d+")));
  EXPECT_TRUE(std::regex_search(r.err, std::regex("id:alice -> id:bob +delivered \\d+, unreachable \\d+, held \\d+ \\(cooldown\\)")))
      << r.err;
}

TEST_F(BbrunSim, TheCheckerNoticesADemoWithoutTheCrash) {
  edit_deploy("kind = \"crash\"", "kind = \"partition\"");
  edit_deploy("peers = [\"id:bob\"]", "peers = [\"id:dave\"]");
  const auto r = bbrun("--sim " + deploy() + " --metrics " + path("m.json") + " --trace " + path("t.jsonl"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(check(path("m.json"), path("t.jsonl")), "");
}

TEST_F(BbrunSim, SeedAndDurationFlagsOverrideTheFile) {
  const auto a = bbrun("--sim " + deploy() + " --metrics " + path("a.json"));
  const auto b = bbrun("--sim " + deploy() + " --seed 7 --metrics " + path("b.json"));
  const auto c = bbrun("--sim " + deploy() + " --seed 8 --metrics " + path("c.json"));
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(slurp(dir_ / "a.json"), slurp(dir_ / "b.json")) << "same seed, same run";
  EXPECT_NE(slurp(dir_ / "a.json"), slurp(dir_ / "c.json"));
  EXPECT_NE(c.err.find("seed 8"), std::string::npos);
  const auto d = bbrun("--sim " + deploy() + " --duration 1500ms --log-level warn");
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_NE(d.err.find("ran 1.5s (virtual time)"), std::string::npos) << d.err;
  EXPECT_EQ(d.err.find("info:"), std::string::npos) << "--log-level warn silences the timeline";
  EXPECT_NE(d.err.find("counter ticks_sent = 15"), std::string::npos) << d.err;
}

TEST_F(BbrunSim, StateFlagsOverrideTheFile) {
  const auto r = bbrun("--sim " + deploy() + " --backoff-cap 40ms --duration 3s");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("failure 3: cooldown 40ms"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failure 4: cooldown 40ms"), std::string::npos) << "capped at the flag's 40ms\n" << r.err;
}

TEST_F(BbrunSim, EnvelopeLimitFlagsReachTheReceivers) {
  auto r = bbrun("--sim " + deploy() + " --duration 1s --log-level warn");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("oversized"), std::string::npos) << "the defaults take the demo's envelopes\n" << r.err;
  r = bbrun("--sim " + deploy() + " --duration 1s --log-level warn --max-envelope-bytes 8");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("receives   accepted 0, oversized "), std::string::npos) << r.err;
  r = bbrun("--sim " + deploy() + " --max-envelope-payloads 0");
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST_F(BbrunSim, SigintStopsCleanlyWithSummary) {
  edit_deploy("duration = \"12s\"", "duration = \"1000h\"");
  const auto r = bbrun("--sim " + deploy() + " --metrics " + path("m.json") + " --log-level warn",
                       std::string(BB_SOURCE_DIR) + "/tests/support/signal_when_ready.sh INT ");
  EXPECT_EQ(r.code, 128 + SIGINT) << r.err;
  EXPECT_NE(r.err.find("stopped by signal 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("== network: sent "), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "m.json"));
}

TEST_F(BbrunSim, DeploymentErrorsExitTwoNamingTheLine) {
  edit_deploy("loss = 0.01", "loss = 1.5");
  const auto r = bbrun("--sim " + deploy());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("deploy.toml:19: network.loss: probability 1.5 is outside [0, 1]"), std::string::npos) << r.err;
  EXPECT_EQ(bbrun("--sim " + path("missing.toml")).code, 2);
}

TEST_F(BbrunSim, AGraphThatDoesNotLoadCitesItsNodeLine) {
  fs::remove(dir_ / "receiver.bb");
  const auto missing = bbrun("--sim " + deploy());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("deploy.toml:34: node[1].graph: "), std::string::npos) << missing.err;
  fs::copy_file(kDemo / "receiver.onnxtxt", dir_ / "receiver.bb");
  const auto uncompiled = bbrun("--sim " + deploy());
  EXPECT_EQ(uncompiled.code, 1);
  EXPECT_NE(uncompiled.err.find("deploy.toml:34: node[1].graph: "), std::string::npos) << uncompiled.err;
}

TEST_F(BbrunSim, SingleNodeFlagsAreUsageErrorsWithSim) {
  EXPECT_EQ(bbrun("--sim " + deploy() + " --peer id:x").code, 2);
  EXPECT_EQ(bbrun("--sim " + deploy() + " --executions 3").code, 2);
  EXPECT_EQ(bbrun("--sim " + deploy() + " " + path("alice.bb")).code, 2);
}

// The federated example (examples/federated/deploy.toml): a feeder sends a first model
// to three clients (examples/federated_client.py: a model-local training function,
// Relu), the server (examples/aggregation_round.onnxtxt: Aggregate, Mul, Add, Relu)
// averages their updates and sends the next model back: rounds of compute over the
// simulated network.
TEST_F(BbrunSim, FederatedExampleRunsRoundsOfCompute) {
  const fs::path examples = fs::path(BB_SOURCE_DIR) / "examples";
  const std::string err = " 2>" + path("build.err");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (examples / "federated_client.py").string() + " " +
                         path("federated_client.onnx") + err).c_str()),
            0)
      << slurp(dir_ / "build.err");
  for (const auto& [src, out] : {std::pair{path("federated_client.onnx"), "federated_client.bb"},
                                 {(examples / "aggregation_round.onnxtxt").string(), "aggregation_round.bb"},
                                 {(examples / "federated" / "feeder.onnxtxt").string(), "feeder.bb"}}) {
    const std::string cmd = std::string(BBC_PATH) + " compile " + src + " -o " + path(out) + err;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "build.err");
  }
  fs::copy_file(examples / "federated" / "deploy.toml", dir_ / "federated.toml");
  const auto r = bbrun("--sim " + path("federated.toml") + " --metrics " + path("m.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("failed"), std::string::npos) << r.err;
  // The clients log their updates with the values (Log prints tensors).
  EXPECT_TRUE(std::regex_search(r.err, std::regex("sent update: tensor float\\[4\\] \\[[0-9.]+, [0-9.]+, [0-9.]+, [0-9.]+\\]")))
      << r.err;
  // The server counted rounds: every three updates, one.
  std::smatch rounds;
  const std::string metrics = slurp(dir_ / "m.json");
  ASSERT_TRUE(std::regex_search(metrics, rounds, std::regex("\"rounds\": ?(\\d+)"))) << metrics;
  EXPECT_GE(std::stoi(rounds[1]), 3) << metrics;
}

}  // namespace
}  // namespace bb
