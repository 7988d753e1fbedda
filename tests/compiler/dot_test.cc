// `bbc inspect --format dot`: the drawing of a small compiled graph matches
// golden/dot/small.dot (regenerate with BB_UPDATE_GOLDEN=1 and review the diff), is
// deterministic, and Graphviz renders it (and one with hostile node names) to SVG.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "bb/compiler/inspect.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::ModelBuilder;
using testing::run_shell;
using testing::shell_quote;
using testing::TempDir;

const fs::path kGolden = fs::path(BB_SOURCE_DIR) / "tests/compiler/golden/dot/small.dot";

// tick -> Send to id:bob on "c"; a dynamic Send to two peers; a Recv on "c" -> Log.
onnx::ModelProto small_graph(std::string_view send_name = "to_bob") {
  ModelBuilder b;
  b.tick();
  auto& direct = b.send({"tick"}, send_name);
  ModelBuilder::str(direct, ir::kAttrChannel, "c");
  auto& peers = b.sys(ir::kPeers, {}, {"everyone"}, "everyone");
  ModelBuilder::strings(peers, ir::kAttrPeers, {"id:carol", "id:dave"});
  b.send({"tick", "everyone"}, "fanout", "");
  auto& recv = b.recv({"msg", "from"}, "inbox");
  ModelBuilder::str(recv, ir::kAttrChannel, "c");
  b.sys(ir::kLog, {"msg", "from"}, {}, "log");
  auto compiled = testing::compile(b.model());
  if (!compiled.ok()) throw std::runtime_error("the test graph does not compile: " + compiled.log);
  return testing::parse_bytes(compiled.bytes);
}

std::string dot_of(const onnx::ModelProto& model) {
  std::ostringstream out;
  write_dot(model, out);
  return out.str();
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

TEST(InspectDot, SmallGraphMatchesGolden) {
  const std::string dot = dot_of(small_graph());
  if (std::getenv("BB_UPDATE_GOLDEN") != nullptr) testing::write_text(kGolden, dot);
  EXPECT_EQ(dot, testing::read_text(kGolden)) << "regenerate with BB_UPDATE_GOLDEN=1 and review the diff";
  EXPECT_EQ(dot, dot_of(small_graph()));  // deterministic
}

TEST(InspectDot, MarksGateChainsPeersAndChannels) {
  const std::string dot = dot_of(small_graph());
  // One dashed cluster per wire op with its gates: two Sends (2 Tx gates each), one Recv (3 Rx gates).
  EXPECT_EQ(count(dot, "subgraph cluster_b0_w"), 3u) << dot;
  EXPECT_EQ(count(dot, "fillcolor=\"#ffe0b2\""), 7u) << dot;
  EXPECT_NE(dot.find("label=\"gates of Send 'to_bob'\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"Send 'to_bob'\\npeer id:bob\\nchannel \\\"c\\\"\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("dynamic peers [id:carol, id:dave]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"Recv 'inbox'\\nfrom any peer\\nchannel \\\"c\\\"\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("-> b0_n"), std::string::npos);
}

// Renders with Graphviz: exit 0 and an SVG with one <g class="node"> per op.
void expect_renders(const onnx::ModelProto& model, std::size_t nodes) {
  TempDir dir;
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  testing::write_text(dir / "g.bb", bytes);
  const auto run = run_shell(std::string(BBC_PATH) + " inspect --format dot " + shell_quote((dir / "g.bb").string()) +
                             " > " + shell_quote((dir / "g.dot").string()) + " && dot -Tsvg " +
                             shell_quote((dir / "g.dot").string()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.err.empty()) << run.err;  // no Graphviz warning either
  EXPECT_NE(run.out.find("<svg"), std::string::npos);
  EXPECT_EQ(count(run.out, "class=\"node\""), nodes) << run.out.substr(0, 2000);
  EXPECT_GE(count(run.out, "class=\"cluster\""), 4u);  // the graph and three wire clusters
  EXPECT_NE(run.out.find("peer id:bob"), std::string::npos);
}

TEST(InspectDot, GraphvizRendersIt) {
  const auto model = small_graph();
  expect_renders(model, static_cast<std::size_t>(model.graph().node_size()));
}

TEST(InspectDot, HostileNamesStayValidDot) {
  const auto model = small_graph("a \"quoted\" \\ name\nwith a newline, \xff\xfe bytes and }{ braces");
  const std::string dot = dot_of(model);
  // Quotes and backslashes escaped, control and non-ASCII bytes spelled \xNN: one line per statement.
  EXPECT_NE(dot.find("a \\\"quoted\\\" \\\\x5c name\\\\x0awith a newline, \\\\xff\\\\xfe bytes"), std::string::npos) << dot;
  expect_renders(model, static_cast<std::size_t>(model.graph().node_size()));
}

}  // namespace
}  // namespace bb::compiler
