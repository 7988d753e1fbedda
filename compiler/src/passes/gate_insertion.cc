#include "gate_insertion.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/ir/names.h"
#include "bb/ir/string_hash.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "node_list.h"
#include "node_prefetch.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

std::string_view source_of(const onnx::NodeProto& gate) {
  return ir::read_string_attribute(gate, ir::kAttrSource).value_or(std::string_view{});
}

// (The index read whether the Send is dynamic with its stamps.)
bool has_destination(const BodyIndex& index, std::size_t k, const onnx::NodeProto& send) {
  return send.input_size() > 0 && (!index.dynamic(k) || send.input_size() >= 2);
}

// On the model's arena when it has one (the list's pointer surgery needs node and list
// to share their owner).
onnx::NodeProto* make_gate(const GateInfo& info, std::string_view key, google::protobuf::Arena* arena) {
  auto* gate = google::protobuf::Arena::CreateMessage<onnx::NodeProto>(arena);
  gate->set_name(ir::gate_node_name(info.op_type, key));
  gate->set_domain(std::string(ir::kSyscallDomain));
  gate->set_op_type(std::string(info.op_type));
  return gate;
}

// Takes `bytes` out of `budget`: false when they do not fit.
bool charge(std::uint64_t bytes, std::uint64_t& budget) {
  if (bytes > budget) return false;
  budget -= bytes;
  return true;
}

// Takes the bytes of the gate's names out of `budget`: false when they do not fit. (Its
// serialized size is larger: tags, domain, attributes.) A recorded gate is charged the
// same (BodyIndex::record_tx, record_rx).
bool charge(const onnx::NodeProto& gate, std::uint64_t& budget) {
  std::uint64_t bytes = gate.name().size();
  for (const auto& in : gate.input()) bytes += in.size();
  for (const auto& out : gate.output()) bytes += out.size();
  return charge(bytes, budget);
}

// ---- send side: the chain sits immediately before the Send -------------------------------
// Returns whether gates were inserted; `out_of_budget` is set when they stopped there.
bool insert_tx(BodyIndex& index, NodeList& nodes, const GateInfo& info, google::protobuf::Arena* arena,
               std::uint64_t& budget, bool& out_of_budget) {
  std::vector<Insertion> plan;
  const bool record = index.can_record(info);
  bool recorded = false;
  const auto& sends = index.sends();
  for (std::size_t k = 0; k < sends.size(); ++k) {
    prefetch_nodes_ahead(k, sends, nodes);
    const int i = sends[k];
    auto& send = *nodes.Mutable(i);
    if (index.stamped(true, k, info.gate) || !has_destination(index, k, send)) continue;
    if (record) {
      const std::uint64_t bytes = index.record_tx(k, info);
      index.record_stamp(true, k, info.gate);
      recorded = true;
      if (!charge(bytes, budget)) {
        out_of_budget = true;
        break;
      }
      continue;
    }
    const std::string key = send.name();
    // The gate goes before the first gate of this Send's chain that comes after it in
    // chain order, else right before the Send; it takes over that node's inputs.
    int target = i;
    for (int j = i - 1; j >= 0; --j) {
      const auto& prev = nodes.Get(j);
      const auto* prev_info = gate_of(prev);
      if (prev_info == nullptr || !prev_info->tx || source_of(prev) != key) break;
      if (prev_info->rank > info.rank) target = j;
    }
    auto& consumer = *nodes.Mutable(target);
    auto* gate = make_gate(info, key, arena);
    for (int j = 0; j < consumer.input_size(); ++j) {
      gate->add_input(consumer.input(j));
      index.move_reader(consumer.input(j), &consumer, gate, j);
      std::string out = ir::gate_output_name(key, info.out_infix, j);
      *consumer.mutable_input(j) = out;
      gate->add_output(std::move(out));
    }
    if (index.dynamic(k)) {
      ir::set_int_attribute(*gate, ir::kAttrDynamicPeers, 1);
    } else {
      ir::stamp_peer(*gate, *index.peer(k));
    }
    ir::set_string_attribute(*gate, ir::kAttrSource, key);
    index.stamp(true, k, info.gate);
    plan.push_back(Insertion{target, false, gate});
    if (!charge(*gate, budget)) {
      out_of_budget = true;
      break;
    }
  }
  index.apply(plan);
  return recorded || !plan.empty();
}

// ---- receive side: the chain sits immediately after the Recv -------------------------------
using Renames = ir::StringMap<std::string_view>;

void rename_inputs(onnx::GraphProto& graph, const Renames& renames);

void rename_node_inputs(onnx::NodeProto& node, const Renames& renames) {
  for (auto& in : *node.mutable_input()) {
    if (auto it = renames.find(in); it != renames.end()) in.assign(it->second.data(), it->second.size());
  }
  for (auto& attr : *node.mutable_attribute()) {
    if (attr.has_g()) rename_inputs(*attr.mutable_g(), renames);
    for (auto& g : *attr.mutable_graphs()) rename_inputs(g, renames);
  }
}

// Subgraphs read outer values by name: their consumers are rewired too.
void rename_inputs(onnx::GraphProto& graph, const Renames& renames) {
  for (auto& node : *graph.mutable_node()) rename_node_inputs(node, renames);
  for (auto& out : *graph.mutable_output()) {
    if (auto it = renames.find(out.name()); it != renames.end()) out.set_name(std::string(it->second));
  }
}

// Every reader of the renamed values, found by walking the whole graph and its
// subgraphs: for a graph whose readers the index does not keep.
void rename_everywhere(const Body& body, const Renames& renames) {
  for (auto& node : body.nodes()) rename_node_inputs(node, renames);
  for (int k = 0; k < body.output_count(); ++k) {
    std::string* out = body.mutable_output(k);
    if (auto it = renames.find(*out); it != renames.end()) out->assign(it->second.data(), it->second.size());
  }
}

bool insert_rx(BodyIndex& index, const Body& body, const GateInfo& info, google::protobuf::Arena* arena,
               std::uint64_t& budget, bool& out_of_budget, bool renames_may_wait) {
  NodeList& nodes = body.nodes();
  std::vector<Insertion> plan;
  std::vector<NewGate> gates;
  // Old value → new value; the first gate to take a value wins (only "" can repeat).
  Renames renames;
  std::vector<std::pair<std::string_view, std::string_view>> order;
  const bool record = index.can_record(info);
  if (!record) index.settle_renames();  // (inserting nodes reads the readers)
  bool recorded = false;
  const auto& recvs = index.recvs();
  for (std::size_t k = 0; k < recvs.size(); ++k) {
    prefetch_nodes_ahead(k, recvs, nodes);
    const int i = recvs[k];
    auto& recv = *nodes.Mutable(i);
    if (index.stamped(false, k, info.gate)) continue;
    if (record) {
      const std::uint64_t bytes = index.record_rx(k, info, order);
      index.record_stamp(false, k, info.gate);
      recorded = true;
      if (!charge(bytes, budget)) {
        out_of_budget = true;
        break;
      }
      continue;
    }
    const std::string key = recv.name();
    // The gate goes after the last gate of this Recv's chain that comes before it in
    // chain order, else right after the Recv; it takes all outputs of that node.
    int producer = i;
    for (int j = i + 1; j < nodes.size(); ++j) {
      const auto& next = nodes.Get(j);
      const auto* next_info = gate_of(next);
      if (next_info == nullptr || next_info->tx || source_of(next) != key) break;
      if (next_info->rank < info.rank) producer = j;
    }
    const auto& from = nodes.Get(producer);
    auto* gate = make_gate(info, key, arena);
    for (int j = 0; j < from.output_size(); ++j) {
      gate->add_input(from.output(j));
      gate->add_output(ir::gate_output_name(key, info.out_infix, j));
    }
    for (int j = 0; j < from.output_size(); ++j)
      if (renames.emplace(from.output(j), gate->output(j)).second) order.emplace_back(from.output(j), gate->output(j));
    ir::set_string_attribute(*gate, ir::kAttrSource, key);
    index.stamp(false, k, info.gate);
    plan.push_back(Insertion{producer, true, gate});
    gates.push_back(NewGate{gate, &from});
    if (!charge(*gate, budget)) {
      out_of_budget = true;
      break;
    }
  }
  if (record) {
    index.rename_recorded(order, renames_may_wait);
    return recorded;
  }
  if (plan.empty()) return false;
  // Every consumer of the producer's outputs now reads the new gate's outputs; the new
  // gates are not in the list yet, so they keep reading the originals.
  if (index.uses_kept()) {
    index.rename_uses(order, gates);
  } else {
    rename_everywhere(body, renames);
  }
  index.apply(plan);
  return true;
}

}  // namespace

bool insert_gate(onnx::ModelProto& model, WireIndex& index, Gate gate, std::uint64_t& budget,
                 bool rx_renames_may_wait) {
  const GateInfo& info = gate_info(gate);
  if (info.tx) index.settle_renames();  // (a Send may read a Recv's output)
  google::protobuf::Arena* arena = model.GetArena();
  bool out_of_budget = false;
  for (std::size_t b = 0; b < index.bodies().size() && !out_of_budget; ++b) {
    const Body& body = index.bodies()[b];
    const bool inserted = info.tx ? insert_tx(index.body(b), body.nodes(), info, arena, budget, out_of_budget)
                                  : insert_rx(index.body(b), body, info, arena, budget, out_of_budget,
                                              rx_renames_may_wait);
    // The gates' domain is imported as soon as they exist, so the graph stays valid
    // between passes (--verify-each), not only after stamp-passport.
    if (inserted)
      import_syscall_domain(body.function != nullptr ? *body.function->mutable_opset_import()
                                                     : *model.mutable_opset_import());
  }
  return !out_of_budget;
}

}  // namespace bb::compiler
