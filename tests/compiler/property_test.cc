// Properties of compile on random graphs (RapidCheck): deterministic, idempotent,
// accepted by onnx::checker, topologically ordered, every Send behind exactly
// PeerHealthGateTx → BackoffGateTx with its own peer, no Recv output reaching anything
// but its rx chain, and every original input still reaching its consumer.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <onnx/checker.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include <google/protobuf/arena.h>

#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "test_util.h"

namespace bb::compiler {
namespace {

using testing::ModelBuilder;

const std::vector<std::string> kNames = {"", "", "", "x", "Send_1", "Recv_2", "send", "n"};

std::string peer_value(int which) {
  switch (which) {
    case 0: return "id:bob";
    case 1: return PeerId::from_text("id:carol")->to_base58();
    default: return PeerId::from_text("id:dave")->bytes();
  }
}

void add_inputs(onnx::NodeProto& node, const std::vector<std::string>& values, int count) {
  for (int k = 0; k < count; ++k)
    node.add_input(values[static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(values.size())))]);
}

onnx::NodeProto& body_node(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, std::string_view domain,
                           std::string_view op_type, std::string_view name) {
  auto* n = nodes.Add();
  n->set_domain(std::string(domain));
  n->set_op_type(std::string(op_type));
  n->set_name(std::string(name));
  return *n;
}

// A body with wire ops of its own, for a subgraph or a function: maybe a Send of `outer`
// (a value of the enclosing scope, or the function's input), maybe a Recv whose payload
// is logged; returns the value the body hands out (the Recv's payload or `outer`).
std::string random_body(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, const std::string& prefix,
                        const std::string& outer) {
  if (*rc::gen::arbitrary<bool>()) {
    auto& send = body_node(nodes, ir::kWireDomain, ir::kSend, *rc::gen::elementOf(kNames));
    send.add_input(outer);
    ModelBuilder::str(send, ir::kAttrPeer, peer_value(*rc::gen::inRange(0, 3)));
  }
  if (!*rc::gen::arbitrary<bool>()) return outer;
  auto& recv = body_node(nodes, ir::kWireDomain, ir::kRecv, *rc::gen::elementOf(kNames));
  recv.add_output(prefix + "_r");
  recv.add_output(prefix + "_from");
  if (*rc::gen::arbitrary<bool>()) ModelBuilder::str(recv, ir::kAttrChannel, "a");
  if (*rc::gen::arbitrary<bool>()) body_node(nodes, ir::kSyscallDomain, ir::kLog, "").add_input(prefix + "_from");
  return prefix + "_r";
}

void typed_output(onnx::GraphProto& graph, const std::string& name) {
  auto* v = graph.add_output();
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
}

// y = If(cond) with branches that hold wire ops and read `outer` from the enclosing graph.
void add_if(ModelBuilder& b, const std::string& y, const std::string& outer, const std::string& name) {
  auto& node = b.node("", "If", {"cond"}, {y}, name);
  for (const char* branch : {"then_branch", "else_branch"}) {
    auto* attr = node.add_attribute();
    attr->set_name(branch);
    attr->set_type(onnx::AttributeProto::GRAPH);
    auto& g = *attr->mutable_g();
    g.set_name(y + "_" + branch);
    const std::string out = random_body(*g.mutable_node(), y + "_" + branch, outer);
    auto& id = body_node(*g.mutable_node(), "", "Identity", "");
    id.add_input(out);
    id.add_output(y + "_" + branch + "_out");
    typed_output(g, y + "_" + branch + "_out");
  }
}

// local.F(x) => (y): a model-local function with wire ops of its own.
void add_function(ModelBuilder& b) {
  b.import("local", 1);
  auto* fn = b.model().add_functions();
  fn->set_name("F");
  fn->set_domain("local");
  fn->add_input("x");
  for (auto [domain, version] : {std::pair<std::string_view, int>{"", 13}, {ir::kWireDomain, 1}, {ir::kSyscallDomain, 1}}) {
    auto* o = fn->add_opset_import();
    o->set_domain(std::string(domain));
    o->set_version(version);
  }
  const std::string out = random_body(*fn->mutable_node(), "f", "x");
  auto& pt = body_node(*fn->mutable_node(), ir::kSyscallDomain, ir::kPassThrough, "");
  pt.add_input(out);
  pt.add_output("y");
  fn->add_output("y");
}

// A valid graph (acyclic, every input produced) with random wire ops, names, peers and
// channels, sometimes If subgraphs and calls of a model-local function holding wire ops
// of their own; sometimes with its nodes shuffled out of topological order.
onnx::ModelProto random_model() {
  ModelBuilder b;
  auto& graph = *b.model().mutable_graph();
  std::vector<std::string> values, peer_lists;
  const int n = *rc::gen::inRange(1, 40);
  const bool subgraphs = *rc::gen::inRange(0, 3) == 0;
  const bool function = *rc::gen::inRange(0, 3) == 0;
  if (subgraphs) {
    b.input("cond");
    b.model().mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
        onnx::TensorProto::BOOL);
  }
  if (function) add_function(b);
  for (int i = 0; i < n; ++i) {
    const std::string v = "v" + std::to_string(i);
    const std::string name = *rc::gen::elementOf(kNames);
    int kind = *rc::gen::inRange(0, 10);
    if (values.empty() && kind != 1) kind = 0;
    if (kind == 6 && peer_lists.empty()) kind = 5;
    if ((kind == 8 && !subgraphs) || (kind == 9 && !function)) kind = 2;
    if (kind == 2 && (subgraphs || function) && *rc::gen::arbitrary<bool>()) kind = subgraphs ? 8 : 9;
    switch (kind) {
      case 0: b.tick(v, name); values.push_back(v); break;
      case 1: {
        const int payloads = *rc::gen::inRange(1, 4);
        auto& recv = b.recv({}, name);
        for (int k = 0; k <= payloads; ++k) {
          recv.add_output(v + "_" + std::to_string(k));
          values.push_back(recv.output(k));
        }
        if (*rc::gen::arbitrary<bool>()) ModelBuilder::str(recv, ir::kAttrChannel, "a");
        break;
      }
      case 2: {
        auto& node = b.node("", "Identity", {}, {v}, name);
        add_inputs(node, values, 1);
        values.push_back(v);
        break;
      }
      case 3: {
        auto& node = b.sys(ir::kOnTrigger, {}, {v}, name);
        add_inputs(node, values, *rc::gen::inRange(1, 4));
        values.push_back(v);
        break;
      }
      case 4: {
        auto& send = b.send({}, name, peer_value(*rc::gen::inRange(0, 3)));
        add_inputs(send, values, *rc::gen::inRange(1, 4));
        if (*rc::gen::arbitrary<bool>()) ModelBuilder::str(send, ir::kAttrChannel, "a");
        break;
      }
      case 5: {
        auto& peers = b.sys(ir::kPeers, {}, {v}, name);
        ModelBuilder::strings(peers, ir::kAttrPeers, {"id:a", "id:b"});
        peer_lists.push_back(v);
        break;
      }
      case 6: {
        auto& send = b.send({}, name, "");
        add_inputs(send, values, *rc::gen::inRange(1, 3));
        add_inputs(send, peer_lists, 1);
        break;
      }
      case 8: {
        add_if(b, v, values[static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(values.size())))], name);
        values.push_back(v);
        break;
      }
      case 9: {
        auto& call = b.node("local", "F", {}, {v}, name);
        add_inputs(call, values, 1);
        values.push_back(v);
        break;
      }
      default: {
        auto& log = b.sys(ir::kLog, {}, {}, name);
        add_inputs(log, values, *rc::gen::inRange(1, 3));
        break;
      }
    }
  }
  const int outputs = values.empty() ? 0 : *rc::gen::inRange(0, 3);
  std::set<std::string> chosen;
  for (int k = 0; k < outputs; ++k)
    chosen.insert(values[static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(values.size())))]);
  for (const auto& o : chosen) b.output(o);
  if (*rc::gen::inRange(0, 4) == 0) {
    std::vector<int> order(static_cast<std::size_t>(graph.node_size()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    order = *rc::gen::exec([&] {
      auto o = order;
      for (std::size_t i = o.size(); i > 1; --i)
        std::swap(o[i - 1], o[static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(i)))]);
      return o;
    });
    google::protobuf::RepeatedPtrField<onnx::NodeProto> shuffled;
    for (int i : order) *shuffled.Add() = graph.node(i);
    graph.mutable_node()->Swap(&shuffled);
  }
  return b.model();
}

// Where a value comes from once gates are seen through: gate output j is its input j.
class Resolver {
 public:
  explicit Resolver(const onnx::GraphProto& graph) {
    for (const auto& node : graph.node())
      if (ir::is_gate(node))
        for (int j = 0; j < node.output_size(); ++j) through_[node.output(j)] = node.input(j);
  }
  std::string operator()(std::string v) const {
    for (auto it = through_.find(v); it != through_.end(); it = through_.find(v)) v = it->second;
    return v;
  }

 private:
  std::map<std::string, std::string> through_;
};

using Uses = std::multiset<std::pair<std::string, std::vector<std::string>>>;

// (op type, inputs) of every non-gate node, and the graph outputs, gates seen through.
Uses uses(const onnx::GraphProto& graph) {
  const Resolver resolve(graph);
  Uses out;
  for (const auto& node : graph.node()) {
    if (ir::is_gate(node)) continue;
    std::vector<std::string> inputs;
    for (const auto& in : node.input()) inputs.push_back(resolve(in));
    out.emplace(node.op_type(), inputs);
  }
  for (const auto& o : graph.output()) out.emplace("graph output", std::vector<std::string>{resolve(o.name())});
  return out;
}

void check_topological(const onnx::GraphProto& graph) {
  std::set<std::string> seen;
  for (const auto& v : graph.input()) seen.insert(v.name());
  for (const auto& node : graph.node()) {
    for (const auto& in : node.input()) RC_ASSERT(seen.count(in) == 1u);
    for (const auto& out : node.output()) seen.insert(out);
  }
}

void check_sends(const onnx::GraphProto& graph) {
  std::map<std::string, int> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& o : graph.node(i).output()) producer[o] = i;
  for (const auto& send : graph.node()) {
    if (!ir::is_send(send)) continue;
    // Exactly BackoffGateTx, fed by exactly PeerHealthGateTx, each covering every input.
    const onnx::NodeProto* consumer = &send;
    for (auto op : {ir::kBackoffGateTx, ir::kPeerHealthGateTx}) {
      RC_ASSERT(consumer->input_size() > 0);
      const auto& gate = graph.node(producer.at(consumer->input(0)));
      RC_ASSERT(gate.op_type() == op);
      RC_ASSERT(gate.output_size() == consumer->input_size());
      for (int j = 0; j < gate.output_size(); ++j) RC_ASSERT(consumer->input(j) == gate.output(j));
      RC_ASSERT(*ir::read_string_attribute(gate, ir::kAttrSource) == send.name());
      if (ir::send_is_dynamic(send)) {
        RC_ASSERT(*ir::read_int_attribute(gate, ir::kAttrDynamicPeers) == 1);
        RC_ASSERT(!ir::read_peer_bytes(gate));
      } else {
        RC_ASSERT(*ir::read_peer_bytes(gate) == *ir::read_peer_bytes(send));
      }
      consumer = &gate;
    }
    // Before the chain: no other tx gate of this Send.
    for (const auto& in : consumer->input()) {
      auto it = producer.find(in);
      if (it != producer.end()) RC_ASSERT(!ir::is_tx_gate(graph.node(it->second)));
    }
  }
}

void check_recvs(const onnx::GraphProto& graph) {
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& in : graph.node(i).input()) consumers[in].push_back(i);
  std::set<std::string> outputs;
  for (const auto& o : graph.output()) outputs.insert(o.name());
  for (const auto& recv : graph.node()) {
    if (!ir::is_recv(recv)) continue;
    const onnx::NodeProto* producer = &recv;
    for (auto op : {ir::kDedupGateRx, ir::kPeerHealthGateRx, ir::kBackoffGateRx}) {
      // Every output of the previous step goes to exactly this gate, and nowhere else.
      std::set<int> users;
      for (const auto& o : producer->output()) {
        RC_ASSERT(outputs.count(o) == 0u);
        for (int c : consumers[o]) users.insert(c);
      }
      RC_ASSERT(users.size() == 1u);
      const auto& gate = graph.node(*users.begin());
      RC_ASSERT(gate.op_type() == op);
      RC_ASSERT(*ir::read_string_attribute(gate, ir::kAttrSource) == recv.name());
      RC_ASSERT(gate.input_size() == producer->output_size());
      for (int j = 0; j < gate.input_size(); ++j) RC_ASSERT(gate.input(j) == producer->output(j));
      producer = &gate;
    }
  }
}

RC_GTEST_PROP(CompileProperties, RandomGraphsCompileSafely, ()) {
  const auto input = random_model();
  bool subgraph = false, call = false;
  for (const auto& node : input.graph().node()) {
    subgraph = subgraph || node.op_type() == "If";
    call = call || node.domain() == "local";
  }
  RC_CLASSIFY(subgraph, "subgraphs");
  RC_CLASSIFY(call, "function calls");
  auto first = testing::compile(input);
  RC_ASSERT(first.ok());
  for (const auto& f : first.findings) RC_ASSERT(f.severity != Severity::kError);
  // Deterministic and idempotent.
  RC_ASSERT(testing::compile(input).bytes == first.bytes);
  const auto out = testing::parse_bytes(first.bytes);
  auto again = testing::compile(out, {}, "out.bb");
  RC_ASSERT(again.ok());
  RC_ASSERT(again.bytes == first.bytes);
  // Any ONNX tool accepts it.
  try {
    onnx::checker::check_model(out);
  } catch (const std::exception& e) {
    RC_FAIL(e.what());
  }
  check_topological(out.graph());
  check_sends(out.graph());
  check_recvs(out.graph());
  // The same contracts inside every subgraph and function.
  for (const auto& node : out.graph().node()) {
    for (const auto& attr : node.attribute()) {
      if (attr.type() != onnx::AttributeProto::GRAPH) continue;
      check_sends(attr.g());
      check_recvs(attr.g());
    }
  }
  for (const auto& fn : out.functions()) {
    onnx::GraphProto body;
    *body.mutable_node() = fn.node();
    for (const auto& o : fn.output()) body.add_output()->set_name(o);
    check_sends(body);
    check_recvs(body);
  }
  // Payloads and every other input still reach their consumers.
  RC_ASSERT(uses(out.graph()) == uses(input.graph()));
}

// Options that skip a random subset of the skippable passes.
PassOptions random_skips() {
  PassOptions options;
  for (const auto& pass : registered_passes())
    if (pass.skippable && *rc::gen::arbitrary<bool>()) options.skip.emplace_back(pass.name);
  return options;
}

// The gate passes and verify-gates work through an index they keep valid as they
// insert; --verify-each re-checks every contract from a fresh walk after every pass.
// With any subset of the gate passes skipped, on the heap and on an arena (as bbc
// parses), the results agree byte for byte and every check passes.
RC_GTEST_PROP(CompileProperties, KeptIndexAgreesWithFreshChecksUnderAnySkips, ()) {
  const auto input = random_model();
  PassOptions options = random_skips();
  auto plain = testing::compile(input, options);
  RC_ASSERT(plain.ok());

  google::protobuf::Arena arena;
  auto* on_arena = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  on_arena->CopyFrom(input);
  options.verify_each = true;
  DiagnosticEngine diags("test.onnx");
  std::ostringstream log;
  auto checked = compile_model(*on_arena, "test.onnx", options, diags, log);
  RC_ASSERT(checked.status.kind == PassStatus::Kind::kOk);
  RC_ASSERT(checked.bytes == plain.bytes);
  // Recompiling with every gate inserts the skipped ones, checked after every pass.
  PassOptions all;
  all.verify_each = true;
  RC_ASSERT(testing::compile(testing::parse_bytes(plain.bytes), all, "out.bb").ok());
}

// bbc writes its output with compile_model_to_file, which streams the head of the output
// into the file while hashing it: the file holds exactly compile_model's bytes.
RC_GTEST_PROP(CompileProperties, StreamedFileEqualsTheBytes, ()) {
  const auto input = random_model();
  PassOptions options = random_skips();
  auto plain = testing::compile(input, options);
  RC_ASSERT(plain.ok());
  const testing::TempDir dir;
  const std::string path = (dir / "out.bb").string();
  auto model = input;
  DiagnosticEngine diags("test.onnx");
  std::ostringstream log;
  auto written = compile_model_to_file(model, "test.onnx", options, diags, log, path);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RC_ASSERT(written.status.kind == PassStatus::Kind::kOk);
  RC_ASSERT(!written.write_error);
  RC_ASSERT(written.size == plain.bytes.size());
  RC_ASSERT(bytes == plain.bytes);
}

}  // namespace
}  // namespace bb::compiler
