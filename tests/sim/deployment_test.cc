// The deployment file (docs/simulation.md): every field read, every error kind with the
// file, line and key it names.
#include "bb/sim/deployment.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace bb::sim {
namespace {

using Kind = DeploymentError::Kind;

std::string lines(std::initializer_list<std::string_view> text) {
  std::string out;
  for (std::string_view line : text) {
    out += line;
    out += '\n';
  }
  return out;
}

PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

constexpr std::string_view kNodes = "[[node]]\npeer = \"id:alice\"\ngraph = \"alice.bb\"\n";

DeploymentError error_of(const std::string& text) {
  auto d = parse_deployment(text, "/deploy/sim.toml");
  EXPECT_FALSE(d.has_value()) << text;
  return d ? DeploymentError{} : d.error();
}

void expect_error(const std::string& text, Kind kind, std::uint32_t line, std::string_view key) {
  const DeploymentError e = error_of(text);
  EXPECT_EQ(to_string(e.kind), to_string(kind)) << describe(e);
  EXPECT_EQ(e.line, line) << describe(e);
  EXPECT_EQ(e.key, key) << describe(e);
  EXPECT_EQ(e.file, "/deploy/sim.toml");
}

TEST(Deployment, ReadsTheAppendixExample) {
  const std::string text = lines({
      "[run]",                                     // 1
      "duration = \"30s\"",                        // 2
      "seed = 7",                                  // 3
      "[network]",                                 // 4
      "latency = \"5ms\"",                         // 5
      "loss = 0.25",                               // 6
      "duplicate = 0",                             // 7
      "[backoff]",                                 // 8
      "base = \"10ms\"",                           // 9
      "cap = \"60s\"",                             // 10
      "jitter = \"full\"",                         // 11
      "[governor]",                                // 12
      "threshold = 5",                             // 13
      "blocklist = [\"id:mallory\"]",              // 14
      "allowlist = []",                            // 15
      "[dedup]",                                   // 16
      "window = 8192",                             // 17
      "ttl = \"120s\"",                            // 18
      "[send]",                                    // 19
      "timeout = \"1.5s\"",                        // 20
      "[[node]]",                                  // 21
      "peer = \"id:alice\"",                       // 22
      "graph = \"alice.bb\"",                      // 23
      "[[node]]",                                  // 24
      "peer = \"id:bob\"",                         // 25
      "graph = \"graphs/../bob.bb\"",              // 26
      "[[fault]]",                                 // 27
      "at = \"2s\"",                               // 28
      "kind = \"crash\"",                          // 29
      "peers = [\"id:bob\"]",                      // 30
      "for = \"5s\"",                              // 31
      "[[fault]]",                                 // 32
      "at = \"1s\"",                               // 33
      "kind = \"partition\"",                      // 34
      "peers = [\"id:alice\", \"id:bob\"]",        // 35
  });
  auto d = parse_deployment(text, "/deploy/sim.toml");
  ASSERT_TRUE(d) << describe(d.error());
  EXPECT_EQ(d->duration_ns, 30 * kSecond);
  EXPECT_EQ(d->seed, 7u);
  EXPECT_EQ(d->latency, Latency::fixed(5 * kMillisecond));
  EXPECT_DOUBLE_EQ(d->loss, 0.25);
  EXPECT_DOUBLE_EQ(d->duplicate, 0.0);
  EXPECT_EQ(d->settings.backoff_base_ns, 10 * kMillisecond);
  EXPECT_EQ(d->settings.backoff_cap_ns, 60 * kSecond);
  EXPECT_EQ(d->settings.backoff_jitter, runtime::Jitter::kFull);
  EXPECT_EQ(d->settings.governor_threshold, 5u);
  ASSERT_TRUE(d->settings.blocklist);
  EXPECT_EQ(*d->settings.blocklist, std::vector<PeerId>{peer("mallory")});
  ASSERT_TRUE(d->settings.allowlist);
  EXPECT_TRUE(d->settings.allowlist->empty());
  EXPECT_EQ(d->settings.dedup_window, 8192u);
  EXPECT_EQ(d->settings.dedup_ttl_ns, 120 * kSecond);
  EXPECT_EQ(d->settings.send_timeout_ns, 1'500'000'000);
  ASSERT_EQ(d->nodes.size(), 2u);
  EXPECT_EQ(d->nodes[0].peer, peer("alice"));
  EXPECT_EQ(d->nodes[0].graph, std::filesystem::path("/deploy/alice.bb"));
  EXPECT_EQ(d->nodes[0].line, 21u);
  EXPECT_EQ(d->nodes[1].graph, std::filesystem::path("/deploy/bob.bb"));
  ASSERT_EQ(d->faults.size(), 2u);
  EXPECT_EQ(d->faults[0].kind, FaultKind::kCrash);
  EXPECT_EQ(d->faults[0].at_ns, 2 * kSecond);
  EXPECT_EQ(d->faults[0].for_ns, 5 * kSecond);
  EXPECT_EQ(d->faults[0].peers, std::vector<PeerId>{peer("bob")});
  EXPECT_EQ(d->faults[1].kind, FaultKind::kPartition);
  EXPECT_FALSE(d->faults[1].for_ns.has_value()) << "no `for`: to the end";
  EXPECT_EQ(d->faults[1].peers.size(), 2u);

  const NetworkConfig config = d->network_config();
  EXPECT_EQ(config.seed, 7u);
  EXPECT_EQ(config.send_timeout_ns, 1'500'000'000);
  EXPECT_DOUBLE_EQ(config.loss, 0.25);
}

TEST(Deployment, DefaultsWhenSectionsAreAbsent) {
  auto d = parse_deployment(std::string(kNodes), "sim.toml");
  ASSERT_TRUE(d) << describe(d.error());
  EXPECT_FALSE(d->duration_ns);
  EXPECT_FALSE(d->seed);
  EXPECT_EQ(d->latency, Latency::fixed(5 * kMillisecond));
  EXPECT_EQ(d->loss, 0.0);
  EXPECT_FALSE(d->settings.backoff_base_ns);
  EXPECT_FALSE(d->settings.blocklist);
  EXPECT_FALSE(d->settings.send_timeout_ns);
  EXPECT_EQ(d->nodes[0].graph, std::filesystem::path("alice.bb")) << "relative to the file's (empty) folder";
  const NetworkConfig config = d->network_config();
  EXPECT_EQ(config.seed, 0u);
  EXPECT_EQ(config.send_timeout_ns, kSecond);
}

TEST(Deployment, UniformLatency) {
  auto d = parse_deployment(lines({"[network]", "latency = { uniform = [\"1ms\", \"9ms\"] }"}) + std::string(kNodes),
                            "sim.toml");
  ASSERT_TRUE(d) << describe(d.error());
  EXPECT_EQ(d->latency, Latency::uniform(1 * kMillisecond, 9 * kMillisecond));
  EXPECT_FALSE(d->latency.is_fixed());
}

TEST(Deployment, LoadsFromDiskAndReportsIoErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("bb_deploy_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "deploy.toml";
  std::ofstream(file) << kNodes;
  auto d = load_deployment(file);
  ASSERT_TRUE(d) << describe(d.error());
  EXPECT_EQ(d->nodes[0].graph, dir / "alice.bb");
  EXPECT_EQ(d->file, file);

  auto missing = load_deployment(dir / "nope.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Kind::kIo);
  EXPECT_EQ(missing.error().line, 0u);
  EXPECT_NE(describe(missing.error()).find("nope.toml: cannot read"), std::string::npos) << describe(missing.error());
  std::filesystem::remove_all(dir);
}

TEST(Deployment, SyntaxErrorNamesTheLine) {
  expect_error(lines({"[run]", "seed = 7", "duration = \"1s", "[[node]]"}), Kind::kSyntax, 3, "");
}

TEST(Deployment, UnknownKeys) {
  expect_error(lines({"[run]", "seed = 1", "[netwrok]", "loss = 0.1"}) + std::string(kNodes), Kind::kUnknownKey, 3,
               "netwrok");
  expect_error(lines({"[network]", "loss = 0.1", "latncy = \"1ms\""}) + std::string(kNodes), Kind::kUnknownKey, 3,
               "network.latncy");
  expect_error(std::string(kNodes) + lines({"grpah = \"x.bb\""}), Kind::kUnknownKey, 4, "node[0].grpah");
  expect_error(lines({"[network]", "latency = { uniform = [\"1ms\", \"2ms\"], skew = 1 }"}) + std::string(kNodes),
               Kind::kUnknownKey, 2, "network.latency.skew");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "kind = \"crash\"", "peers = [\"id:alice\"]",
                                            "until = \"2s\""}),
               Kind::kUnknownKey, 8, "fault[0].until");
  const DeploymentError e = error_of(lines({"[send]", "timout = \"1s\""}) + std::string(kNodes));
  EXPECT_NE(e.message.find("timeout"), std::string::npos) << "lists the known keys: " << e.message;
}

TEST(Deployment, MissingKeys) {
  expect_error(lines({"[run]", "seed = 1"}), Kind::kMissingKey, 0, "node");
  expect_error(lines({"[[node]]", "peer = \"id:alice\""}), Kind::kMissingKey, 1, "node[0].graph");
  expect_error(std::string(kNodes) + lines({"[[node]]", "graph = \"b.bb\""}), Kind::kMissingKey, 4, "node[1].peer");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "kind = \"crash\"", "peers = [\"id:alice\"]"}),
               Kind::kMissingKey, 4, "fault[0].at");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "peers = [\"id:alice\"]"}), Kind::kMissingKey,
               4, "fault[0].kind");
  expect_error(lines({"[network]", "latency = { }"}) + std::string(kNodes), Kind::kMissingKey, 2,
               "network.latency.uniform");
}

TEST(Deployment, WrongTypes) {
  expect_error(lines({"[run]", "duration = 30"}) + std::string(kNodes), Kind::kWrongType, 2, "run.duration");
  expect_error(lines({"[network]", "loss = \"high\""}) + std::string(kNodes), Kind::kWrongType, 2, "network.loss");
  expect_error(lines({"[node]", "peer = \"id:alice\"", "graph = \"a.bb\""}), Kind::kWrongType, 1, "node");
  expect_error(lines({"network = 3"}) + std::string(kNodes), Kind::kWrongType, 1, "network");
  expect_error(lines({"[network]", "latency = { uniform = [\"1ms\"] }"}) + std::string(kNodes), Kind::kWrongType, 2,
               "network.latency.uniform");
  expect_error(lines({"[governor]", "blocklist = \"id:x\""}) + std::string(kNodes), Kind::kWrongType, 2,
               "governor.blocklist");
  expect_error(lines({"[[node]]", "peer = \"id:alice\"", "graph = 5"}), Kind::kWrongType, 3, "node[0].graph");
  expect_error(lines({"[run]", "seed = 1.5"}) + std::string(kNodes), Kind::kWrongType, 2, "run.seed");
}

TEST(Deployment, BadDurations) {
  expect_error(lines({"[send]", "timeout = \"5 sec\""}) + std::string(kNodes), Kind::kBadDuration, 2, "send.timeout");
  expect_error(lines({"[network]", "latency = { uniform = [\"1ms\", \"9xs\"] }"}) + std::string(kNodes),
               Kind::kBadDuration, 2, "network.latency.uniform[1]");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"soon\"", "kind = \"crash\"", "peers = [\"id:alice\"]"}),
               Kind::kBadDuration, 5, "fault[0].at");
}

TEST(Deployment, BadPeers) {
  expect_error(lines({"[[node]]", "peer = \"not a peer!\"", "graph = \"a.bb\""}), Kind::kBadPeer, 2, "node[0].peer");
  expect_error(lines({"[governor]", "allowlist = [\"id:ok\",", "  \"id:\"]"}) + std::string(kNodes), Kind::kBadPeer, 3,
               "governor.allowlist[1]");
}

TEST(Deployment, OutOfRange) {
  expect_error(lines({"[network]", "loss = 1.5"}) + std::string(kNodes), Kind::kOutOfRange, 2, "network.loss");
  expect_error(lines({"[network]", "duplicate = -0.1"}) + std::string(kNodes), Kind::kOutOfRange, 2,
               "network.duplicate");
  expect_error(lines({"[network]", "loss = nan"}) + std::string(kNodes), Kind::kOutOfRange, 2, "network.loss");
  expect_error(lines({"[run]", "seed = -1"}) + std::string(kNodes), Kind::kOutOfRange, 2, "run.seed");
  expect_error(lines({"[run]", "duration = \"0s\""}) + std::string(kNodes), Kind::kOutOfRange, 2, "run.duration");
  expect_error(lines({"[governor]", "threshold = 0"}) + std::string(kNodes), Kind::kOutOfRange, 2,
               "governor.threshold");
  expect_error(lines({"[dedup]", "window = 0"}) + std::string(kNodes), Kind::kOutOfRange, 2, "dedup.window");
  expect_error(lines({"[dedup]", "window = 65537"}) + std::string(kNodes), Kind::kOutOfRange, 2, "dedup.window");
  expect_error(lines({"[dedup]", "max_streams = 2000000"}) + std::string(kNodes), Kind::kOutOfRange, 2,
               "dedup.max_streams");
  expect_error(lines({"[backoff]", "base = \"1s\"", "cap = \"10ms\""}) + std::string(kNodes), Kind::kOutOfRange, 3,
               "backoff.cap");
  expect_error(lines({"[network]", "latency = { uniform = [\"9ms\", \"1ms\"] }"}) + std::string(kNodes),
               Kind::kOutOfRange, 2, "network.latency.uniform");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "kind = \"crash\"", "peers = [\"id:alice\"]",
                                            "for = \"0ms\""}),
               Kind::kOutOfRange, 8, "fault[0].for");
}

TEST(Deployment, BadValues) {
  expect_error(lines({"[backoff]", "jitter = \"wild\""}) + std::string(kNodes), Kind::kBadValue, 2, "backoff.jitter");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "kind = \"explode\"", "peers = [\"id:alice\"]"}),
               Kind::kBadValue, 6, "fault[0].kind");
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "kind = \"crash\"", "peers = []"}),
               Kind::kBadValue, 7, "fault[0].peers");
  expect_error(lines({"[[node]]", "peer = \"id:alice\"", "graph = \"\""}), Kind::kBadValue, 3, "node[0].graph");
}

TEST(Deployment, DuplicateNodePeer) {
  expect_error(std::string(kNodes) + lines({"[[node]]", "peer = \"id:alice\"", "graph = \"other.bb\""}),
               Kind::kDuplicatePeer, 5, "node[1].peer");
}

TEST(Deployment, FaultNamingAnUnknownPeer) {
  expect_error(std::string(kNodes) + lines({"[[fault]]", "at = \"1s\"", "kind = \"partition\"",
                                            "peers = [\"id:alice\", \"id:zed\"]"}),
               Kind::kUnknownPeer, 7, "fault[0].peers[1]");
}

TEST(Deployment, NodeInputsResolveAgainstTheFileAndAreSortedByName) {
  auto d = parse_deployment(std::string(kNodes) + lines({"inputs = { y = \"data/y.pb\", x = \"/abs/x.pb\" }"}),
                            "/deploy/sim.toml");
  ASSERT_TRUE(d) << describe(d.error());
  const auto& inputs = d->nodes[0].inputs;
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].name, "x");
  EXPECT_EQ(inputs[0].file, "/abs/x.pb");
  EXPECT_EQ(inputs[1].name, "y");
  EXPECT_EQ(inputs[1].file, "/deploy/data/y.pb");
  EXPECT_EQ(inputs[1].line, 4u);
}

TEST(Deployment, NodeInputErrorsNameTheKey) {
  expect_error(std::string(kNodes) + lines({"inputs = \"x.pb\""}), Kind::kWrongType, 4, "node[0].inputs");
  expect_error(std::string(kNodes) + lines({"inputs = { x = 3 }"}), Kind::kWrongType, 4, "node[0].inputs.x");
  expect_error(std::string(kNodes) + lines({"inputs = { x = \"\" }"}), Kind::kBadValue, 4, "node[0].inputs.x");
}

TEST(Deployment, DescribeNamesFileLineAndKey) {
  const DeploymentError e = error_of(lines({"[network]", "loss = 1.5"}) + std::string(kNodes));
  EXPECT_EQ(describe(e), "/deploy/sim.toml:2: network.loss: probability 1.5 is outside [0, 1]");
}

}  // namespace
}  // namespace bb::sim
