// The loader's fast paths mean the same as the slow ones: the digest read from the file's
// own bytes (ir::file_graph_digest in bb/ir/passport.h), the plan of a graph already in
// node order, and the plan walked while the file is parsed (ir::parse_model_streamed).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "bb/ir/model_io.h"
#include "bb/ir/model_stream.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/runtime/program_memory.h"
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

// Everything a plan holds, as text: equal for two programs planned alike.
std::string plan_of(const Program& p) {
  std::string out = "slots " + std::to_string(p.slot_count()) + " arity " + std::to_string(p.max_arity()) +
                    " typed " + std::to_string(p.typed()) + "\n";
  for (const auto& pn : p.nodes()) {
    out += pn.proto->name() + " op " + std::to_string(reinterpret_cast<std::uintptr_t>(pn.op)) + " spec " +
           std::to_string(reinterpret_cast<std::uintptr_t>(pn.spec)) + " opset " + std::to_string(pn.opset) + " in " +
           std::to_string(pn.input_begin) + "+" + std::to_string(pn.input_count) + " out " +
           std::to_string(pn.output_begin) + "+" + std::to_string(pn.output_count) + " dynamic " +
           std::to_string(pn.dynamic_inputs) + " static " + std::to_string(pn.is_static) + " source " +
           std::to_string(pn.is_source) + " attributes";
    const auto i = static_cast<std::uint32_t>(&pn - p.nodes().data());
    for (const auto& attr : p.declared_attributes(i)) {
      out += " " + (attr.proto != nullptr ? attr.proto->name() : "-");
      // What the kernels read instead of the attribute: taken from this attribute.
      if (attr.proto == nullptr) continue;
      out += ":" + std::to_string(attr.type) + ":" + std::to_string(attr.i()) + ":'" + std::string(attr.s()) + "'";
      EXPECT_EQ(attr.type, attr.proto->type());
      if (attr.type == onnx::AttributeProto::INT) {
        EXPECT_EQ(attr.i(), attr.proto->i());
      }
      if (attr.type == onnx::AttributeProto::STRING) {
        EXPECT_EQ(attr.s().data(), attr.proto->s().data());  // the attribute's own bytes
        EXPECT_EQ(attr.s(), attr.proto->s());
      }
    }
    out += " problems '" + std::string(p.attribute_problems(i)) + "'\n";
  }
  out += "refs";
  for (const auto r : p.input_refs()) out += " " + std::to_string(r);
  out += "\nstatic order";
  for (const auto i : p.static_order()) out += " " + std::to_string(i);
  out += "\ninputs";
  for (const auto& [name, slot] : p.graph_inputs()) out += " " + name + "=" + std::to_string(slot);
  out += "\noutputs";
  for (const auto& [name, slot] : p.graph_outputs()) out += " " + name + "=" + std::to_string(slot);
  out += "\ninitializers";
  for (const auto& [slot, init] : p.initializers()) out += " " + init->name() + "=" + std::to_string(slot);
  for (std::uint32_t s = 0; s < p.slot_count(); ++s) {
    out += "\nslot " + std::to_string(s) + " output " + std::to_string(p.output_index(s)) + " uses " +
           std::to_string(p.static_uses(s)) + " keep " + std::to_string(p.keep_after_static(s)) + " readers";
    for (const auto c : p.consumers(s)) out += " " + std::to_string(c);
  }
  return out;
}

// Loading the file (parsed in batches, the plan walked as they go) says and plans exactly
// what the parse of the whole file followed by the plan (Program::build) does.
void expect_load_as_build(const std::string& name, const std::string& bytes, const runtime::LoadOptions& options = {}) {
  const auto path = write(name, bytes);
  auto loaded = Program::load(path, options);
  auto parsed = ir::parse_model(bytes, ir::ModelFormat::kBinary, options.limits.load());
  if (!parsed) {
    ASSERT_FALSE(loaded) << name;
    EXPECT_EQ(loaded.error().kind, LoadError::Kind::kIo) << name;
    EXPECT_EQ(loaded.error().message, path.string() + ": " + parsed.error().message) << name;
    return;
  }
  auto built = Program::build(std::move(*parsed), path.string(), options);
  ASSERT_EQ(loaded.has_value(), built.has_value()) << name << ": " << (loaded ? built.error() : loaded.error()).message;
  if (!loaded) {
    EXPECT_EQ(loaded.error().kind, built.error().kind) << name;
    EXPECT_EQ(loaded.error().message, built.error().message) << name;
    return;
  }
  EXPECT_EQ(plan_of(**loaded), plan_of(**built)) << name;
}

onnx::NodeProto& unknown_op(GraphBuilder& g, const std::string& name, std::initializer_list<std::string_view> inputs,
                            std::initializer_list<std::string_view> outputs) {
  return g.node("com.example", "Unknown", name, inputs, outputs);
}

TEST(StreamedLoad, PlansAsTheWholeParse) {
  expect_load_as_build("sample.bb", ir::serialize_deterministic(sample()));
  // Graph inputs and initializers (their slots come first), a static node, nodes out of
  // node order, an output nothing reads.
  GraphBuilder g;
  g.raw().mutable_graph()->add_input()->set_name("x");
  auto* w = g.raw().mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(1);
  w->add_float_data(1);
  g.syscall(ir::kPassThrough, "late", {"y"}, {"z"});
  g.syscall(ir::kPassThrough, "from_w", {"w"}, {"y"});
  g.syscall(ir::kPassThrough, "from_x", {"x"}, {"u"});
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.gated_send("send0", "t", "bob");
  // Attributes against the op table's declarations: out of range, not declared, of
  // another type (the kernel's own read reports that one).
  auto& every = g.syscall(ir::kInterval, "every", {}, {"tick"});
  GraphBuilder::set_int(every, ir::kAttrPeriodNs, 0);
  GraphBuilder::set_int(every, "perod_ns", 5);
  GraphBuilder::set_string(every, ir::kAttrCount, "3");
  GraphBuilder::set_string(g.syscall(ir::kPassThrough, "coloured", {"tick"}, {"tock"}), "colour", "red");
  g.raw().mutable_graph()->add_output()->set_name("z");
  const auto m = g.compiled();
  expect_load_as_build("inputs.bb", ir::serialize_deterministic(m));
  {
    auto loaded = Program::load(write("attributes.bb", ir::serialize_deterministic(m)));
    ASSERT_TRUE(loaded) << loaded.error().message;
    const Program& p = **loaded;
    const auto index = [&p](std::string_view name) {
      std::uint32_t i = 0;
      while (i < p.nodes().size() && p.nodes()[i].proto->name() != name) ++i;
      return i;
    };
    const std::string_view every_problems = p.attribute_problems(index("every"));
    EXPECT_NE(every_problems.find("'period_ns' = 0 is out of range"), std::string_view::npos) << every_problems;
    EXPECT_NE(every_problems.find("has no attribute 'perod_ns'"), std::string_view::npos) << every_problems;
    EXPECT_EQ(every_problems.find("'count'"), std::string_view::npos) << every_problems;  // the kernel's read says it
    EXPECT_NE(p.attribute_problems(index("coloured")).find("'colour'"), std::string_view::npos);
    EXPECT_EQ(p.attribute_problems(index("send0")), "");
    const auto declared = p.declared_attributes(index("every"));  // period_ns, count
    ASSERT_EQ(declared.size(), 2u);
    ASSERT_NE(declared[0].proto, nullptr);
    EXPECT_EQ(declared[0].proto->i(), 0);
    EXPECT_EQ(declared[0].i(), 0);
    ASSERT_NE(declared[1].proto, nullptr);
    EXPECT_EQ(declared[1].proto->s(), "3");
    EXPECT_EQ(declared[1].type, onnx::AttributeProto::STRING);  // mistyped: the kernel's read reports it
    EXPECT_EQ(declared[1].s(), "3");
  }

  // The same graph with its fields in another order: nodes after the inputs, split by
  // other fields, the graph field before the model's first fields.
  onnx::ModelProto rest = m;
  rest.clear_graph();
  const auto& graph = m.graph();
  std::string body = field(11, ir::serialize_deterministic(graph.input(0))) + field(2, graph.name());
  for (int i = 0; i < graph.node_size(); ++i) {
    body += field(1, ir::serialize_deterministic(graph.node(i)));
    if (i == 2) body += field(5, ir::serialize_deterministic(graph.initializer(0)));
  }
  body += field(12, ir::serialize_deterministic(graph.output(0)));
  const std::string reordered = field(7, body) + ir::serialize_deterministic(rest);
  ASSERT_TRUE(ir::file_graph_digest(reordered));
  EXPECT_NE(ir::file_graph_digest(reordered), ir::graph_digest(m));  // checked on the parsed graph
  expect_load_as_build("reordered.bb", reordered);
}

// A graph large enough to be parsed on the load's second thread (ir::StreamOptions): the
// same plan, and the same findings for bytes the thread cannot parse.
TEST(StreamedLoad, LargeGraphParsedOnASecondThreadPlansAsTheWholeParse) {
  GraphBuilder g;
  auto& c = g.syscall(ir::kConstant, "c0", {}, {"v0"});
  GraphBuilder::set_int(c, ir::kAttrValueInt, 7);
  constexpr int kNodes = 5000;
  static_assert(kNodes >= ir::StreamOptions{}.thread_min_nodes);
  for (int i = 1; i < kNodes; ++i) {
    const std::string in = "v" + std::to_string(i - 1), out = "v" + std::to_string(i);
    g.syscall(ir::kPassThrough, "n" + std::to_string(i), {in}, {out});
  }
  g.gated_send("send0", "v" + std::to_string(kNodes - 1), "bob");
  const std::string bytes = ir::serialize_deterministic(g.compiled());
  expect_load_as_build("large.bb", bytes);
  // A node near the end that does not parse: its name's tag made a wire type that does not exist.
  std::string bad_node = bytes;
  const auto name = bytes.rfind("\x1a\x05n4990");
  ASSERT_NE(name, std::string::npos);
  bad_node[name] = 0x1f;
  expect_load_as_build("large_bad_node.bb", bad_node);
  auto changed = g.compiled();
  changed.mutable_graph()->mutable_node(4000)->set_name("renamed");
  expect_load_as_build("large_changed.bb", ir::serialize_deterministic(changed));
}

TEST(StreamedLoad, ReportsAsTheWholeParse) {
  // Limits first, over any other finding: an attribute over the limit, a node count
  // over it (too many nodes to walk as they are parsed), a tensor attribute's dims (the
  // node is walked again by the limits check).
  runtime::LoadOptions small;
  small.limits.max_attribute_bytes = 8;
  GraphBuilder g;
  unknown_op(g, "u", {}, {"v"});
  g.syscall(ir::kPulse, "pulse", {}, {"t"});
  g.gated_send("send0", "t", "bob");
  expect_load_as_build("attribute.bb", ir::serialize_deterministic(g.raw()), small);
  small = {};
  small.limits.max_nodes = 2;
  expect_load_as_build("nodes.bb", ir::serialize_deterministic(g.compiled()), small);
  auto& c = g.syscall(ir::kConstant, "c", {}, {"c"});
  auto* t = c.add_attribute();
  t->set_name("value");
  t->set_type(onnx::AttributeProto::TENSOR);
  t->mutable_t()->add_dims(-1);
  expect_load_as_build("dims.bb", ir::serialize_deterministic(g.compiled()));
  c.mutable_attribute()->RemoveLast();
  GraphBuilder::set_int(c, ir::kAttrValueInt, 7);

  // Then the passport, the digest, and the plan's findings in their order.
  expect_load_as_build("raw.bb", ir::serialize_deterministic(g.raw()));
  auto changed = g.compiled();
  changed.mutable_graph()->mutable_node(1)->set_name("renamed");
  expect_load_as_build("changed.bb", ir::serialize_deterministic(changed));
  expect_load_as_build("unresolved.bb", ir::serialize_deterministic(g.compiled()));
  GraphBuilder bad;
  bad.syscall(ir::kPassThrough, "a", {"b_out"}, {"a_out"});
  bad.syscall(ir::kPassThrough, "b", {"a_out"}, {"b_out"});
  bad.syscall(ir::kPassThrough, "c", {"nowhere"}, {"a_out"});
  bad.syscall(ir::kPulse, "p", {"t"}, {});
  expect_load_as_build("findings.bb", ir::serialize_deterministic(bad.compiled()));

  // Bytes the batches do not parse: the whole parse says where.
  const std::string bytes = ir::serialize_deterministic(sample());
  expect_load_as_build("truncated.bb", bytes.substr(0, bytes.size() - 3));
  expect_load_as_build("cut_in_node.bb", bytes.substr(0, bytes.size() / 2));
  std::string bad_node = bytes;
  const auto name = bytes.find("\x1a\x05send0");  // node.name of the Send
  ASSERT_NE(name, std::string::npos);
  bad_node[name] = 0x1f;  // field 3, wire type 7: no such type
  expect_load_as_build("bad_node.bb", bad_node);
  runtime::LoadOptions shallow;
  shallow.limits.max_recursion_depth = 2;  // model, graph, node: the attributes are too deep
  expect_load_as_build("deep.bb", bytes, shallow);
  shallow.limits.max_recursion_depth = 3;
  expect_load_as_build("deep_enough.bb", bytes, shallow);
}

// A dropped program's arena blocks wait in the process for its next load
// (program_memory.h), which takes them instead of asking the C library for fresh pages.
TEST(ProgramMemory, TheNextLoadTakesTheBlocksOfADroppedProgram) {
  const auto path = write("pooled.bb", ir::serialize_deterministic(sample()));
  std::size_t held = 0;  // in the pool while the first program lives
  {
    auto first = Program::load(path);
    ASSERT_TRUE(first) << first.error().message;
    held = runtime::pooled_program_bytes();
  }
  const std::size_t dropped = runtime::pooled_program_bytes();
  EXPECT_GT(dropped, held);
  EXPECT_LE(dropped, runtime::kMaxPooledProgramBytes);
  auto second = Program::load(path);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_LT(runtime::pooled_program_bytes(), dropped);
  EXPECT_EQ((*second)->nodes().size(), static_cast<std::size_t>(sample().graph().node_size()));
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
