// The per-node gate contracts of SPEC §4.4. Index maps are built once per graph, and
// only for the values that matter (outputs of gates and Recvs): linear in graph size.
#include "bb/compiler/gate_contracts.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/compiler/pass.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "body.h"

namespace bb::compiler {
namespace {

constexpr std::array kGates{
    GateInfo{Gate::kPeerHealthTx, ir::kPeerHealthGateTx, ir::kStampPeerHealthTx, ir::kOutPeerHealthTx,
             kPassInsertPeerHealthGateTx, true, 0},
    GateInfo{Gate::kBackoffTx, ir::kBackoffGateTx, ir::kStampBackoffTx, ir::kOutBackoffTx, kPassInsertBackoffGateTx,
             true, 1},
    GateInfo{Gate::kDedupRx, ir::kDedupGateRx, ir::kStampDedupRx, ir::kOutDedupRx, kPassInsertDedupGateRx, false, 0},
    GateInfo{Gate::kPeerHealthRx, ir::kPeerHealthGateRx, ir::kStampPeerHealthRx, ir::kOutPeerHealthRx,
             kPassInsertPeerHealthGateRx, false, 1},
    GateInfo{Gate::kBackoffRx, ir::kBackoffGateRx, ir::kStampBackoffRx, ir::kOutBackoffRx, kPassInsertBackoffGateRx,
             false, 2},
};

constexpr int kMaxChain = 8;  // longer chains are reported, not followed

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string label(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? "#" + std::to_string(index) + " (" + node.op_type() + ")" : quoted(node.name());
}

std::string_view source_of(const onnx::NodeProto& gate) {
  return ir::read_string_attribute(gate, ir::kAttrSource).value_or(std::string_view{});
}

// The expected chain for one side, in order.
std::vector<Gate> expected_chain(GateSet required, bool tx) {
  std::vector<Gate> out;
  for (const auto& g : kGates)
    if (g.tx == tx && required.has(g.gate)) out.push_back(g.gate);
  return out;
}

std::string chain_text(const NodeList& nodes, const std::vector<int>& chain, std::string_view tail, bool tail_first) {
  std::string out;
  if (tail_first) out.append(tail);
  for (int g : chain) {
    if (!out.empty()) out += " -> ";
    out += nodes.Get(g).op_type();
  }
  if (!tail_first) out += (out.empty() ? "" : " -> ") + std::string(tail);
  return out;
}

std::string expected_text(const std::vector<Gate>& expected, std::string_view tail, bool tail_first) {
  std::string out;
  if (tail_first) out.append(tail);
  for (Gate g : expected) {
    if (!out.empty()) out += " -> ";
    out += gate_info(g).op_type;
  }
  if (!tail_first) out += (out.empty() ? "" : " -> ") + std::string(tail);
  return out;
}

// Missing gates of `expected` in `chain`; empty when all are present.
std::string missing_gates(const NodeList& nodes, const std::vector<int>& chain, const std::vector<Gate>& expected) {
  std::string out;
  for (Gate g : expected) {
    const bool present = std::any_of(chain.begin(), chain.end(), [&](int i) {
      const auto* info = gate_of(nodes.Get(i));
      return info != nullptr && info->gate == g;
    });
    if (!present) out += (out.empty() ? "" : ", ") + std::string(gate_info(g).op_type);
  }
  return out;
}

bool ranks_increase(const NodeList& nodes, const std::vector<int>& chain) {
  int last = -1;
  for (int i : chain) {
    const int rank = gate_of(nodes.Get(i))->rank;
    if (rank <= last) return false;
    last = rank;
  }
  return true;
}

std::string canonical_peer(std::string_view value) {
  auto peer = PeerId::from_attribute(value);
  return peer ? peer->bytes() : std::string(value);
}

std::string peer_text(std::string_view value) {
  auto peer = PeerId::from_attribute(value);
  return peer ? peer->to_text() : "\"" + printable(value) + "\"";
}


class BodyChecker {
 public:
  BodyChecker(const Body& body, GateSet required, DiagnosticEngine& diags)
      : body_(body), nodes_(body.nodes()), required_(required), diags_(diags) {}

  void run() {
    if (required_.any_tx()) check_sends();
    if (required_.any_rx()) check_recvs();
  }

 private:
  NodeLocation at(int i) const { return NodeLocation{&nodes_.Get(i), i, body_.scope}; }

  // ---- send side ---------------------------------------------------------------------
  void check_sends() {
    const auto expected = expected_chain(required_, true);
    absl::flat_hash_map<std::string_view, int> tx_outputs;  // tx gate output → gate index
    for (int i = 0; i < nodes_.size(); ++i) {
      const auto& node = nodes_.Get(i);
      if (!ir::is_tx_gate(node)) continue;
      for (const auto& out : node.output()) tx_outputs.emplace(out, i);
    }
    for (int i = 0; i < nodes_.size(); ++i) {
      const auto& send = nodes_.Get(i);
      if (!ir::is_send(send) || !has_destination(send)) continue;
      check_send(i, expected, tx_outputs);
    }
  }

  static bool has_destination(const onnx::NodeProto& send) {
    return send.input_size() > 0 && (!ir::send_is_dynamic(send) || send.input_size() >= 2);
  }

  void check_send(int s, const std::vector<Gate>& expected,
                  const absl::flat_hash_map<std::string_view, int>& tx_outputs) {
    const auto& send = nodes_.Get(s);
    const std::string_view key = send.name();
    std::vector<int> chain;  // from the Send backwards
    const google::protobuf::RepeatedPtrField<std::string>* inputs = &send.input();
    std::string bypass;
    while (static_cast<int>(chain.size()) < kMaxChain && !inputs->empty()) {
      auto it = tx_outputs.find(inputs->Get(0));
      if (it == tx_outputs.end()) break;
      const auto& gate = nodes_.Get(it->second);
      if (source_of(gate) != key) break;
      if (!covers(gate, *inputs, bypass)) break;
      chain.push_back(it->second);
      inputs = &gate.input();
    }
    std::reverse(chain.begin(), chain.end());
    const std::string missing = missing_gates(nodes_, chain, expected);
    if (!missing.empty()) {
      std::string msg = "Send " + label(send, s) + " is not behind " + missing;
      if (!bypass.empty()) msg += ": " + bypass;
      diags_.report(kBB012, at(s), msg + body_.where,
                    "recompile the source graph; every Send must be fed by " +
                        expected_text(expected, ir::kSend, false));
      return;
    }
    if (!ranks_increase(nodes_, chain)) {
      diags_.report(kBB013, at(s),
                    "gate chain of Send " + label(send, s) + " is out of order: " +
                        chain_text(nodes_, chain, ir::kSend, false) + ", expected " +
                        expected_text(expected, ir::kSend, false) + body_.where,
                    "recompile the source graph with bbc compile");
      return;
    }
    for (int g : chain) check_gate_peer(send, s, g);
  }

  // True when `gate` forwards exactly `inputs` (output j is input j of the consumer).
  bool covers(const onnx::NodeProto& gate, const google::protobuf::RepeatedPtrField<std::string>& inputs,
              std::string& bypass) const {
    for (int j = 0; j < inputs.size(); ++j) {
      if (j < gate.output_size() && gate.output(j) == inputs.Get(j)) continue;
      bypass = "input " + std::to_string(j) + " '" + inputs.Get(j) + "' does not come from " +
               quoted(gate.name()) + " output " + std::to_string(j);
      return false;
    }
    if (gate.output_size() != inputs.size()) {
      bypass = quoted(gate.name()) + " has " + std::to_string(gate.output_size()) + " outputs for " +
               std::to_string(inputs.size()) + " inputs";
      return false;
    }
    return true;
  }

  void check_gate_peer(const onnx::NodeProto& send, int s, int g) {
    const auto& gate = nodes_.Get(g);
    const auto send_peer = ir::read_peer_bytes(send);
    const auto gate_peer = ir::read_peer_bytes(gate);
    const bool gate_dynamic = ir::read_int_attribute(gate, ir::kAttrDynamicPeers).value_or(0) == 1;
    std::string problem;
    if (ir::send_is_dynamic(send)) {
      if (!gate_dynamic || gate_peer) problem = "the Send's destination is dynamic but the gate is not (dynamic_peers = 1, no peer)";
    } else if (gate_dynamic) {
      problem = "the gate is dynamic but the Send has peer " + peer_text(send_peer.value_or(""));
    } else if (!gate_peer || !send_peer || canonical_peer(*gate_peer) != canonical_peer(*send_peer)) {
      problem = "the gate's peer " + (gate_peer ? peer_text(*gate_peer) : std::string("(none)")) +
                " differs from the Send's peer " + peer_text(send_peer.value_or(""));
    }
    if (problem.empty()) return;
    diags_.report(kBB013, at(s), "gate " + label(gate, g) + " of Send " + label(send, s) + ": " + problem + body_.where,
                  "recompile the source graph with bbc compile");
  }

  // ---- receive side -----------------------------------------------------------------------
  struct Uses {
    std::vector<int> consumers;  // node indices, sorted, unique after finish()
    bool body_output = false;
  };

  void check_recvs() {
    absl::flat_hash_map<std::string_view, Uses> uses;
    bool any = false;
    for (const auto& node : nodes_) {
      if (!ir::is_recv(node) && !ir::is_rx_gate(node)) continue;
      any = true;
      for (const auto& out : node.output())
        if (!out.empty()) uses.try_emplace(out);
    }
    if (!any) return;
    std::vector<std::string_view> implicit;
    for (int i = 0; i < nodes_.size(); ++i) {
      const auto& node = nodes_.Get(i);
      for (const auto& in : node.input()) {
        if (auto it = uses.find(in); it != uses.end()) it->second.consumers.push_back(i);
      }
      if (!has_subgraph(node)) continue;
      implicit.clear();
      implicit_inputs(node, implicit);
      for (auto name : implicit)
        if (auto it = uses.find(name); it != uses.end()) it->second.consumers.push_back(i);
    }
    for (int k = 0; k < body_.output_count(); ++k)
      if (auto it = uses.find(body_.output(k)); it != uses.end()) it->second.body_output = true;
    for (auto& [name, use] : uses) {
      std::sort(use.consumers.begin(), use.consumers.end());
      use.consumers.erase(std::unique(use.consumers.begin(), use.consumers.end()), use.consumers.end());
    }
    const auto expected = expected_chain(required_, false);
    for (int i = 0; i < nodes_.size(); ++i)
      if (ir::is_recv(nodes_.Get(i))) check_recv(i, expected, uses);
  }

  void check_recv(int r, const std::vector<Gate>& expected, const absl::flat_hash_map<std::string_view, Uses>& uses) {
    const auto& recv = nodes_.Get(r);
    const std::string_view key = recv.name();
    std::vector<int> chain;
    int cur = r;
    std::string leak;  // a consumer reached without the full chain
    while (static_cast<int>(chain.size()) < kMaxChain) {
      const auto& node = nodes_.Get(cur);
      std::vector<int> consumers;
      bool body_output = false;
      std::string_view leaked_value;
      for (const auto& out : node.output()) {
        auto it = uses.find(out);
        if (it == uses.end()) continue;
        if (it->second.body_output && !body_output) {
          body_output = true;
          leaked_value = out;
        }
        consumers.insert(consumers.end(), it->second.consumers.begin(), it->second.consumers.end());
      }
      std::sort(consumers.begin(), consumers.end());
      consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
      if (consumers.size() == 1 && !body_output && forwards(nodes_.Get(consumers[0]), node, key)) {
        chain.push_back(consumers[0]);
        cur = consumers[0];
        continue;
      }
      leak = describe_leak(node, cur, consumers, body_output, leaked_value, key);
      break;
    }
    const std::string missing = missing_gates(nodes_, chain, expected);
    if (!missing.empty()) {
      std::string msg = "Recv " + label(recv, r) + " is not behind " + missing;
      if (!leak.empty()) msg += ": " + leak;
      diags_.report(kBB014, at(r), msg + body_.where,
                    "recompile the source graph; every Recv output must pass " +
                        expected_text(expected, ir::kRecv, true));
      return;
    }
    if (!ranks_increase(nodes_, chain)) {
      diags_.report(kBB013, at(r),
                    "gate chain of Recv " + label(recv, r) + " is out of order: " +
                        chain_text(nodes_, chain, ir::kRecv, true) + ", expected " +
                        expected_text(expected, ir::kRecv, true) + body_.where,
                    "recompile the source graph with bbc compile");
    }
  }

  // True when `gate` is an rx gate of `key` taking exactly all outputs of `prev`.
  static bool forwards(const onnx::NodeProto& gate, const onnx::NodeProto& prev, std::string_view key) {
    if (!ir::is_rx_gate(gate) || source_of(gate) != key) return false;
    if (gate.input_size() != prev.output_size()) return false;
    for (int j = 0; j < gate.input_size(); ++j)
      if (gate.input(j) != prev.output(j)) return false;
    return true;
  }

  std::string describe_leak(const onnx::NodeProto& node, int index, const std::vector<int>& consumers,
                            bool body_output, std::string_view value, std::string_view key) const {
    const std::string from = ir::is_recv(node) ? "its output" : "the output of " + label(node, index);
    if (body_output) return from + " '" + std::string(value) + "' is a graph output";
    for (int c : consumers) {
      const auto& consumer = nodes_.Get(c);
      if (forwards(consumer, node, key)) continue;
      return from + " is consumed by node " + label(consumer, c);
    }
    return {};
  }

  const Body& body_;
  const NodeList& nodes_;
  GateSet required_;
  DiagnosticEngine& diags_;
};

}  // namespace

const GateInfo& gate_info(Gate gate) { return kGates[static_cast<std::size_t>(gate)]; }

const GateInfo* gate_of(const onnx::NodeProto& node) {
  if (node.domain() != ir::kSyscallDomain) return nullptr;
  for (const auto& g : kGates)
    if (g.op_type == node.op_type()) return &g;
  return nullptr;
}

GateSet GateSet::all() {
  GateSet set;
  for (const auto& g : kGates) set.add(g.gate);
  return set;
}

GateSet GateSet::from_passes(const std::vector<std::string>& passes) {
  GateSet set;
  for (const auto& g : kGates)
    if (std::find(passes.begin(), passes.end(), g.pass) != passes.end()) set.add(g.gate);
  return set;
}

void check_gate_contracts(const onnx::ModelProto& model, GateSet required, DiagnosticEngine& diags) {
  if (required.empty()) return;
  for (const auto& body : collect_bodies(model)) BodyChecker(body, required, diags).run();
}

}  // namespace bb::compiler
