// The per-node gate contracts of docs/compiler.md, checked through a WireIndex: the Sends, the
// Recvs, the tx gates and the readers of Recv and rx-gate values it records. On its own
// (lint) the index is built with one walk; in bbc compile verify-gates reuses the one the
// gate passes kept, so it visits only the wire ops and their chains.
#include "bb/compiler/gate_contracts.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/compiler/pass.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/string_hash.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "gate_check.h"
#include "labels.h"
#include "node_prefetch.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

constexpr int kMaxChain = 8;  // longer chains are reported, not followed

std::string_view source_of(const onnx::NodeProto& gate) {
  return ir::read_string_attribute(gate, ir::kAttrSource).value_or(std::string_view{});
}

// The expected chain for one side, in order.
std::vector<Gate> expected_chain(GateSet required, bool tx) {
  std::vector<Gate> out;
  for (const auto& g : ir::kGates)
    if (g.tx == tx && required.has(g.gate)) out.push_back(g.gate);
  return out;
}

using Chain = std::vector<const onnx::NodeProto*>;

std::string chain_text(const Chain& chain, std::string_view tail, bool tail_first) {
  std::string out;
  if (tail_first) out.append(tail);
  for (const auto* g : chain) {
    if (!out.empty()) out += " -> ";
    out += g->op_type();
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
std::string missing_gates(const Chain& chain, const std::vector<Gate>& expected) {
  std::string out;
  for (Gate g : expected) {
    const bool present = std::any_of(chain.begin(), chain.end(), [&](const onnx::NodeProto* node) {
      const auto* info = gate_of(*node);
      return info != nullptr && info->gate == g;
    });
    if (!present) out += (out.empty() ? "" : ", ") + std::string(gate_info(g).op_type);
  }
  return out;
}

bool ranks_increase(const Chain& chain) {
  int last = -1;
  for (const auto* node : chain) {
    const int rank = gate_of(*node)->rank;
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
  BodyChecker(const Body& body, BodyIndex& index, GateSet required, DiagnosticEngine& diags)
      : body_(body), index_(index), nodes_(body.nodes()), required_(required), diags_(diags) {}

  void run() {
    if (required_.any_tx()) check_sends();
    if (required_.any_rx()) check_recvs();
  }

 private:
  NodeLocation at(int i) const { return NodeLocation{&nodes_.Get(i), i, body_.scope}; }

  // The position of a node the index names by address; for messages only.
  int position_of(const onnx::NodeProto* node) {
    if (positions_.empty()) {
      positions_.reserve(static_cast<std::size_t>(nodes_.size()));
      for (int i = 0; i < nodes_.size(); ++i) positions_.emplace(&nodes_.Get(i), i);
    }
    auto it = positions_.find(node);
    return it != positions_.end() ? it->second : -1;
  }

  // ---- send side ---------------------------------------------------------------------
  void check_sends() {
    const auto expected = expected_chain(required_, true);
    ir::StringMap<int> tx_outputs;  // tx gate output → gate index
    std::size_t outputs = 0;  // reserved at once: each rehash of a growing map re-reads every key
    for (int i : index_.tx_gates()) outputs += static_cast<std::size_t>(nodes_.Get(i).output_size());
    tx_outputs.reserve(outputs);
    for (int i : index_.tx_gates())
      for (const auto& out : nodes_.Get(i).output()) tx_outputs.emplace(out, i);
    for (std::size_t k = 0; k < index_.sends().size(); ++k) {
      const int i = index_.sends()[k];
      if (index_.recorded_gates(true, k) != 0 || !has_destination(nodes_.Get(i))) continue;  // records_hold
      check_send(i, expected, tx_outputs);
    }
  }

  static bool has_destination(const onnx::NodeProto& send) {
    return send.input_size() > 0 && (!ir::send_is_dynamic(send) || send.input_size() >= 2);
  }

  void check_send(int s, const std::vector<Gate>& expected,
                  const ir::StringMap<int>& tx_outputs) {
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
    Chain gates;
    for (int g : chain) gates.push_back(&nodes_.Get(g));
    const std::string missing = missing_gates(gates, expected);
    if (!missing.empty()) {
      std::string msg = "Send " + node_label(send, s) + " is not behind " + missing;
      if (!bypass.empty()) msg += ": " + bypass;
      diags_.report(kBB012, at(s), msg + body_.where,
                    "recompile the source graph; every Send must be fed by " +
                        expected_text(expected, ir::kSend, false));
      return;
    }
    if (!ranks_increase(gates)) {
      diags_.report(kBB013, at(s),
                    "gate chain of Send " + node_label(send, s) + " is out of order: " +
                        chain_text(gates, ir::kSend, false) + ", expected " +
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
               in_quotes(gate.name()) + " output " + std::to_string(j);
      return false;
    }
    if (gate.output_size() != inputs.size()) {
      bypass = in_quotes(gate.name()) + " has " + std::to_string(gate.output_size()) + " outputs for " +
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
    } else if (!gate_peer || !send_peer || !same_peer(*gate_peer, *send_peer)) {
      problem = "the gate's peer " + (gate_peer ? peer_text(*gate_peer) : std::string("(none)")) +
                " differs from the Send's peer " + peer_text(send_peer.value_or(""));
    }
    if (problem.empty()) return;
    diags_.report(kBB013, at(s),
                  "gate " + node_label(gate, g) + " of Send " + node_label(send, s) + ": " + problem + body_.where,
                  "recompile the source graph with bbc compile");
  }

  // Equal bytes name the same peer; different bytes may still (a text form and its
  // multihash).
  static bool same_peer(std::string_view a, std::string_view b) { return a == b || canonical_peer(a) == canonical_peer(b); }

  // ---- receive side -----------------------------------------------------------------------
  void check_recvs() {
    if (index_.recvs().empty()) return;
    if (!index_.uses_kept()) index_.collect_uses();
    const auto expected = expected_chain(required_, false);
    for (std::size_t k = 0; k < index_.recvs().size(); ++k)
      if (index_.recorded_gates(false, k) == 0) check_recv(index_.recvs()[k], expected);  // records_hold
  }

  void check_recv(int r, const std::vector<Gate>& expected) {
    const auto& recv = nodes_.Get(r);
    const std::string_view key = recv.name();
    Chain chain;
    const onnx::NodeProto* cur = &recv;
    // Where the chain ends: the consumers of `cur`, and its first output that is a graph
    // output. Described only when a gate is missing (positions cost a map).
    Chain consumers;
    bool body_output = false;
    std::string_view leaked_value;
    while (static_cast<int>(chain.size()) < kMaxChain) {
      consumers.clear();
      body_output = false;
      leaked_value = {};
      for (const auto& out : cur->output()) {
        if (out.empty()) continue;
        auto it = index_.uses().find(out);
        if (it == index_.uses().end()) continue;
        for (const auto& use : it->second) {
          if (use.node != nullptr) {
            consumers.push_back(use.node);
          } else if (!body_output) {
            body_output = true;
            leaked_value = out;
          }
        }
      }
      std::sort(consumers.begin(), consumers.end());
      consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
      if (consumers.size() == 1 && !body_output && forwards(*consumers[0], *cur, key)) {
        chain.push_back(consumers[0]);
        cur = consumers[0];
        continue;
      }
      break;
    }
    const bool stopped = static_cast<int>(chain.size()) < kMaxChain;
    const std::string missing = missing_gates(chain, expected);
    if (!missing.empty()) {
      std::string msg = "Recv " + node_label(recv, r) + " is not behind " + missing;
      const std::string leak = stopped ? describe_leak(*cur, consumers, body_output, leaked_value, key) : "";
      if (!leak.empty()) msg += ": " + leak;
      diags_.report(kBB014, at(r), msg + body_.where,
                    "recompile the source graph; every Recv output must pass " +
                        expected_text(expected, ir::kRecv, true));
      return;
    }
    if (!ranks_increase(chain)) {
      diags_.report(kBB013, at(r),
                    "gate chain of Recv " + node_label(recv, r) + " is out of order: " +
                        chain_text(chain, ir::kRecv, true) + ", expected " +
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

  // The first consumer in node order that is not the next gate of the chain.
  std::string describe_leak(const onnx::NodeProto& node, const Chain& consumers, bool body_output,
                            std::string_view value, std::string_view key) {
    const std::string from =
        ir::is_recv(node) ? "its output" : "the output of " + node_label(node, position_of(&node));
    if (body_output) return from + " '" + std::string(value) + "' is a graph output";
    std::vector<std::pair<int, const onnx::NodeProto*>> ordered;
    for (const auto* c : consumers) ordered.emplace_back(position_of(c), c);
    std::sort(ordered.begin(), ordered.end());
    for (const auto& [c, consumer] : ordered) {
      if (forwards(*consumer, node, key)) continue;
      return from + " is consumed by node " + node_label(*consumer, c);
    }
    return {};
  }

  const Body& body_;
  BodyIndex& index_;
  const NodeList& nodes_;
  GateSet required_;
  DiagnosticEngine& diags_;
  absl::flat_hash_map<const onnx::NodeProto*, int> positions_;
};

// The recorded chains of `index` (gate_records.h) against the contracts: each holds
// every required gate of its side, in chain order by construction; a Send reads exactly
// its last gate's outputs with the destination it was recorded with; nothing but the
// next gate reads a Recv's outputs or a recorded gate's before the last (the main graph
// holds no subgraph and no gate node of that side). False at the first doubt: the
// caller then materialises the gates and checks the nodes, for today's messages.
bool records_hold(const BodyIndex& index, GateSet required) {
  if (!index.recorded()) return true;
  const NodeList& nodes = index.body_nodes();
  for (const bool tx : {true, false}) {
    std::uint8_t expected = 0;
    for (Gate g : expected_chain(required, tx)) expected |= static_cast<std::uint8_t>(1u << static_cast<int>(g));
    const auto& ops = tx ? index.sends() : index.recvs();
    for (std::size_t k = 0; k < ops.size(); ++k) {
      prefetch_nodes_ahead(k, ops, nodes);
      const std::uint8_t gates = index.recorded_gates(tx, k);
      if (gates == 0) continue;
      if ((gates & expected) != expected) return false;
      const auto& op = nodes.Get(ops[k]);
      bool holds = true;
      const int count = std::popcount(gates);
      int spelled = 0;
      index.spell_chain(tx, k, [&](const GateSpelling& gate) {
        const bool last = ++spelled == count;
        if (tx) {
          if (!last) return;
          if (gate.dynamic != ir::send_is_dynamic(op) || op.input_size() != static_cast<int>(gate.count)) {
            holds = false;
            return;
          }
          for (std::size_t j = 0; j < gate.count; ++j) holds = holds && op.input(static_cast<int>(j)) == gate.outputs[j];
          return;
        }
        // rx: the values this gate reads have no other reader (rename_recorded drops
        // the entries of the values it renames)
        for (auto in : gate.inputs) {
          auto it = index.uses().find(in);
          if (it != index.uses().end() && !it->second.empty()) holds = false;
        }
      });
      if (!holds) return false;
    }
  }
  return true;
}

}  // namespace

GateSet GateSet::all() {
  GateSet set;
  for (const auto& g : ir::kGates) set.add(g.gate);
  return set;
}

GateSet GateSet::from_passes(const std::vector<std::string>& passes) {
  GateSet set;
  for (const auto& g : ir::kGates)
    if (std::find(passes.begin(), passes.end(), g.pass) != passes.end()) set.add(g.gate);
  return set;
}

void check_gate_contracts(const onnx::ModelProto& model, GateSet required, DiagnosticEngine& diags) {
  if (required.empty()) return;
  WireIndex index(model);
  check_gate_contracts(index, required, diags);
}

void check_gate_contracts(WireIndex& index, GateSet required, DiagnosticEngine& diags) {
  if (required.empty()) return;
  if (index.recorded() && !records_hold(index.body(0), required)) index.materialise();
  for (std::size_t b = 0; b < index.bodies().size(); ++b)
    BodyChecker(index.bodies()[b], index.body(b), required, diags).run();
}

}  // namespace bb::compiler
