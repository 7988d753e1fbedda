// The Chrome / Perfetto trace (`bbrun --trace-format chrome`): the sink on hand-made
// events (hostile node names, overlapping executions, replaced cooldowns), and whole
// runs, each file checked by check_chrome_trace.py against the Trace Event Format.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "bb/runtime/chrome_trace.h"
#include "observe_util.h"

namespace bb::runtime {
namespace {

using testing::run_in;
using testing::slurp;
using testing::TempDir;

const std::string kChecker = std::string(BB_SOURCE_DIR) + "/tests/observe/check_chrome_trace.py";

// The checker's verdict on `file`: "" when it holds.
std::string check(const std::filesystem::path& dir, const std::string& file, const std::string& extra = "") {
  const auto r = run_in(dir, "/usr/bin/python3 " + kChecker + " '" + file + "' " + extra);
  return r.code == 0 ? "" : r.out + r.err;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

TEST(ChromeTrace, WritesNothingUntilTheFirstEventAndAnEmptyListWithout) {
  std::ostringstream out;
  ChromeTrace trace(&out);
  EXPECT_EQ(out.str(), "");
  trace.finish(0);
  EXPECT_EQ(out.str(), "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n]}\n");
}

TEST(ChromeTrace, HostileNamesOverlapsAndCooldownsStayValid) {
  TempDir dir;
  const std::string node = "id:a \"quoted\" \\ name\n\xff\xfe";
  {
    std::ofstream file(dir / "t.json", std::ios::binary);
    ChromeTrace trace(&file);
    trace.execution_begin(0, node, 1, "tick\x01", "Interval");
    trace.write(TraceRecord{0, node, 1, "send", "Send", TraceEvent::kAttempt, "", "", "id:b\x7f", ""});
    trace.execution_begin(5'000, node, 2, "tick", "Interval");  // overlaps exec 1: a second lane
    trace.outcome(PeerOutcome{6'000, node, "id:b\x7f", OutcomeKind::kUnreachable, 1, 0, 16'000, false});
    trace.write(TraceRecord{6'000, node, 1, "send", "Send", TraceEvent::kOutcome, "unreachable", "", "id:b\x7f", ""});
    trace.execution_end(10'000, node, 1);
    trace.write(TraceRecord{12'000, node, 2, "gate", "BackoffGateTx", TraceEvent::kDeny, "", "cooldown", "id:b\x7f", ""});
    // A later failure replaces the cooldown before it ran out: the first slice is cut.
    trace.outcome(PeerOutcome{14'000, node, "id:b\x7f", OutcomeKind::kTimeout, 2, 1, 40'000, false});
    trace.execution_begin(15'000, node, 3, "tick", "Interval");  // lane 1 is free again
    trace.finish(30'000);                            // closes exec 2, 3 and the second cooldown
  }
  EXPECT_EQ(check(dir.path(), "t.json"), "");
  const std::string text = slurp(dir / "t.json");
  EXPECT_EQ(count(text, "\"ph\":\"X\""), 5u) << text;  // three executions, two cooldowns
  EXPECT_EQ(count(text, "\"name\":\"executions 2\""), 1u) << text;
  EXPECT_EQ(count(text, "\"cut\":true"), 2u) << text;
  EXPECT_NE(text.find("\"ts\":6.000,\"pid\":1,\"tid\":2,\"dur\":8.000,\"args\":{\"failures\":1,\"peer\":\"id:b\x7f\""), std::string::npos) << text;  // cut at 14 us
  EXPECT_NE(text.find("\\\"quoted\\\" \\\\ name\\n\\ufffd\\ufffd"), std::string::npos) << text;
  EXPECT_NE(text.find("{\"name\":\"tick\\u0001 (Interval)\",\"cat\":\"execution\",\"ph\":\"X\",\"ts\":0.000"), std::string::npos)
      << text;
}

class ChromeTraceRun : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::compile_demo(dir_.path())); }
  testing::CommandRun bbrun(const std::string& args) { return run_in(dir_.path(), std::string(BBRUN_PATH) + " " + args); }
  TempDir dir_;
};

std::string sha_of(const std::string& err) {
  std::smatch m;
  return std::regex_search(err, m, std::regex("trace sha256: ([0-9a-f]{64})")) ? m[1].str() : "";
}

TEST_F(ChromeTraceRun, SimulationTraceIsValidWithOneProcessPerNodeAndTheSameFingerprint) {
  const auto chrome = bbrun("--sim deploy.toml --trace t.json --trace-format chrome --log-level warn");
  ASSERT_EQ(chrome.code, 0) << chrome.err;
  EXPECT_EQ(check(dir_.path(), "t.json", "--expect-nodes 4"), "");
  const std::string text = slurp(dir_ / "t.json");
  EXPECT_NE(text.find("{\"name\":\"process_name\",\"cat\":\"__metadata\",\"ph\":\"M\",\"ts\":0.000,\"pid\":1,\"tid\":0,"
                      "\"args\":{\"name\":\"id:alice\"}}"),
            std::string::npos);
  EXPECT_NE(text.find("\"args\":{\"name\":\"peer id:bob\"}"), std::string::npos);
  EXPECT_GT(count(text, "\"cat\":\"cooldown\",\"ph\":\"X\""), 3u);  // bob is down from 2 s to 8 s
  EXPECT_GT(count(text, "\"name\":\"BackoffGateTx: cooldown\""), 0u);
  EXPECT_EQ(count(text, "\"name\":\"crashed\""), 1u);
  EXPECT_EQ(count(text, "\"name\":\"restarted\""), 1u);
  // The fingerprint is the JSONL form's, whatever the file's format; and it is stable.
  const auto jsonl = bbrun("--sim deploy.toml --trace t.jsonl --log-level warn");
  ASSERT_EQ(jsonl.code, 0) << jsonl.err;
  EXPECT_EQ(sha_of(chrome.err), sha_of(jsonl.err));
  EXPECT_FALSE(sha_of(chrome.err).empty());
  const auto again = bbrun("--sim deploy.toml --trace t2.json --trace-format chrome --log-level warn");
  EXPECT_EQ(slurp(dir_ / "t2.json"), text);
}

TEST_F(ChromeTraceRun, SingleNodeTraceIsValid) {
  const auto r = bbrun("alice.bb --peer id:alice --virtual-time --duration 1s --trace t.json --trace-format chrome");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(check(dir_.path(), "t.json", "--expect-nodes 1"), "");
  // No transport: every attempt is unreachable, then cooldowns hold the sends.
  const std::string text = slurp(dir_ / "t.json");
  EXPECT_GT(count(text, "\"name\":\"unreachable\""), 0u);
  EXPECT_GT(count(text, "\"cat\":\"cooldown\""), 0u);
  EXPECT_EQ(count(text, "\"cat\":\"execution\""), 10u);  // a tick every 100 ms in [0, 1 s)
}

TEST_F(ChromeTraceRun, FormatWithoutTraceIsAUsageError) {
  const auto r = bbrun("alice.bb --trace-format chrome");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--trace-format"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bb::runtime
