// The passes one by one (docs/compiler.md): canonical names and peers, gate names,
// outputs, attributes, placement, rewiring, stamps, skipping, the passport.
#include <gtest/gtest.h>

#include <onnx/checker.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bb/compiler/compile.h"
#include "bb/compiler/gate_contracts.h"
#include "bb/compiler/pass.h"
#include "bb/compiler/text_dump.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

using testing::compile;
using testing::ModelBuilder;
using testing::parse_bytes;

onnx::ModelProto compiled(const onnx::ModelProto& model, const PassOptions& options = {}) {
  auto result = compile(model, options);
  EXPECT_TRUE(result.ok()) << result.status.message;
  return parse_bytes(result.bytes);
}

std::vector<std::string> names(const onnx::GraphProto& graph) {
  std::vector<std::string> out;
  for (const auto& n : graph.node()) out.push_back(n.name());
  return out;
}

std::string bytes_of(std::string_view text) { return PeerId::from_text(text)->bytes(); }

TEST(Registry, CanonicalOrderAndSkippable) {
  std::vector<std::string_view> order;
  for (const auto& p : registered_passes()) order.push_back(p.name);
  EXPECT_EQ(order, (std::vector<std::string_view>{"validate", "canonicalize", "insert-dedup-gate-rx",
                                                  "insert-peer-health-gate-rx", "insert-backoff-gate-rx",
                                                  "insert-peer-health-gate-tx", "insert-backoff-gate-tx",
                                                  "verify-gates", "stamp-passport"}));
  for (auto name : {"validate", "canonicalize", "verify-gates", "stamp-passport"})
    EXPECT_FALSE(find_pass(name)->skippable) << name;
  for (const auto& p : registered_passes()) EXPECT_FALSE(p.description.empty());
}

TEST(PassOptions, SkipOfUnknownOrUnskippablePassIsAUsageError) {
  for (auto name : {"nope", "validate", "canonicalize", "verify-gates", "stamp-passport"}) {
    PassOptions o;
    o.skip = {name};
    auto checked = check_pass_options(o);
    ASSERT_FALSE(checked) << name;
    EXPECT_NE(checked.error().find("insert-backoff-gate-tx"), std::string::npos) << checked.error();
  }
  PassOptions ok;
  ok.skip = {"insert-dedup-gate-rx"};
  ok.print_after = "all";
  EXPECT_TRUE(check_pass_options(ok));
}

TEST(Canonicalize, TextPeersBecomeMultihashBytes) {
  const std::string base58 = PeerId::from_text("id:carol")->to_base58();
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "a", "id:bob");
  b.send({"tick"}, "c", base58);
  auto& peers = b.sys(ir::kPeers, {}, {"all"}, "all");
  ModelBuilder::strings(peers, ir::kAttrPeers, {"id:dave", base58});
  auto out = compiled(b.model());
  // Every node the test names must be there: a loop over the nodes alone would pass on
  // a graph that lost them.
  int seen = 0;
  for (const auto& n : out.graph().node()) {
    if (n.name() == "a") {
      ASSERT_TRUE(ir::read_peer_bytes(n));
      EXPECT_EQ(*ir::read_peer_bytes(n), bytes_of("id:bob"));
    } else if (n.name() == "c" || n.name() == ir::gate_node_name(ir::kBackoffGateTx, "c")) {
      ASSERT_TRUE(ir::read_peer_bytes(n));
      EXPECT_EQ(*ir::read_peer_bytes(n), bytes_of("id:carol"));
    } else if (n.name() == "all") {
      ASSERT_EQ(n.attribute(0).strings_size(), 2);
      EXPECT_EQ(n.attribute(0).strings(0), bytes_of("id:dave"));
      EXPECT_EQ(n.attribute(0).strings(1), bytes_of("id:carol"));
    } else {
      continue;
    }
    ++seen;
  }
  EXPECT_EQ(seen, 4) << "a, c, BackoffGateTx@c and all";
}

TEST(Canonicalize, UnnamedWireOpsAndCollisions) {
  ModelBuilder b;
  b.tick("t", "x");                        // #0 a non-wire node named x
  b.send({"t"}, "");                       // #1 -> Send_1
  b.send({"t"}, "x");                      // #2 collides with the Interval -> x~2
  b.recv({"r", "from"}, "");               // #3 -> Recv_3
  b.send({"t"}, "Send_1");                 // #4 collides with #1 -> Send_1~2
  b.send({"t"}, "x");                      // #5 -> x~3
  auto out = compiled(b.model());
  std::vector<std::string> wire;
  for (const auto& n : out.graph().node())
    if (ir::is_wire_op(n)) wire.push_back(n.name());
  EXPECT_EQ(wire, (std::vector<std::string>{"Send_1", "x~2", "Recv_3", "Send_1~2", "x~3"}));
}

TEST(GateTx, StaticSendGetsBothGatesImmediatelyBefore) {
  ModelBuilder b;
  b.tick();
  b.tick("tock", "tock");
  b.send({"tick", "tock"}, "send0");
  auto out = compiled(b.model());
  EXPECT_EQ(names(out.graph()), (std::vector<std::string>{"tick", "tock", "PeerHealthGateTx@send0",
                                                          "BackoffGateTx@send0", "send0"}));
  const auto& ph = out.graph().node(2);
  const auto& bo = out.graph().node(3);
  const auto& send = out.graph().node(4);
  EXPECT_EQ(ph.domain(), ir::kSyscallDomain);
  EXPECT_EQ(ph.input(0), "tick");
  EXPECT_EQ(ph.input(1), "tock");
  EXPECT_EQ(ph.output(1), "send0#peer_health_tx_gated.1");
  EXPECT_EQ(bo.input(1), "send0#peer_health_tx_gated.1");
  EXPECT_EQ(bo.output(0), "send0#backoff_tx_gated.0");
  EXPECT_EQ(send.input(0), "send0#backoff_tx_gated.0");
  EXPECT_EQ(send.input(1), "send0#backoff_tx_gated.1");
  for (const auto* gate : {&ph, &bo}) {
    EXPECT_EQ(*ir::read_peer_bytes(*gate), bytes_of("id:bob"));
    EXPECT_EQ(*ir::read_string_attribute(*gate, ir::kAttrSource), "send0");
    EXPECT_FALSE(ir::read_int_attribute(*gate, ir::kAttrDynamicPeers));
  }
  EXPECT_TRUE(ir::has_stamp(send, ir::kStampPeerHealthTx));
  EXPECT_TRUE(ir::has_stamp(send, ir::kStampBackoffTx));
}

TEST(GateTx, DynamicSendGatesCarryDynamicPeersAndThePeerList) {
  ModelBuilder b;
  b.tick();
  auto& peers = b.sys(ir::kPeers, {}, {"all"}, "all");
  ModelBuilder::strings(peers, ir::kAttrPeers, {"id:a", "id:b"});
  b.send({"tick", "all"}, "fan", "");
  auto out = compiled(b.model());
  const auto& ph = out.graph().node(2);
  ASSERT_EQ(ph.op_type(), ir::kPeerHealthGateTx);
  EXPECT_EQ(ph.input(1), "all");
  EXPECT_EQ(*ir::read_int_attribute(ph, ir::kAttrDynamicPeers), 1);
  EXPECT_FALSE(ir::read_peer_bytes(ph));
  EXPECT_EQ(*ir::read_int_attribute(out.graph().node(3), ir::kAttrDynamicPeers), 1);
  EXPECT_EQ(out.graph().node(4).input(1), "fan#backoff_tx_gated.1");
}

TEST(GateRx, ChainAfterRecvAndEveryConsumerRewired) {
  ModelBuilder b;
  b.recv({"x", "from"}, "r");
  b.sys(ir::kLog, {"x", "from"}, {}, "log");
  b.sys(ir::kPassThrough, {"x"}, {"y"}, "pt");
  b.output("x");  // a graph output straight from the Recv
  auto out = compiled(b.model());
  EXPECT_EQ(names(out.graph()), (std::vector<std::string>{"r", "DedupGateRx@r", "PeerHealthGateRx@r",
                                                          "BackoffGateRx@r", "log", "pt"}));
  const auto& g = out.graph();
  EXPECT_EQ(g.node(1).input(0), "x");
  EXPECT_EQ(g.node(1).output(1), "r#dedup_rx_out.1");
  EXPECT_EQ(g.node(2).input(0), "r#dedup_rx_out.0");
  EXPECT_EQ(g.node(3).output(0), "r#backoff_rx_out.0");
  EXPECT_EQ(g.node(4).input(0), "r#backoff_rx_out.0");
  EXPECT_EQ(g.node(4).input(1), "r#backoff_rx_out.1");
  EXPECT_EQ(g.node(5).input(0), "r#backoff_rx_out.0");
  EXPECT_EQ(g.output(0).name(), "r#backoff_rx_out.0");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(*ir::read_string_attribute(g.node(i), ir::kAttrSource), "r");
  for (auto stamp : {ir::kStampDedupRx, ir::kStampPeerHealthRx, ir::kStampBackoffRx})
    EXPECT_TRUE(ir::has_stamp(g.node(0), stamp));
}

TEST(GateRx, ConsumersInsideSubgraphsAreRewired) {
  auto model = testing::parse_text(R"(<ir_version: 8, opset_import: ["" : 13, "ai.bytesandbrains.wire" : 1]>
g (bool c) => (float[1] y) {
  x, from = ai.bytesandbrains.wire.Recv()
  y = If(c) <then_branch = t () => (float[1] a) { a = Identity(x) }, else_branch = e () => (float[1] b) { b = Identity(x) }>
})");
  auto out = compiled(model);
  const auto& iff = out.graph().node(4);
  ASSERT_EQ(iff.op_type(), "If");
  EXPECT_EQ(iff.attribute(0).g().node(0).input(0), "Recv_0#backoff_rx_out.0");
  EXPECT_EQ(iff.attribute(1).g().node(0).input(0), "Recv_0#backoff_rx_out.0");
  EXPECT_NO_THROW(onnx::checker::check_model(out));
}

// A subgraph sees the values of the graphs around it: a wire op named like one outside
// (here both unnamed at index 1, both `Recv_1`) would define the same gate outputs twice,
// which onnx.checker rejects. The inner one gets `~2`. (Found by the property test once
// its generator made subgraphs with wire ops.)
TEST(Canonicalize, SubgraphWireOpsDoNotReuseEnclosingKeys) {
  auto model = testing::parse_text(R"(<ir_version: 8, opset_import: ["" : 13, "ai.bytesandbrains.wire" : 1, "ai.bytesandbrains.syscall" : 1]>
g (bool[1] c) => (float[1] y) {
  t = ai.bytesandbrains.syscall.Interval<period_ns = 100>()
  x, from = ai.bytesandbrains.wire.Recv()
  y = If(c) <then_branch = t1 () => (float[1] a) { = ai.bytesandbrains.wire.Send<peer = "id:bob">(t) q, qf = ai.bytesandbrains.wire.Recv() a = Identity(q) }, else_branch = e () => (float[1] b) { b = Identity(x) }>
})");
  auto out = compiled(model);
  const onnx::NodeProto* iff = nullptr;
  for (const auto& n : out.graph().node())
    if (n.op_type() == "If") iff = &n;
  ASSERT_NE(iff, nullptr);
  std::vector<std::string> inner;
  for (const auto& n : iff->attribute(0).g().node())
    if (ir::is_wire_op(n)) inner.push_back(n.name());
  EXPECT_EQ(inner, (std::vector<std::string>{"Send_0", "Recv_1~2"}));
  EXPECT_NO_THROW(onnx::checker::check_model(out));
}

TEST(GateRx, SkipDedupThenRecompileInsertsItInPlace) {
  ModelBuilder b;
  b.recv({"x", "from"}, "r");
  b.sys(ir::kLog, {"x"}, {}, "log");
  PassOptions skip;
  skip.skip = {"insert-dedup-gate-rx"};
  auto first = compiled(b.model(), skip);
  EXPECT_EQ(names(first.graph()), (std::vector<std::string>{"r", "PeerHealthGateRx@r", "BackoffGateRx@r", "log"}));
  auto passport = ir::read_passport(first);
  ASSERT_TRUE(passport);
  EXPECT_FALSE(passport->ran("insert-dedup-gate-rx"));
  EXPECT_TRUE(passport->ran("insert-backoff-gate-rx"));
  // Recompiling without --skip adds the missing gate at the head of the chain.
  auto second = compiled(first);
  EXPECT_EQ(names(second.graph()),
            (std::vector<std::string>{"r", "DedupGateRx@r", "PeerHealthGateRx@r", "BackoffGateRx@r", "log"}));
  EXPECT_EQ(second.graph().node(2).input(0), "r#dedup_rx_out.0");
  EXPECT_TRUE(ir::read_passport(second)->ran("insert-dedup-gate-rx"));
}

TEST(GateTx, SkipPeerHealthThenRecompileInsertsItBeforeBackoff) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "s");
  PassOptions skip;
  skip.skip = {"insert-peer-health-gate-tx"};
  auto first = compiled(b.model(), skip);
  EXPECT_EQ(names(first.graph()), (std::vector<std::string>{"tick", "BackoffGateTx@s", "s"}));
  auto second = compiled(first);
  EXPECT_EQ(names(second.graph()), (std::vector<std::string>{"tick", "PeerHealthGateTx@s", "BackoffGateTx@s", "s"}));
  EXPECT_EQ(second.graph().node(1).input(0), "tick");
  EXPECT_EQ(second.graph().node(2).input(0), "s#peer_health_tx_gated.0");
}

TEST(StampPassport, KeysOverwrittenOpsetsAndIrVersion) {
  auto model = testing::parse_text(R"(<opset_import: ["ai.bytesandbrains.wire" : 1, "ai.bytesandbrains.syscall" : 1]>
g () => () {
  t = ai.bytesandbrains.syscall.Pulse()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(t)
})");
  EXPECT_EQ(model.ir_version(), 0);
  ir::set_metadata(model, ir::kPassportCompiler, "someone else");
  ir::set_metadata(model, ir::kPassportPasses, "old");
  auto out = compiled(model);
  EXPECT_EQ(out.ir_version(), 8);
  int compiler_keys = 0;
  for (const auto& p : out.metadata_props()) compiler_keys += p.key() == ir::kPassportCompiler;
  EXPECT_EQ(compiler_keys, 1);
  auto passport = ir::read_passport(out);
  ASSERT_TRUE(passport);
  EXPECT_EQ(passport->compiled, ir::kPassportVersion);
  EXPECT_EQ(passport->compiler, "bbc " + std::string(compiler_version()));
  EXPECT_EQ(passport->passes.size(), registered_passes().size());
  EXPECT_EQ(passport->passes.back(), "stamp-passport");
  EXPECT_EQ(passport->digest, ir::graph_digest(out));
  EXPECT_NO_THROW(onnx::checker::check_model(out));
}

TEST(StampPassport, SyscallDomainAddedWhereGatesExist) {
  ModelBuilder b;
  b.model().clear_opset_import();
  b.import(ir::kWireDomain, 1).import("local", 1).import("", 13);
  auto* fn = b.model().add_functions();
  fn->set_name("Notify");
  fn->set_domain("local");
  fn->add_input("v");
  auto* send = fn->add_node();
  send->set_domain(std::string(ir::kWireDomain));
  send->set_op_type(std::string(ir::kSend));
  send->set_name("notify");
  send->add_input("v");
  ModelBuilder::str(*send, ir::kAttrPeer, "id:bob");
  auto* o = fn->add_opset_import();
  o->set_domain(std::string(ir::kWireDomain));
  o->set_version(1);
  b.input("x");
  b.node("local", "Notify", {"x"}, {}, "call");
  auto out = compiled(b.model());
  EXPECT_EQ(ir::opset_version(out.opset_import(), ir::kSyscallDomain), 1);
  EXPECT_EQ(ir::opset_version(out.opset_import(), ir::kWireDomain), 1);
  const auto& f = out.functions(0);
  EXPECT_EQ(ir::opset_version(f.opset_import(), ir::kSyscallDomain), 1);
  EXPECT_EQ(ir::opset_version(f.opset_import(), ir::kWireDomain), 1);
  ASSERT_EQ(f.node_size(), 3);
  EXPECT_EQ(f.node(0).name(), "PeerHealthGateTx@notify");
  EXPECT_NO_THROW(onnx::checker::check_model(out));
}

TEST(Compile, DeterministicIdempotentAndSplicedBytesEqualAFullSerialization) {
  ModelBuilder b;
  b.model().set_producer_name("tests");
  b.tick();
  b.send({"tick"}, "");
  b.recv({"x", "from"}, "");
  b.sys(ir::kLog, {"x"}, {}, "log");
  auto first = compile(b.model());
  auto again = compile(b.model());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.bytes, again.bytes);
  const auto model = parse_bytes(first.bytes);
  EXPECT_EQ(ir::serialize_deterministic(model), first.bytes);
  auto recompiled = compile(model, {}, "g.bb");
  ASSERT_TRUE(recompiled.ok()) << recompiled.status.message;
  EXPECT_EQ(recompiled.bytes, first.bytes);
  EXPECT_TRUE(recompiled.findings.empty());
}

TEST(PassManager, PrintAfterAndTimePasses) {
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "s");
  PassOptions o;
  o.print_after = "canonicalize";
  o.time = TimeFormat::kJson;
  o.verify_each = true;
  auto result = compile(b.model(), o);
  ASSERT_TRUE(result.ok());
  EXPECT_NE(result.log.find("after pass canonicalize"), std::string::npos);
  EXPECT_EQ(result.log.find("after pass validate"), std::string::npos);
  EXPECT_NE(result.log.find("#1 ai.bytesandbrains.wire.Send 's' (tick)"), std::string::npos) << result.log;
  EXPECT_NE(result.log.find("{\"passes\": [{\"name\": \"validate\", \"seconds\": "), std::string::npos) << result.log;
  EXPECT_NE(result.log.find("\"total_seconds\": "), std::string::npos);
}

// Regression: a graph importing only the wire domain got gates whose syscall domain was
// imported only by stamp-passport, so --verify-each (on by default in debug builds)
// failed after the first gate pass with an internal error.
TEST(PassManager, VerifyEachAcceptsAGraphThatImportsOnlyTheWireDomain) {
  auto model = testing::parse_text(R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.wire" : 1]>
g (float[1] x) => (y, from) {
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(x)
  y, from = ai.bytesandbrains.wire.Recv()
})");
  PassOptions o;
  o.verify_each = true;
  auto result = compile(model, o);
  ASSERT_TRUE(result.ok()) << result.status.message;
  auto out = testing::parse_bytes(result.bytes);
  EXPECT_TRUE(ir::opset_version(out.opset_import(), ir::kSyscallDomain).has_value());
}

TEST(VerifyGates, ContractViolationsAreReportedPerNode) {
  // Two Sends; only one is gated by hand: the checker names the other.
  ModelBuilder b;
  b.tick();
  b.send({"tick"}, "gated");
  b.send({"tick"}, "bare");
  auto out = compiled(b.model());
  // Remove the gates of "bare" (nodes 4 and 5) and feed it the raw tick.
  auto* nodes = out.mutable_graph()->mutable_node();
  ASSERT_EQ(nodes->Get(6).name(), "bare");
  nodes->Mutable(6)->set_input(0, "tick");
  nodes->DeleteSubrange(4, 2);
  DiagnosticEngine diags("g.bb");
  check_gate_contracts(out, GateSet::all(), diags);
  ASSERT_EQ(diags.findings().size(), 1u);
  EXPECT_EQ(diags.findings()[0].code, kBB012);
  EXPECT_EQ(diags.findings()[0].node, "bare");
}

// A tick, a Send, a Recv whose value is a graph output, and an empty function "F":
// every part of the output the writer handles.
ModelBuilder tick_send_recv_with_function() {
  ModelBuilder b;
  b.tick("t", "pulse");
  b.send({"t"}, "s");
  b.recv({"p", "from"}, "r");
  b.output("p");
  auto* fn = b.model().add_functions();
  fn->set_name("F");
  fn->set_domain("local");
  return b;
}

// compile_model_to_file: the file holds compile_model's bytes (functions and the
// passport around the streamed graph); input errors leave no file and come before an
// unwritable output, which is a write error after an ok compile.
TEST(CompileToFile, SameBytesAndNothingLeftOnFailure) {
  auto b = tick_send_recv_with_function();
  auto expected = testing::compile(b.model());
  ASSERT_TRUE(expected.ok());

  char tmpl[] = "/tmp/bb-tofile-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;
  auto run = [&](onnx::ModelProto model, const std::filesystem::path& out) {
    DiagnosticEngine diags("test.onnx");
    std::ostringstream log;
    return compile_model_to_file(model, "test.onnx", {}, diags, log, out);
  };
  auto written = run(b.model(), dir / "out.bb");
  ASSERT_EQ(written.status.kind, PassStatus::Kind::kOk);
  ASSERT_FALSE(written.write_error);
  std::ifstream in(dir / "out.bb", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, expected.bytes);
  EXPECT_EQ(written.size, expected.bytes.size());

  auto broken = b.model();
  broken.mutable_graph()->mutable_node(1)->add_input("nowhere");
  auto failed = run(broken, dir / "bad.bb");
  EXPECT_EQ(failed.status.kind, PassStatus::Kind::kInputErrors);
  EXPECT_FALSE(failed.write_error);
  auto unwritable = run(broken, dir / "missing" / "bad.bb");
  EXPECT_EQ(unwritable.status.kind, PassStatus::Kind::kInputErrors);
  EXPECT_FALSE(unwritable.write_error) << "input errors come first";
  auto no_folder = run(b.model(), dir / "missing" / "out.bb");
  EXPECT_EQ(no_folder.status.kind, PassStatus::Kind::kOk);
  ASSERT_TRUE(no_folder.write_error);
  EXPECT_EQ(no_folder.write_error->kind, ir::IoError::Kind::kWrite);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1)
      << "only out.bb: no temporary file, no bad.bb";
  std::filesystem::remove_all(dir);
}

// No pass writes: stamp-passport leaves the digest to the driver's writer, which hashes
// the bytes it writes. The digest is the model's (graph_digest) on every path: a plain
// compile, --print-after stamp-passport (the printer settles it before the write, and the
// dump shows it), and a model with unknown fields (serialized last, not streamed).
TEST(CompileToFile, WriterFillsInTheDigestOnEveryPath) {
  auto b = tick_send_recv_with_function();
  const auto digest_of_output = [](const std::string& bytes) {
    const auto model = parse_bytes(bytes);
    const auto passport = ir::read_passport(model);
    EXPECT_TRUE(passport.has_value());
    EXPECT_EQ(passport ? passport->digest : "", ir::graph_digest(model));
    EXPECT_EQ(ir::serialize_deterministic(model), bytes);
    return passport ? passport->digest : std::string();
  };
  const auto plain = compile(b.model());
  ASSERT_TRUE(plain.ok()) << plain.status.message;
  const auto digest = digest_of_output(plain.bytes);
  EXPECT_EQ(digest.size(), 64u);

  PassOptions print;
  print.print_after = std::string(kPassStampPassport);
  const auto printed = compile(b.model(), print);
  ASSERT_TRUE(printed.ok());
  EXPECT_EQ(printed.bytes, plain.bytes);
  EXPECT_NE(printed.log.find(digest), std::string::npos) << printed.log;

  // Field 1000, a varint: a field this onnx does not know, kept and written last.
  std::string with_unknown = ir::serialize_deterministic(b.model());
  with_unknown += std::string("\xc0\x3e\x07", 3);
  onnx::ModelProto unknown;
  ASSERT_TRUE(unknown.ParseFromString(with_unknown));
  ASSERT_FALSE(unknown.unknown_fields().empty());
  const auto kept = compile(unknown);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(digest_of_output(kept.bytes), digest);
  EXPECT_TRUE(kept.bytes.ends_with(std::string("\xc0\x3e\x07", 3)));
}

}  // namespace
}  // namespace bb::compiler
