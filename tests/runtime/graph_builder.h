// Builds compiled models in tests: nodes with attributes, the opset imports, and the
// passport with a correct digest (what `bbc compile` would write).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"

namespace bb::testing {

class GraphBuilder {
 public:
  GraphBuilder() {
    model_.set_ir_version(8);
    auto* g = model_.mutable_graph();
    g->set_name("test");
    for (auto [domain, version] : {std::pair{std::string(""), 13}, {std::string(ir::kWireDomain), 1},
                                   {std::string(ir::kSyscallDomain), 1}}) {
      auto* op = model_.add_opset_import();
      op->set_domain(domain);
      op->set_version(version);
    }
  }

  onnx::NodeProto& node(std::string_view domain, std::string_view op_type, std::string_view name,
                        std::initializer_list<std::string_view> inputs, std::initializer_list<std::string_view> outputs) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_domain(std::string(domain));
    n->set_op_type(std::string(op_type));
    n->set_name(std::string(name));
    for (auto in : inputs) n->add_input(std::string(in));
    for (auto out : outputs) n->add_output(std::string(out));
    return *n;
  }
  onnx::NodeProto& syscall(std::string_view op_type, std::string_view name, std::initializer_list<std::string_view> inputs,
                           std::initializer_list<std::string_view> outputs) {
    return node(ir::kSyscallDomain, op_type, name, inputs, outputs);
  }

  static void set_int(onnx::NodeProto& n, std::string_view name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void set_string(onnx::NodeProto& n, std::string_view name, std::string_view v) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(std::string(v));
  }
  static void set_strings(onnx::NodeProto& n, std::string_view name, std::initializer_list<std::string_view> vs) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::STRINGS);
    for (auto v : vs) a->add_strings(std::string(v));
  }
  static std::string peer_bytes(std::string_view name) { return PeerId::identity(name)->bytes(); }

  // The gated Send of docs/compiler.md: PeerHealthGateTx → BackoffGateTx → Send(peer).
  void gated_send(std::string_view key, std::string_view input, std::string_view peer_name) {
    const std::string k(key);
    const std::string h = k + "#" + std::string(ir::kOutPeerHealthTx) + ".0";
    const std::string b = k + "#" + std::string(ir::kOutBackoffTx) + ".0";
    auto& g1 = syscall(ir::kPeerHealthGateTx, std::string(ir::kPeerHealthGateTx) + "@" + k, {input}, {h});
    set_string(g1, ir::kAttrPeer, peer_bytes(peer_name));
    set_string(g1, ir::kAttrSource, key);
    auto& g2 = syscall(ir::kBackoffGateTx, std::string(ir::kBackoffGateTx) + "@" + k, {h}, {b});
    set_string(g2, ir::kAttrPeer, peer_bytes(peer_name));
    set_string(g2, ir::kAttrSource, key);
    auto& s = node(ir::kWireDomain, ir::kSend, key, {b}, {});
    set_string(s, ir::kAttrPeer, peer_bytes(peer_name));
    set_int(s, ir::kStampPeerHealthTx, 1);
    set_int(s, ir::kStampBackoffTx, 1);
  }

  // Stamps the passport (digest of the current graph) and returns the model.
  onnx::ModelProto compiled() const {
    onnx::ModelProto m = model_;
    ir::write_passport(m, ir::Passport{std::string(ir::kPassportVersion), "bbc test", {"validate", "stamp-passport"},
                                       ir::graph_digest(m)});
    return m;
  }
  onnx::ModelProto& raw() { return model_; }
  const onnx::ModelProto& raw_copy() const { return model_; }

  // Interval (period 1 ns) → PassThrough × length, compiled: the dispatch benchmark's
  // graph (docs/performance.md), shared by the performance test and bench/runtime_bench.cc.
  static onnx::ModelProto pass_through_chain(int length) {
    GraphBuilder g;
    auto& tick = g.syscall(ir::kInterval, "tick", {}, {"v0"});
    set_int(tick, ir::kAttrPeriodNs, 1);
    for (int i = 0; i < length; ++i) {
      const std::string in = "v" + std::to_string(i), out = "v" + std::to_string(i + 1);
      g.syscall(ir::kPassThrough, "p" + std::to_string(i), {in}, {out});
    }
    return g.compiled();
  }

 private:
  onnx::ModelProto model_;
};

}  // namespace bb::testing
