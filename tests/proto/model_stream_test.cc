// ir::parse_model_streamed gives the model, the digest and the sink's calls that the
// whole parse gives, whether its nodes are parsed on a thread of their own or on the
// caller's, and gives up cleanly (no hang, no leak) on bytes it cannot parse.
#include "bb/ir/model_stream.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "bb/ir/model_io.h"
#include "bb/ir/passport.h"

namespace bb::ir {
namespace {

// What the loader would see: the node count, then each batch with the names of its nodes,
// read from the graph when the batch is handed over.
class RecordingSink final : public NodeSink {
 public:
  void begin(const onnx::ModelProto& model, int node_count) override {
    model_ = &model;
    calls.push_back("begin " + std::to_string(node_count) + " graph " + model.graph().name());
  }
  void nodes(int first, int count) override {
    std::string call = "nodes " + std::to_string(first) + "+" + std::to_string(count);
    EXPECT_LE(count, 32);
    EXPECT_GE(model_->graph().node_size(), first + count);
    for (int i = first; i < first + count; ++i) call += " " + model_->graph().node(i).name();
    calls.push_back(std::move(call));
  }
  std::vector<std::string> calls;

 private:
  const onnx::ModelProto* model_ = nullptr;
};

// A node reading the previous one's output, some with attributes (one holding a graph).
onnx::ModelProto model_of(int nodes) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("streamed");
  g->add_input()->set_name("x");
  for (int i = 0; i < nodes; ++i) {
    auto* n = g->add_node();
    n->set_name("n" + std::to_string(i));
    n->set_op_type(i % 3 == 0 ? "Relu" : "Identity");
    n->add_input(i == 0 ? "x" : "v" + std::to_string(i - 1));
    n->add_output("v" + std::to_string(i));
    if (i % 7 == 0) {
      auto* a = n->add_attribute();
      a->set_name("k");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(i);
    }
    if (i % 501 == 0) {
      auto* a = n->add_attribute();
      a->set_name("body");
      a->set_type(onnx::AttributeProto::GRAPH);
      a->mutable_g()->set_name("inner" + std::to_string(i));
      a->mutable_g()->add_node()->set_op_type("Identity");
    }
  }
  g->add_output()->set_name("v" + std::to_string(nodes - 1));
  m.add_functions()->set_name("f");
  return m;
}

struct Streamed {
  bool parsed = false;
  std::string model;  // deterministic bytes
  std::string digest;
  std::vector<std::string> calls;
};

Streamed stream(std::string_view bytes, int thread_min_nodes, LoadLimits limits = {}) {
  google::protobuf::Arena arena;
  RecordingSink sink;
  StreamOptions options;
  options.thread_min_nodes = thread_min_nodes;
  Streamed s;
  auto out = parse_model_streamed(bytes, arena, limits, UINT64_MAX, sink, options);
  s.parsed = out.has_value();
  if (out) {
    s.model = serialize_deterministic(*out->model);
    s.digest = out->digest;
  }
  s.calls = std::move(sink.calls);
  return s;
}

constexpr int kOnThread = 0, kOnCaller = INT_MAX;

TEST(ModelStream, ParsesAsTheWholeParseOnEitherThread) {
  for (const int nodes : {0, 1, 31, 32, 33, 3000}) {
    const std::string bytes = serialize_deterministic(model_of(nodes));
    const Streamed threaded = stream(bytes, kOnThread), inline_ = stream(bytes, kOnCaller);
    ASSERT_TRUE(threaded.parsed) << nodes;
    ASSERT_TRUE(inline_.parsed) << nodes;
    EXPECT_TRUE(threaded.model == bytes) << nodes;
    EXPECT_TRUE(inline_.model == bytes) << nodes;
    EXPECT_EQ(threaded.digest, *file_graph_digest(bytes)) << nodes;
    EXPECT_EQ(inline_.digest, threaded.digest) << nodes;
    EXPECT_EQ(threaded.calls, inline_.calls) << nodes;
    // Every node handed over once, in order, in batches.
    ASSERT_FALSE(threaded.calls.empty());
    EXPECT_EQ(threaded.calls.size(), 1 + static_cast<std::size_t>((nodes + 31) / 32)) << nodes;
  }
}

// The bytes of `m` with node `at`'s entry replaced by `entry` (its tag and length included).
std::string with_node_entry(const onnx::ModelProto& m, int at, const std::string& entry) {
  onnx::ModelProto rest = m;
  rest.clear_graph();
  std::string body;
  const onnx::GraphProto& g = m.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    if (i == at) {
      body += entry;
      continue;
    }
    const std::string node = serialize_deterministic(g.node(i));
    body += '\x0a';  // GraphProto.node, length-delimited
    for (std::size_t n = node.size(); ; n >>= 7) {
      body += static_cast<char>(n < 0x80 ? n : (n & 0x7f) | 0x80);
      if (n < 0x80) break;
    }
    body += node;
  }
  onnx::GraphProto others = g;
  others.clear_node();
  body += serialize_deterministic(others);
  std::string graph = "\x3a";  // ModelProto.graph
  for (std::size_t n = body.size(); ; n >>= 7) {
    graph += static_cast<char>(n < 0x80 ? n : (n & 0x7f) | 0x80);
    if (n < 0x80) break;
  }
  return serialize_deterministic(rest) + graph + body;
}

TEST(ModelStream, GivesUpOnANodeThatDoesNotParse) {
  const auto m = model_of(3000);
  // Node 1500's name says 5 bytes and holds 2: the entry is whole, its message is not.
  const std::string bad = with_node_entry(m, 1500, std::string("\x0a\x04\x0a\x05" "ab", 6));
  ASSERT_FALSE(parse_model(bad, ModelFormat::kBinary));
  for (const int where : {kOnThread, kOnCaller}) {
    const Streamed s = stream(bad, where);
    EXPECT_FALSE(s.parsed) << where;
    // The sink saw the batches before the bad node's (1472–1503) and none after.
    ASSERT_FALSE(s.calls.empty());
    EXPECT_EQ(s.calls.back().rfind("nodes 1440+32 ", 0), 0u) << s.calls.back();
  }
  // The layout and the node entries are sound but another field of the graph is not: the
  // caller gives up before the first batch while the thread may be parsing.
  onnx::ModelProto broken = m;
  broken.mutable_graph()->add_initializer()->set_data_type(1);
  std::string bytes = serialize_deterministic(broken);
  // The initializer's entry is `2a 02 10 01`: make its data_type field's varint run past it.
  const auto at = bytes.find(std::string("\x2a\x02\x10\x01", 4));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] = '\x81';
  ASSERT_FALSE(parse_model(bytes, ModelFormat::kBinary));
  for (const int where : {kOnThread, kOnCaller}) {
    const Streamed s = stream(bytes, where);
    EXPECT_FALSE(s.parsed) << where;
    EXPECT_TRUE(s.calls.empty()) << where;
  }
}

// A node's nesting counts from the model, as in the whole parse: at each recursion limit
// the streamed parse succeeds exactly when parse_model does (or leaves it to parse_model).
TEST(ModelStream, NestingLimitAsTheWholeParse) {
  const std::string bytes = serialize_deterministic(model_of(40));  // node 0: a graph in an attribute
  for (int depth = 0; depth <= 8; ++depth) {
    LoadLimits limits;
    limits.max_recursion_depth = depth;
    const bool whole = parse_model(bytes, ModelFormat::kBinary, limits).has_value();
    for (const int where : {kOnThread, kOnCaller}) {
      const Streamed s = stream(bytes, where, limits);
      EXPECT_EQ(s.parsed, whole) << depth;
    }
  }
}

}  // namespace
}  // namespace bb::ir
