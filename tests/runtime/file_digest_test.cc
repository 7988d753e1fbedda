// The loader's fast paths mean the same as the slow ones: the digest read from the file's
// own bytes (ir::file_graph_digest in bb/ir/passport.h), and the plan of a graph already in node order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "engine_harness.h"

namespace bb::testing {
namespace {

using runtime::LoadError;
using runtime::Program;

onnx::ModelProto sample() {
  GraphBuilder g;
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.gated_send("send0", "t", "bob");
  g.gated_send("send1", "t", "carol");
  return g.compiled();
}

std::filesystem::path write(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::path(::testing::TempDir()) / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// `tag` `length` `body` of a length-delimited field.
std::string field(int number, const std::string& body) {
  std::string out(1, static_cast<char>(number << 3 | 2));
  std::size_t n = body.size();
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
  return out + body;
}

TEST(FileDigest, EqualsTheGraphDigestOfADeterministicFile) {
  const auto m = sample();
  const std::string bytes = ir::serialize_deterministic(m);
  EXPECT_EQ(ir::file_graph_digest(bytes), ir::graph_digest(m));
  EXPECT_EQ(ir::file_graph_digest(bytes), ir::read_passport(m)->digest);
  EXPECT_FALSE(ir::file_graph_digest("\x3a\x05" "ab"));  // truncated
}

TEST(FileDigest, LoadChecksTheDigestWhateverTheFileLayout) {
  const auto m = sample();
  // The graph field split in two: protobuf merges them into the same graph, but the
  // bytes are not the deterministic ones, so the loader checks the parsed graph.
  onnx::ModelProto rest = m;
  rest.clear_graph();
  onnx::GraphProto head = m.graph(), tail = m.graph();
  head.mutable_node()->DeleteSubrange(2, head.node_size() - 2);
  tail.clear_name();
  tail.mutable_node()->DeleteSubrange(0, 2);
  const std::string split = ir::serialize_deterministic(rest) + field(7, ir::serialize_deterministic(head)) +
                            field(7, ir::serialize_deterministic(tail));
  EXPECT_FALSE(ir::file_graph_digest(split));
  auto loaded = Program::load(write("split.bb", split));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->nodes().size(), static_cast<std::size_t>(m.graph().node_size()));

  // A changed graph is refused whichever way it is checked.
  onnx::ModelProto changed = m;
  changed.mutable_graph()->mutable_node(1)->set_name("renamed");
  auto refused = Program::load(write("changed.bb", ir::serialize_deterministic(changed)));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, LoadError::Kind::kDigest);
  runtime::LoadOptions options;
  options.verify_digest = false;
  EXPECT_TRUE(Program::load(write("changed.bb", ir::serialize_deterministic(changed)), options));
  EXPECT_TRUE(Program::load(write("good.bb", ir::serialize_deterministic(m))));
}

TEST(Plan, NodesOutOfOrderAreRunInATopologicalOrder) {
  // b reads what a produces, but is listed first: not node order, still a DAG.
  GraphBuilder g;
  g.syscall(ir::kPassThrough, "b", {"x"}, {"y"});
  g.syscall(ir::kPassThrough, "a", {"c"}, {"x"});
  auto& c = g.syscall(ir::kConstant, "c", {}, {"c"});
  GraphBuilder::set_int(c, ir::kAttrValueInt, 7);
  auto p = Program::build(g.compiled(), "g.bb");
  ASSERT_TRUE(p) << p.error().message;
  const auto order = (*p)->static_order();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], 2u);  // c, then a, then b
  EXPECT_EQ(order[1], 1u);
  EXPECT_EQ(order[2], 0u);
}

}  // namespace
}  // namespace bb::testing
