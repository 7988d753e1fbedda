// One failing input per rule of docs/diagnostics.md: the code, the severity, the node named in
// the message, and whether compile stops (errors) or goes on (warnings).
#include "bb/compiler/validate.h"

#include <gtest/gtest.h>

#include "bb/compiler/lint.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

using testing::compile;
using testing::ModelBuilder;

std::vector<Finding> validate(const onnx::ModelProto& model, bool pedantic = false, std::string_view path = "g.onnx") {
  DiagnosticEngine diags{std::string(path)};
  validate_model(model, ValidateOptions{pedantic, path}, diags);
  return diags.take();
}

// The one finding with `code`, or a failure listing what was found.
Finding only(const std::vector<Finding>& findings, std::string_view code) {
  const Finding none;
  const Finding* found = nullptr;
  int count = 0;
  for (const auto& f : findings)
    if (f.code == code) {
      found = &f;
      ++count;
    }
  std::string all;
  for (const auto& f : findings) all += format_text(f) + "\n";
  EXPECT_EQ(count, 1) << "findings:\n" << all;
  return found != nullptr ? *found : none;
}

void expect_node(const Finding& f, std::string_view name) {
  ASSERT_TRUE(f.node.has_value()) << format_text(f);
  EXPECT_EQ(*f.node, name);
  EXPECT_NE(format_text(f).find("node '" + std::string(name) + "'"), std::string::npos) << format_text(f);
}

// Compile stops after validate with the error.
void expect_compile_error(const onnx::ModelProto& model, std::string_view code) {
  auto result = compile(model);
  EXPECT_EQ(result.status.kind, PassStatus::Kind::kInputErrors);
  EXPECT_TRUE(result.has(code));
  EXPECT_TRUE(result.bytes.empty());
}

TEST(Validate, CleanGraphHasNoFindings) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "send0");
  b.recv({"x", "from"}, "recv0");
  b.sys(ir::kLog, {"x", "from"}, {}, "log");
  EXPECT_TRUE(validate(b.model()).empty());
}

TEST(Validate, BB002DomainWithoutOpsetImport) {
  ModelBuilder b;
  b.tick();
  b.node("com.example", "Frob", {"tick"}, {"y"}, "frob");
  const Finding f = only(validate(b.model()), kBB002);
  expect_node(f, "frob");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_NE(f.message.find("com.example"), std::string::npos);
  expect_compile_error(b.model(), kBB002);
}

TEST(Validate, BB003UnknownOnnxOp) {
  ModelBuilder b;
  b.tick();
  b.node("", "Frobnicate", {"tick"}, {"y"}, "frob");
  const Finding f = only(validate(b.model()), kBB003);
  expect_node(f, "frob");
  EXPECT_NE(f.message.find("opset 13"), std::string::npos) << f.message;
  expect_compile_error(b.model(), kBB003);
}

TEST(Validate, BB003OpNewerThanImportedOpset) {
  ModelBuilder b;  // imports "" 13; Trilu arrives in opset 14
  b.tick();
  b.node("", "Trilu", {"tick"}, {"y"}, "trilu");
  expect_node(only(validate(b.model()), kBB003), "trilu");
}

TEST(Validate, BB003BbOpInTheWrongDomainHintsTheRightOne) {
  ModelBuilder b;
  b.tick();
  b.node(ir::kSyscallDomain, ir::kSend, {"tick"}, {}, "send0");
  const Finding f = only(validate(b.model()), kBB003);
  expect_node(f, "send0");
  EXPECT_NE(f.hint.find(ir::kWireDomain), std::string::npos) << f.hint;
}

TEST(Validate, BB003AcceptsModelLocalFunctions) {
  ModelBuilder b;
  b.import("local", 1);
  auto* fn = b.model().add_functions();
  fn->set_name("Twice");
  fn->set_domain("local");
  fn->add_input("a");
  fn->add_output("b");
  auto* n = fn->add_node();
  n->set_op_type("Identity");
  n->add_input("a");
  n->add_output("b");
  auto* o = fn->add_opset_import();
  o->set_domain("");
  o->set_version(13);
  b.tick();
  b.node("local", "Twice", {"tick"}, {"y"}, "call");
  EXPECT_TRUE(validate(b.model()).empty());
  EXPECT_TRUE(compile(b.model()).ok());
}

TEST(Validate, BB004InputNeverProduced) {
  ModelBuilder b;
  b.send({"ghost"}, "send0");
  const Finding f = only(validate(b.model()), kBB004);
  expect_node(f, "send0");
  EXPECT_NE(f.message.find("'ghost'"), std::string::npos);
  expect_compile_error(b.model(), kBB004);
}

TEST(Validate, BB005ValueProducedTwice) {
  ModelBuilder b;
  b.tick("t", "first");
  b.tick("t", "second");
  const Finding f = only(validate(b.model()), kBB005);
  expect_node(f, "second");
  EXPECT_NE(f.message.find("'first'"), std::string::npos) << f.message;
  expect_compile_error(b.model(), kBB005);
}

TEST(Validate, BB006Cycle) {
  ModelBuilder b;
  b.tick();
  b.sys(ir::kOnTrigger, {"tick", "b"}, {"a"}, "join");
  b.sys(ir::kPassThrough, {"a"}, {"b"}, "loop");
  const auto findings = validate(b.model());
  const Finding f = only(findings, kBB006);
  expect_node(f, "join");
  EXPECT_NE(f.message.find("'join' -> 'loop' -> 'join'"), std::string::npos) << f.message;
  EXPECT_FALSE(compile(b.model()).ok());
}

TEST(Validate, BB007GraphInputWithoutType) {
  ModelBuilder b;
  b.input("x", /*typed=*/false);
  b.send({"x"}, "send0");
  const Finding f = only(validate(b.model()), kBB007);
  EXPECT_TRUE(f.file_level());
  EXPECT_NE(f.message.find("'x'"), std::string::npos);
  expect_compile_error(b.model(), kBB007);
}

TEST(Validate, BB008MissingRequiredAttribute) {
  ModelBuilder b;
  b.sys(ir::kInterval, {}, {"t"}, "timer");
  const Finding f = only(validate(b.model()), kBB008);
  expect_node(f, "timer");
  EXPECT_NE(f.message.find(ir::kAttrPeriodNs), std::string::npos);
  expect_compile_error(b.model(), kBB008);
}

TEST(Validate, BB008WrongArity) {
  ModelBuilder b;
  b.tick();
  b.sys(ir::kPassThrough, {"tick", "tick"}, {"y"}, "pt");
  expect_node(only(validate(b.model()), kBB008), "pt");
}

TEST(Validate, BB008WrongAttributeType) {
  ModelBuilder b;
  auto& n = b.sys(ir::kInterval, {}, {"t"}, "timer");
  ModelBuilder::str(n, ir::kAttrPeriodNs, "1s");
  const Finding f = only(validate(b.model()), kBB008);
  expect_node(f, "timer");
  EXPECT_NE(f.message.find("STRING"), std::string::npos);
}

TEST(Validate, BB008OneOfGroup) {
  ModelBuilder b;
  auto& n = b.sys(ir::kConstant, {}, {"c"}, "const");
  ModelBuilder::integer(n, ir::kAttrValueInt, 1);
  ModelBuilder::str(n, ir::kAttrValueString, "one");
  expect_node(only(validate(b.model()), kBB008), "const");
}

TEST(Validate, BB009IrVersionAboveEight) {
  ModelBuilder b;
  b.model().set_ir_version(9);
  const Finding f = only(validate(b.model()), kBB009);
  EXPECT_TRUE(f.file_level());
  expect_compile_error(b.model(), kBB009);
}

TEST(Validate, BB010SendWithoutInputs) {
  ModelBuilder b;
  b.send({}, "send0");
  expect_node(only(validate(b.model()), kBB010), "send0");
  expect_compile_error(b.model(), kBB010);
}

TEST(Validate, BB010DynamicSendWithOnlyOneInput) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "send0", /*peer=*/"");
  const Finding f = only(validate(b.model()), kBB010);
  expect_node(f, "send0");
  EXPECT_NE(f.message.find("peer list"), std::string::npos);
}

TEST(Validate, BB011MalformedPeers) {
  struct Case {
    std::string value;
    std::string_view why;
  };
  for (const auto& c : {Case{"id:", "id:"}, Case{"0OIl", "base58"}, Case{std::string("\x12\x20\x01", 3), "truncated"}}) {
    ModelBuilder b;
    b.tick();
    b.send({"tick"}, "send0", c.value);
    const Finding f = only(validate(b.model()), kBB011);
    expect_node(f, "send0");
    expect_compile_error(b.model(), kBB011);
  }
}

TEST(Validate, BB011PeerOfWrongTypeAndEmpty) {
  ModelBuilder b;
  b.tick();
  auto& typed = b.send({"tick"}, "send_int", "");
  ModelBuilder::integer(typed, ir::kAttrPeer, 7);
  auto& empty = b.send({"tick"}, "send_empty", "");
  ModelBuilder::str(empty, ir::kAttrPeer, "");
  const auto findings = validate(b.model());
  int n = 0;
  for (const auto& f : findings) {
    if (f.code != kBB011) continue;
    ++n;
    EXPECT_TRUE(f.node == "send_int" || f.node == "send_empty") << format_text(f);
  }
  EXPECT_EQ(n, 2);
}

TEST(Validate, BB011PeersEntry) {
  ModelBuilder b;
  auto& peers = b.sys(ir::kPeers, {}, {"all"}, "everyone");
  ModelBuilder::strings(peers, ir::kAttrPeers, {"id:alice", "not*base58"});
  const Finding f = only(validate(b.model()), kBB011);
  expect_node(f, "everyone");
  EXPECT_NE(f.message.find("entry 1"), std::string::npos) << f.message;
}

TEST(Validate, BB015ChannelPayloadCountIsAWarning) {
  ModelBuilder b;
  b.tick();
  b.tick("tock", "tock");
  auto& send = b.send({"tick", "tock"}, "send2");
  ModelBuilder::str(send, ir::kAttrChannel, "c");
  auto& recv = b.recv({"x", "from"}, "recv1");
  ModelBuilder::str(recv, ir::kAttrChannel, "c");
  const Finding f = only(validate(b.model()), kBB015);
  expect_node(f, "send2");
  EXPECT_EQ(f.severity, Severity::kWarning);
  auto result = compile(b.model());
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(result.has(kBB015));
}

TEST(Validate, BB015IgnoresChannelsWithoutLocalRecv) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "send0");
  b.recv({"a", "b", "from"}, "recv0");
  ModelBuilder::str(*b.model().mutable_graph()->mutable_node(2), ir::kAttrChannel, "other");
  EXPECT_TRUE(validate(b.model()).empty());
}

TEST(Validate, BB016NotTopologicalIsAWarningAndCompileSorts) {
  ModelBuilder b;
  b.send({"tick"}, "send0");
  b.tick();
  const Finding f = only(validate(b.model()), kBB016);
  expect_node(f, "send0");
  EXPECT_EQ(f.severity, Severity::kWarning);
  auto result = compile(b.model());
  ASSERT_TRUE(result.ok()) << result.status.message;
  auto out = testing::parse_bytes(result.bytes);
  EXPECT_EQ(out.graph().node(0).name(), "tick");
  EXPECT_EQ(out.graph().node(3).name(), "send0");
}

TEST(Validate, BB020DigestMismatchVersionAndMissingPassport) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "send0");
  auto compiled = compile(b.model());
  ASSERT_TRUE(compiled.ok());
  auto model = testing::parse_bytes(compiled.bytes);
  EXPECT_TRUE(validate(model, false, "g.bb").empty());

  auto edited = model;
  edited.mutable_graph()->mutable_node(0)->mutable_attribute(0)->set_i(5);
  const Finding f = only(validate(edited, false, "g.bb"), kBB020);
  EXPECT_TRUE(f.file_level());
  EXPECT_NE(f.message.find("graph_sha256"), std::string::npos);
  expect_compile_error(edited, kBB020);

  auto version = model;
  ir::set_metadata(version, ir::kPassportCompiled, "v2");
  EXPECT_NE(only(validate(version, false, "g.bb"), kBB020).message.find("v2"), std::string::npos);

  EXPECT_EQ(only(validate(b.model(), false, "plain.bb"), kBB020).code, kBB020);
  EXPECT_TRUE(validate(b.model(), false, "plain.onnx").empty());
}

TEST(Validate, BB030OnlyWhenPedantic) {
  ModelBuilder b;
  b.tick("t", "");
  EXPECT_TRUE(validate(b.model()).empty());
  const Finding f = only(validate(b.model(), true), kBB030);
  EXPECT_FALSE(f.node.has_value());
  EXPECT_EQ(f.index, 0);
  EXPECT_EQ(f.severity, Severity::kNote);
  EXPECT_NE(format_text(f).find("node #0 (Interval)"), std::string::npos) << format_text(f);
}

TEST(Validate, CollectsEveryFinding) {
  ModelBuilder b;
  b.model().set_ir_version(9);
  b.send({}, "no_dest");
  b.send({"ghost"}, "dangling");
  b.sys(ir::kInterval, {}, {"t"}, "timer");
  b.node("", "Nope", {"t"}, {"u"}, "unknown");
  const auto findings = validate(b.model());
  for (auto code : {kBB009, kBB010, kBB004, kBB008, kBB003}) {
    bool found = false;
    for (const auto& f : findings) found = found || f.code == code;
    EXPECT_TRUE(found) << code;
  }
}

TEST(Validate, SubgraphsReadOuterValues) {
  // An If whose branches read a value of the main graph: no BB004.
  auto model = testing::parse_text(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[1] x) => (float[1] y) {
  y = If(c) <then_branch = t () => (float[1] a) { a = Identity(x) }, else_branch = e () => (float[1] b) { b = Identity(x) }>
})");
  EXPECT_TRUE(validate(model).empty());
  auto bad = testing::parse_text(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[1] x) => (float[1] y) {
  y = If(c) <then_branch = t () => (float[1] a) { a = Identity(nowhere) }, else_branch = e () => (float[1] b) { b = Identity(x) }>
})");
  const Finding f = only(validate(bad), kBB004);
  EXPECT_NE(f.message.find("subgraph 't'"), std::string::npos) << f.message;
}

}  // namespace
}  // namespace bb::compiler
