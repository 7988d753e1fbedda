// Verbatim nodes (compiler/src/verbatim.h): a binary model compiled with its main graph's
// nodes left as bytes gives the same bytes and the same findings as the model parsed
// whole, for graphs the verbatim walk holds on and for those it hands back (each case
// says which), including node entries that are not protobuf's own serialization.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>

#include "bb/compiler/compile.h"
#include "bb/ir/limits.h"
#include "bb/ir/peer_id.h"
#include "test_util.h"
#include "verbatim.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;
using testing::ModelBuilder;
using testing::TempDir;

struct Outcome {
  PassStatus::Kind kind = PassStatus::Kind::kOk;
  std::string bytes;                  // the output file, if written
  std::vector<std::string> findings;  // format_text of each
  bool held = false;                  // verbatim: the walk held (nodes stayed bytes)
  std::vector<std::string> parsed;    // verbatim: the op types of the nodes parsed into the graph
};

// Compiles the file as bbc does: loaded with its nodes as bytes (`verbatim`), or whole.
Outcome compile_file(const fs::path& in, bool verbatim, PassOptions options = {},
                     const ir::ModelLimits& limits = {}) {
  TempDir dir;
  google::protobuf::Arena arena;
  DiagnosticEngine diags(in.string());
  std::ostringstream log;
  options.model_keeps_gates = false;
  Outcome outcome;
  onnx::ModelProto* model = nullptr;
  std::optional<VerbatimModel> loaded;
  if (verbatim) {
    loaded = load_verbatim(in, arena, limits);
    if (!loaded) {
      ADD_FAILURE() << "load_verbatim refused " << in;
      return outcome;
    }
    model = loaded->model;
    options.verbatim = loaded->nodes.get();
  } else {
    auto whole = ir::load_model(in, arena, limits.load());
    if (!whole) {
      report_load_error(diags, whole.error(), in.string());
    } else if (auto within = ir::check_model_limits(**whole, limits); !within) {
      report_limit_error(diags, within.error());
    } else {
      model = *whole;
    }
  }
  if (model != nullptr) {
    const fs::path out = dir / "out.bb";
    auto result = compile_model_to_file(*model, in.string(), options, diags, log, out);
    outcome.kind = result.status.kind;
    if (fs::exists(out)) outcome.bytes = testing::read_text(out);
    outcome.held = loaded && !loaded->nodes->kept().empty() &&
                   static_cast<int>(loaded->nodes->kept().size()) < loaded->nodes->size();
    if (loaded)
      for (const auto* node : loaded->nodes->kept()) outcome.parsed.push_back(node->op_type());
  } else {
    outcome.kind = PassStatus::Kind::kInputErrors;
  }
  for (const auto& f : diags.findings()) outcome.findings.push_back(format_text(f));
  return outcome;
}

// Both ways, the same outcome; whether the verbatim walk held.
bool expect_same(const fs::path& in, const PassOptions& options = {}, const ir::ModelLimits& limits = {}) {
  const Outcome whole = compile_file(in, false, options, limits);
  const Outcome verbatim = compile_file(in, true, options, limits);
  EXPECT_EQ(verbatim.kind, whole.kind);
  EXPECT_EQ(verbatim.findings, whole.findings);
  EXPECT_TRUE(verbatim.bytes == whole.bytes) << "the outputs differ (" << verbatim.bytes.size() << " and "
                                             << whole.bytes.size() << " bytes)";
  return verbatim.held;
}

fs::path write_model(const TempDir& dir, const onnx::ModelProto& model, std::string_view name = "g.onnx") {
  std::string bytes;
  EXPECT_TRUE(model.SerializeToString(&bytes));
  testing::write_text(dir / name, bytes);
  return dir / name;
}

// expect_same on `model` written to a file.
bool compiles_alike(const onnx::ModelProto& model) {
  TempDir dir;
  return expect_same(write_model(dir, model));
}

// Wire-format pieces, for node entries protobuf would not write.
std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string field(int number, std::string_view value) {
  return varint(static_cast<std::uint64_t>(number) << 3 | 2) + varint(value.size()) + std::string(value);
}

// A graph of every kind the bench graph has: ticks, ai.onnx compute, syscalls, Sends
// (named, unnamed, dynamic), Recvs and their readers.
ModelBuilder mixed_graph() {
  ModelBuilder b;
  b.input("x");
  b.tick();
  b.node("", "Relu", {"x"}, {"r0"}, "relu0");
  b.sys(ir::kPassThrough, {"r0"}, {"p0"}, "pass0");
  b.send({"p0"}, "s_named");
  b.node("", "Identity", {"p0"}, {"i0"}, "id0");
  b.send({"i0"}, "");  // canonicalize names it by its position among all nodes
  auto& peers = b.sys(ir::kPeers, {}, {"everyone"}, "everyone");
  ModelBuilder::strings(peers, ir::kAttrPeers, {"id:carol", "id:dave"});
  b.send({"tick", "everyone"}, "fanout", "");
  b.node("", "Add", {"i0", "r0"}, {"a0"}, "add0");
  b.recv({"msg", "from"}, "inbox");
  b.node("", "Relu", {"msg"}, {"rm"}, "reads_msg");  // a reader: parsed
  b.recv({"msg2", "from2"}, "");
  b.node("", "Identity", {"a0"}, {"y"}, "");  // unnamed, verbatim
  b.sys(ir::kOnTrigger, {"tick"}, {"t0"}, "trig");
  b.output("msg2");  // a Recv's output read by the graph
  b.output("y");
  return b;
}

TEST(Verbatim, MixedGraphHoldsAndMatches) { EXPECT_TRUE(compiles_alike(mixed_graph().model())); }

TEST(Verbatim, EveryGateSkipMatches) {
  TempDir dir;
  const auto path = write_model(dir, mixed_graph().model());
  for (const auto& skip : std::vector<std::vector<std::string>>{
           {},
           {"insert-dedup-gate-rx"},
           {"insert-backoff-gate-tx", "insert-peer-health-gate-tx"},
           {"insert-dedup-gate-rx", "insert-peer-health-gate-rx", "insert-backoff-gate-rx", "insert-peer-health-gate-tx",
            "insert-backoff-gate-tx"}}) {
    SCOPED_TRACE(::testing::PrintToString(skip));
    PassOptions options;
    options.skip = skip;
    EXPECT_TRUE(expect_same(path, options));
  }
}

TEST(Verbatim, WireOpNamesCollideWithVerbatimNodes) {
  ModelBuilder b;
  b.tick();
  b.node("", "Identity", {"tick"}, {"v"}, "s");      // the Send's wanted name
  b.node("", "Identity", {"v"}, {"w"}, "Send~1");    // and an unnamed Send's would-be name
  b.node("", "Identity", {"w"}, {"u"}, "s~2");
  b.send({"u"}, "s");
  b.send({"u"}, "");
  EXPECT_TRUE(compiles_alike(b.model()));
}

TEST(Verbatim, NodesWithAttributesAndDocStrings) {
  ModelBuilder b;
  b.input("x");
  auto& leaky = b.node("", "LeakyRelu", {"x"}, {"l"}, "leaky");
  auto* alpha = leaky.add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(0.25f);
  b.node("", "Relu", {"l"}, {"r"}, "documented").set_doc_string("a node with a doc string");
  b.send({"r"}, "out");
  EXPECT_TRUE(compiles_alike(b.model()));
}

// A model whose node `name` is replaced by `entry` (a graph's node field, bytes of our
// own): the graph written field by field, the rest of the model after it.
fs::path write_with_entry(const TempDir& dir, const onnx::ModelProto& model, std::string_view name,
                          const std::string& body) {
  std::string graph_body;
  for (const auto& node : model.graph().node()) {
    std::string node_bytes;
    if (node.name() == name) {
      node_bytes = body;
    } else {
      EXPECT_TRUE(node.SerializeToString(&node_bytes));
    }
    graph_body += field(1, node_bytes);
  }
  onnx::GraphProto rest = model.graph();
  rest.clear_node();
  std::string rest_bytes;
  EXPECT_TRUE(rest.SerializeToString(&rest_bytes));
  graph_body += rest_bytes;
  onnx::ModelProto without_graph = model;
  without_graph.clear_graph();
  std::string bytes;
  EXPECT_TRUE(without_graph.SerializeToString(&bytes));
  bytes += field(7, graph_body);  // (fields in any order parse the same)
  testing::write_text(dir / "g.onnx", bytes);
  return dir / "g.onnx";
}

TEST(Verbatim, EntriesProtobufWouldNotWrite) {
  ModelBuilder b;
  b.input("x");
  b.node("", "Relu", {"x"}, {"r"}, "odd");
  b.send({"r"}, "out");
  const std::string relu_attr = field(1, "alpha") + "\x15" + std::string("\x00\x00\x80\x3e", 4) + "\xa0\x01\x01";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fields out of order", field(4, "Relu") + field(1, "x") + field(2, "r") + field(3, "odd")},
      {"a name twice", field(1, "x") + field(2, "r") + field(3, "first") + field(3, "odd") + field(4, "Relu")},
      {"a long length", field(1, "x") + field(2, "r") + "\x1a\x83\x00odd" + field(4, "Relu")},
      {"an empty name", field(1, "x") + field(2, "r") + field(3, "") + field(4, "Relu")},
      {"the ai.onnx domain", field(1, "x") + field(2, "r") + field(3, "odd") + field(4, "Relu") + field(7, "ai.onnx")},
      {"an unknown field", field(1, "x") + field(2, "r") + field(3, "odd") + field(4, "Relu") + field(15, "?")},
      {"an attribute", field(1, "x") + field(2, "r") + field(3, "odd") + field(4, "Relu") + field(5, relu_attr)},
      {"packed ints", field(1, "x") + field(2, "r") + field(3, "odd") + field(4, "Relu") +
                          field(5, field(1, "k") + field(8, "\x01\x02") + "\xa0\x01\x07")},
  };
  for (const auto& [what, body] : cases) {
    SCOPED_TRACE(what);
    TempDir dir;
    expect_same(write_with_entry(dir, b.model(), "odd", body));
  }
}

// Peer lists stay bytes: canonicalize replaces the entries of those whose peers it turns
// into bytes, leaves the others as read, and a list whose entry protobuf would not
// write is parsed into the graph instead.
TEST(Verbatim, PeerListsStayBytesAndCanonicalizeReplacesThoseItChanges) {
  ModelBuilder b;
  b.tick();
  auto& text = b.sys(ir::kPeers, {}, {"text"}, "text");
  ModelBuilder::strings(text, ir::kAttrPeers, {"id:carol", "id:dave"});
  const std::string erin = PeerId::from_text("id:erin")->bytes();
  auto& bytes = b.sys(ir::kPeers, {}, {"bytes"}, "bytes");
  ModelBuilder::strings(bytes, ir::kAttrPeers, {erin});
  ModelBuilder::strings(b.sys(ir::kPeers, {}, {"odd"}, "odd"), ir::kAttrPeers, {"id:frank"});
  auto& mixed = b.sys(ir::kPeers, {}, {"mixed"}, "mixed");  // some peers change, some do not
  ModelBuilder::strings(mixed, ir::kAttrPeers, {erin, "id:gina", "id:" + std::string(60, 'h'), erin});
  mixed.set_doc_string("after the attribute, in field order");
  b.send({"tick", "text"}, "to_text", "");
  b.send({"tick", "mixed"}, "to_mixed", "");
  b.send({"tick", "bytes"}, "to_bytes", "");
  b.send({"tick", "odd"}, "to_odd", "");
  TempDir dir;
  const auto plain = write_model(dir, b.model(), "plain.onnx");
  const Outcome compiled = compile_file(plain, true);
  EXPECT_TRUE(compiles_alike(b.model()));
  EXPECT_EQ(compiled.parsed, (std::vector<std::string>{"Send", "Send", "Send", "Send"}));
  // The output holds the text list as bytes, as the whole compile writes it.
  EXPECT_NE(compiled.bytes.find(erin), std::string::npos);
  EXPECT_EQ(compiled.bytes.find("id:carol"), std::string::npos);
  PassOptions skip;
  skip.skip = {"canonicalize"};
  EXPECT_TRUE(expect_same(plain, skip));
  // Its attribute before its name: not protobuf's order, so parsed and written from the node.
  const std::string attr = field(1, "peers") + field(9, "id:frank") + "\xa0\x01\x08";
  const auto odd = write_with_entry(dir, b.model(), "odd",
                                    field(2, "odd") + field(5, attr) + field(3, "odd") + field(4, "Peers") +
                                        field(7, ir::kSyscallDomain));
  EXPECT_TRUE(expect_same(odd));
  EXPECT_EQ(compile_file(odd, true).parsed, (std::vector<std::string>{"Peers", "Send", "Send", "Send", "Send"}));
}

TEST(Verbatim, GraphsTheWalkHandsBack) {
  // Each: the walk stops, the model is parsed whole, and the outcome is as before.
  std::vector<std::pair<std::string, ModelBuilder>> cases;
  {
    ModelBuilder b;  // out of order: canonicalize sorts it (BB016)
    b.node("", "Relu", {"later"}, {"r"}, "first");
    b.tick("later");
    b.send({"r"}, "out");
    cases.emplace_back("out of order", std::move(b));
  }
  {
    ModelBuilder b;  // an input nothing produces (BB004)
    b.node("", "Relu", {"nowhere"}, {"r"}, "lost");
    b.send({"r"}, "out");
    cases.emplace_back("missing input", std::move(b));
  }
  {
    ModelBuilder b;  // a value produced twice (BB005)
    b.tick("v");
    b.node("", "Relu", {"v"}, {"v"}, "again");
    cases.emplace_back("produced twice", std::move(b));
  }
  {
    ModelBuilder b;  // a domain one typo from bb's (BB003)
    b.import("ai.bytesandbrains.wrie", 1);
    b.tick();
    b.node("ai.bytesandbrains.wrie", "Send", {"tick"}, {}, "typo");
    cases.emplace_back("domain typo", std::move(b));
  }
  {
    ModelBuilder b;  // a gate in a source graph (BB018)
    b.tick();
    b.sys("BackoffGateTx", {"tick"}, {"g"}, "gate");
    b.send({"g"}, "out");
    cases.emplace_back("gate in source", std::move(b));
  }
  {
    ModelBuilder b;  // an unknown ai.onnx op (BB003/BB008 family)
    b.tick();
    b.node("", "NoSuchOp", {"tick"}, {"n"}, "unknown");
    cases.emplace_back("unknown op", std::move(b));
  }
  for (auto& [what, b] : cases) {
    SCOPED_TRACE(what);
    EXPECT_FALSE(compiles_alike(b.model()));
  }
}

TEST(Verbatim, CustomOpsAreNotedAsBefore) {
  ModelBuilder b;  // an op of a custom domain: BB031's note at the end, after the walk held
  b.import("com.example", 1);
  b.tick();
  b.node("com.example", "Mine", {"tick"}, {"m"}, "mine");
  b.send({"m"}, "out");
  EXPECT_TRUE(compiles_alike(b.model()));
}

TEST(Verbatim, FunctionsAreValidatedAsBefore) {
  ModelBuilder b;
  auto& f = b.function("local", "double_relu", {"a"}, {"c"});
  for (const auto& [in, out] : {std::pair{"a", "b"}, std::pair{"missing", "c"}}) {  // BB004 inside the function
    auto* relu = f.add_node();
    relu->set_op_type("Relu");
    relu->add_input(in);
    relu->add_output(out);
  }
  b.tick();
  b.node("local", "double_relu", {"tick"}, {"d"}, "call");
  b.send({"d"}, "out");
  EXPECT_TRUE(compiles_alike(b.model()));  // (the main graph's walk held)
}

TEST(Verbatim, LimitsAndBrokenEntriesSayWhatTheWholeLoadSays) {
  ModelBuilder b;
  b.tick();
  auto& send = b.send({"tick"}, "big");
  ModelBuilder::str(send, "note", std::string(4096, 'x'));
  ir::ModelLimits limits;
  limits.max_attribute_bytes = 1024;
  TempDir dir;
  EXPECT_FALSE(expect_same(write_model(dir, b.model()), {}, limits));  // BB001: over the attribute limit

  ModelBuilder c;
  c.input("x");
  c.node("", "Relu", {"x"}, {"r"}, "broken");
  c.send({"r"}, "out");
  TempDir dir2;
  // A node whose name's length runs past its entry: the whole parse fails where it does.
  EXPECT_FALSE(expect_same(write_with_entry(dir2, c.model(), "broken", field(1, "x") + "\x1a\x7f" + "abc")));
}

}  // namespace
}  // namespace bb::compiler
