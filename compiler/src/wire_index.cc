#include "wire_index.h"

#include <algorithm>

#include "bb/ir/wire_shape.h"
#include "node_prefetch.h"

namespace bb::compiler {
namespace {

constexpr std::size_t kLookAhead = 8;  // renames ahead whose map slots are asked for

std::uint8_t gate_bit(Gate gate) { return static_cast<std::uint8_t>(1u << static_cast<int>(gate)); }

// No Recv output is empty, repeated within its Recv, or named like a gate output.
bool recv_outputs_plain(const NodeList& nodes, const std::vector<int>& recvs) {
  for (int i : recvs) {
    const auto& outputs = nodes.Get(i).output();
    for (int j = 0; j < outputs.size(); ++j) {
      const std::string& out = outputs.Get(j);
      if (out.empty() || ir::is_gate_output_name(out)) return false;
      for (int m = 0; m < j; ++m)
        if (outputs.Get(m) == out) return false;
    }
  }
  return true;
}

// Where an old position lands after `plan` (sorted as rebuild_node_list sorts it) went
// in: behind every insertion at a smaller position and every "before" at its own.
void shift(std::vector<int>& positions, const std::vector<Insertion>& plan) {
  std::size_t k = 0;
  for (int& p : positions) {
    while (k < plan.size() && (plan[k].position < p || (plan[k].position == p && !plan[k].after))) ++k;
    p += static_cast<int>(k);
  }
}

void insert_sorted(std::vector<int>& positions, const std::vector<int>& added) {
  if (added.empty()) return;
  const auto middle = static_cast<std::ptrdiff_t>(positions.size());
  positions.insert(positions.end(), added.begin(), added.end());
  std::inplace_merge(positions.begin(), positions.begin() + middle, positions.end());
}

}  // namespace

BodyIndex::BodyIndex(const Body& body, bool ordered) : body_(body), kept_(body.kind != Body::Kind::kSubgraph) {
  const NodeList& nodes = body.nodes();
  if (ordered) {
    collect_ordered();
  } else {
    for (int i = 0; i < nodes.size(); ++i) classify(nodes.Get(i), i);
  }
  kept_ = kept_ && holders_.empty();
  read_all_stamps();
  if (!ordered) collect_uses();
  allow_records();
}

// collect_ordered's result, from the scan: the Recv and rx-gate outputs are the keys,
// the scan's readers (in node order, as the walk finds them) their readers.
BodyIndex::BodyIndex(const Body& body, const WireScan& scan)
    : body_(body),
      kept_(body.kind != Body::Kind::kSubgraph),
      sends_(scan.sends),
      recvs_(scan.recvs),
      tx_gates_(scan.tx_gates),
      rx_gates_(scan.rx_gates) {
  const NodeList& nodes = body.nodes();
  std::size_t values = 0;
  for (const auto* positions : {&recvs_, &rx_gates_})
    for (int i : *positions) values += static_cast<std::size_t>(nodes.Get(i).output_size());
  allow_records();
  // Room for the rx gates' outputs to come, reserved once: a recorded rename drops the
  // values it renames (rename_recorded), so the map holds as many values after the rx
  // passes as before; a gate node's rename keeps them (rename_uses), four per output.
  uses_.reserve(values * (can_record(ir::gate_info(Gate::kDedupRx)) ? 2 : 4));
  for (const auto* positions : {&recvs_, &rx_gates_})
    for (int i : *positions)
      for (const auto& out : nodes.Get(i).output()) uses_.try_emplace(out);
  for (const auto& reader : scan.readers)
    uses_[reader.value].push_back(ValueUse{body.nodes().Mutable(reader.node), reader.slot});
  if (!uses_.empty()) {
    for (int k = 0; k < body_.output_count(); ++k)
      if (auto it = uses_.find(body_.output(k)); it != uses_.end()) it->second.push_back(ValueUse{nullptr, k});
  }
  read_all_stamps();
}

void BodyIndex::read_all_stamps() {
  const NodeList& nodes = body_.nodes();
  send_stamps_.reserve(sends_.size());
  send_peers_.resize(sends_.size());
  for (std::size_t k = 0; k < sends_.size(); ++k) {
    prefetch_nodes_ahead(k, sends_, nodes);
    send_stamps_.push_back(read_stamps(nodes.Get(sends_[k]), &send_peers_[k]));
  }
  recv_stamps_.reserve(recvs_.size());
  for (std::size_t k = 0; k < recvs_.size(); ++k) {
    prefetch_nodes_ahead(k, recvs_, nodes);
    recv_stamps_.push_back(read_stamps(nodes.Get(recvs_[k])));
  }
}

void BodyIndex::allow_records() {
  records_ = body_.kind == Body::Kind::kGraph && body_.scope == 0 && kept_;
  record_rx_names_ok_ = records_ && recv_outputs_plain(body_.nodes(), recvs_);
}

void BodyIndex::classify(const onnx::NodeProto& node, int i) {
  if (has_subgraph(node)) holders_.push_back(i);
  if (ir::is_send(node)) {
    sends_.push_back(i);
  } else if (ir::is_recv(node)) {
    recvs_.push_back(i);
  } else if (ir::is_tx_gate(node)) {
    tx_gates_.push_back(i);
  } else if (ir::is_rx_gate(node)) {
    rx_gates_.push_back(i);
  }
}

// classify and collect_uses in one walk, for a body in topological order: a node's
// inputs are looked up among the Recv (and rx gate) outputs seen before it, which are
// all the ones it can read. Empty inputs (absent optional ones) are set aside: an empty
// output would make them readers wherever they are, as collect_uses finds them.
void BodyIndex::collect_ordered() {
  uses_.clear();
  NodeList& nodes = body_.nodes();
  Readers empty_inputs;
  std::vector<std::string_view> implicit;
  std::size_t values = 0;
  for (int i = 0; i < nodes.size(); ++i) {
    auto& node = *nodes.Mutable(i);
    for (int j = 0; j < node.input_size(); ++j) {
      const std::string& in = node.input(j);
      if (in.empty()) {
        empty_inputs.push_back(ValueUse{&node, j});
      } else if (!uses_.empty()) {
        if (auto it = uses_.find(in); it != uses_.end()) it->second.push_back(ValueUse{&node, j});
      }
    }
    const std::size_t holders = holders_.size();
    classify(node, i);
    if (holders_.size() != holders && !uses_.empty()) {
      implicit.clear();
      implicit_inputs(node, implicit);
      for (auto name : implicit)
        if (auto it = uses_.find(name); it != uses_.end()) it->second.push_back(ValueUse{&node, -1});
    }
    const bool reads_out = (!recvs_.empty() && recvs_.back() == i) || (!rx_gates_.empty() && rx_gates_.back() == i);
    if (!reads_out) continue;
    for (const auto& out : node.output()) uses_.try_emplace(out);
    values += static_cast<std::size_t>(node.output_size());
  }
  if (uses_.empty()) return;
  if (auto it = uses_.find(std::string_view()); it != uses_.end()) it->second = std::move(empty_inputs);
  for (int k = 0; k < body_.output_count(); ++k)
    if (auto it = uses_.find(body_.output(k)); it != uses_.end()) it->second.push_back(ValueUse{nullptr, k});
  uses_.reserve(values * 4);  // room for the rx gates' outputs to come
}

// One scan of the attributes; as ir::has_stamp, the first attribute of a name decides.
BodyIndex::Stamps BodyIndex::read_stamps(const onnx::NodeProto& node, const onnx::AttributeProto** peer) {
  Stamps stamps;
  for (const auto& attr : node.attribute()) {
    const std::string_view name = attr.name();
    if (peer != nullptr && *peer == nullptr && name == ir::kAttrPeer) *peer = &attr;
    for (int g = 0; g < kGateCount; ++g) {
      const auto bit = static_cast<std::uint8_t>(1u << g);
      if (name != gate_info(static_cast<Gate>(g)).stamp || (stamps.present & bit) != 0) continue;
      stamps.present |= bit;
      if (attr.type() == onnx::AttributeProto::INT && attr.i() == 1) stamps.stamped |= bit;
    }
  }
  return stamps;
}

bool BodyIndex::stamped(bool tx, std::size_t k, Gate gate) const {
  const auto& stamps = tx ? send_stamps_[k] : recv_stamps_[k];
  return (stamps.stamped >> static_cast<int>(gate) & 1u) != 0;
}

std::optional<std::string_view> BodyIndex::peer(std::size_t k) const {
  const auto* attr = send_peers_[k];
  if (attr == nullptr || attr->type() != onnx::AttributeProto::STRING) return std::nullopt;
  return std::string_view(attr->s());
}

// What set_int_attribute does for an absent attribute, without looking.
void BodyIndex::add_stamp_attribute(onnx::NodeProto& node, Gate gate) {
  auto* attr = node.add_attribute();
  attr->set_name(std::string(gate_info(gate).stamp));
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(1);
}

void BodyIndex::stamp(bool tx, std::size_t k, Gate gate) {
  auto& stamps = tx ? send_stamps_[k] : recv_stamps_[k];
  auto& node = *body_.nodes().Mutable(tx ? sends_[k] : recvs_[k]);
  const auto bit = gate_bit(gate);
  if ((stamps.present & bit) != 0) {
    ir::set_int_attribute(node, gate_info(gate).stamp, 1);
  } else {
    add_stamp_attribute(node, gate);
  }
  stamps.stamped |= bit;
  stamps.present |= bit;
}

void BodyIndex::record_stamp(bool tx, std::size_t k, Gate gate) {
  auto& stamps = tx ? send_stamps_[k] : recv_stamps_[k];
  const auto bit = gate_bit(gate);
  if ((stamps.present & bit) != 0) {  // set in place, where the attribute is
    stamp(tx, k, gate);
    return;
  }
  if (std::find(stamp_order_.begin(), stamp_order_.end(), gate) == stamp_order_.end()) stamp_order_.push_back(gate);
  stamps.recorded |= bit;
  stamps.stamped |= bit;
  stamps.present |= bit;
  ++recorded_;
}

template <class F>
void BodyIndex::for_recorded_stamps(bool tx, std::size_t k, F&& f) const {
  const std::uint8_t recorded = (tx ? send_stamps_[k] : recv_stamps_[k]).recorded;
  if (recorded == 0) return;
  for (Gate gate : stamp_order_)
    if ((recorded & gate_bit(gate)) != 0) f(gate);
}

std::size_t BodyIndex::recorded_stamps_size(bool tx, std::size_t k) const {
  std::size_t size = 0;
  for_recorded_stamps(tx, k, [&](Gate gate) { size += stamp_field_size(gate_info(gate).stamp); });
  return size;
}

void BodyIndex::encode_recorded_stamps(bool tx, std::size_t k, std::string& out) const {
  for_recorded_stamps(tx, k, [&](Gate gate) { encode_stamp_field(gate_info(gate).stamp, out); });
}

void BodyIndex::materialise_stamps() {
  for (const bool tx : {true, false}) {
    auto& all = tx ? send_stamps_ : recv_stamps_;
    const auto& positions = tx ? sends_ : recvs_;
    for (std::size_t k = 0; k < all.size(); ++k) {
      for_recorded_stamps(tx, k, [&](Gate gate) { add_stamp_attribute(*body_.nodes().Mutable(positions[k]), gate); });
      all[k].recorded = 0;
    }
  }
}

void BodyIndex::collect_uses(const std::vector<NewGate>& gates) {
  uses_.clear();
  NodeList& nodes = body_.nodes();
  // Reserved at once (each rehash of a growing map re-reads every key); not larger: the
  // walk below looks up every input of the body in it.
  std::size_t values = 0;
  for (const auto* positions : {&recvs_, &rx_gates_})
    for (int i : *positions) values += static_cast<std::size_t>(nodes.Get(i).output_size());
  for (const auto& g : gates) values += static_cast<std::size_t>(g.gate->output_size());
  uses_.reserve(values);
  for (const auto* positions : {&recvs_, &rx_gates_})
    for (int i : *positions)
      for (const auto& out : nodes.Get(i).output()) uses_.try_emplace(out);
  for (const auto& g : gates)
    for (const auto& out : g.gate->output()) uses_.try_emplace(out);
  if (uses_.empty()) return;
  std::vector<std::string_view> implicit;
  for (auto& node : nodes) {
    for (int j = 0; j < node.input_size(); ++j)
      if (auto it = uses_.find(node.input(j)); it != uses_.end()) it->second.push_back(ValueUse{&node, j});
    if (holders_.empty() || !has_subgraph(node)) continue;
    implicit.clear();
    implicit_inputs(node, implicit);
    for (auto name : implicit)
      if (auto it = uses_.find(name); it != uses_.end()) it->second.push_back(ValueUse{&node, -1});
  }
  for (int k = 0; k < body_.output_count(); ++k)
    if (auto it = uses_.find(body_.output(k)); it != uses_.end()) it->second.push_back(ValueUse{nullptr, k});
  // Now room for the rx gates' outputs to come (up to three chains' worth): growing a
  // large map later re-reads all its keys.
  uses_.reserve(values * 4);
  add_readers(gates);
}

// The new gates read their producers' outputs; those strings, unlike the gates' own
// inputs (which a later pass may rewire), never change: they key the map.
void BodyIndex::add_readers(const std::vector<NewGate>& gates) {
  for (const auto& g : gates)
    for (int j = 0; j < g.gate->input_size(); ++j) uses_[g.producer->output(j)].push_back(ValueUse{g.gate, j});
}

void BodyIndex::apply(std::vector<Insertion>& plan) {
  if (plan.empty()) return;
  const int n = body_.nodes().size();
  rebuild_node_list(body_.nodes(), plan);  // sorts the plan
  for (auto* positions : {&sends_, &recvs_, &tx_gates_, &rx_gates_, &holders_}) shift(*positions, plan);
  std::vector<int> tx, rx;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    // Entry k lands behind the k entries before it and the old nodes before it.
    const int at = static_cast<int>(k) + std::min(n, plan[k].position + (plan[k].after ? 1 : 0));
    if (ir::is_tx_gate(*plan[k].node)) tx.push_back(at);
    if (ir::is_rx_gate(*plan[k].node)) rx.push_back(at);
  }
  insert_sorted(tx_gates_, tx);
  insert_sorted(rx_gates_, rx);
}

void BodyIndex::move_reader(std::string_view value, const onnx::NodeProto* node, onnx::NodeProto* gate, int slot) {
  auto it = uses_.find(value);
  if (it == uses_.end()) return;
  for (auto& use : it->second)
    if (use.node == node && use.slot == slot) use.node = gate;
}

std::vector<Readers> BodyIndex::take_readers(
    const std::vector<std::pair<std::string_view, std::string_view>>& renames, bool drop) {
  // At a million nodes the map is larger than the caches: each lookup misses twice (the
  // control bytes, the slot). Asking for the slots of a later rename's value now
  // overlaps those misses with this one's work.
  std::vector<Readers> moved(renames.size());
  for (std::size_t k = 0; k < renames.size(); ++k) {
    if (k + kLookAhead < renames.size()) uses_.prefetch(renames[k + kLookAhead].first);
    auto it = uses_.find(renames[k].first);
    if (it == uses_.end()) continue;
    moved[k] = std::move(it->second);
    if (drop) {
      uses_.erase(it);
    } else {
      it->second.clear();
    }
  }
  return moved;
}

void BodyIndex::point_readers(const Readers& readers, std::string_view to) {
  for (const auto& use : readers) {
    if (use.node == nullptr) {
      body_.mutable_output(use.slot)->assign(to.data(), to.size());
    } else {
      use.node->mutable_input(use.slot)->assign(to.data(), to.size());
    }
  }
}

void BodyIndex::rename_uses(const std::vector<std::pair<std::string_view, std::string_view>>& renames,
                            const std::vector<NewGate>& gates) {
  // The old values keep their (emptied) entries: the new gates read them (add_readers),
  // and a map that erases and re-inserts them fills with tombstones and rehashes.
  std::vector<Readers> moved = take_readers(renames, false);
  std::size_t added = 0;
  for (const auto& g : gates) added += static_cast<std::size_t>(g.gate->output_size());
  uses_.reserve(uses_.size() + added);
  bool collided = false;
  for (std::size_t k = 0; k < renames.size(); ++k) {
    const std::string_view to = renames[k].second;
    point_readers(moved[k], to);
    collided = !uses_.try_emplace(to, std::move(moved[k])).second || collided;
  }
  if (collided) {
    // A new value's name was already taken (the rewiring above is right regardless):
    // the readers are collected again rather than merged.
    collect_uses(gates);
    return;
  }
  for (const auto& g : gates)
    for (const auto& out : g.gate->output()) uses_.try_emplace(out);
  add_readers(gates);
}

// ---- gate records ------------------------------------------------------------------------

bool BodyIndex::can_record(const GateInfo& gate) const {
  if (!records_) return false;
  return gate.tx ? tx_gates_.empty() : rx_gates_.empty() && record_rx_names_ok_;
}

std::uint8_t BodyIndex::recorded_gates(bool tx, std::size_t k) const {
  const auto& chains = tx ? send_chains_ : recv_chains_;
  return k < chains.size() ? chains[k].gates : 0;
}

std::uint64_t BodyIndex::record_tx(std::size_t k, const GateInfo& gate) {
  if (send_chains_.empty()) send_chains_.resize(sends_.size());
  Chain& chain = send_chains_[k];
  auto& send = *body_.nodes().Mutable(sends_[k]);
  const std::string& key = send.name();
  std::uint64_t bytes = gate.op_type.size() + 1 + key.size();
  if (chain.gates == 0) {  // the first gate takes the Send's inputs over
    chain.heads = static_cast<std::uint32_t>(heads_.size());
    chain.dynamic = dynamic(k);
    for (auto& in : *send.mutable_input()) heads_.push_back(std::move(in));
  }
  for (int j = 0; j < send.input_size(); ++j) {
    std::string& in = *send.mutable_input(j);
    const auto at = static_cast<std::size_t>(j);
    bytes += chain.gates == 0 ? heads_[chain.heads + at].size() : in.size();
    in.clear();
    append_gate_output_name(in, key, gate.out_infix, at);
    bytes += in.size();
  }
  chain.gates |= gate_bit(gate.gate);
  ++recorded_;
  return bytes;
}

std::uint64_t BodyIndex::record_rx(std::size_t k, const GateInfo& gate,
                                   std::vector<std::pair<std::string_view, std::string_view>>& renames) {
  if (recv_chains_.empty()) recv_chains_.resize(recvs_.size());
  Chain& chain = recv_chains_[k];
  const auto& recv = body_.nodes().Get(recvs_[k]);
  const std::string& key = recv.name();
  // The gate the chain ends with now: the new one takes its outputs.
  const GateInfo* last = nullptr;
  for (const auto& info : ir::kGates)
    if (!info.tx && (chain.gates & gate_bit(info.gate)) != 0) last = &info;
  std::uint64_t bytes = gate.op_type.size() + 1 + key.size();
  std::string name;
  for (int j = 0; j < recv.output_size(); ++j) {
    std::string_view from = recv.output(j);
    if (last != nullptr) {
      name.clear();
      append_gate_output_name(name, key, last->out_infix, static_cast<std::size_t>(j));
      from = renamed_.add(name);
    }
    name.clear();
    append_gate_output_name(name, key, gate.out_infix, static_cast<std::size_t>(j));
    const std::string_view to = names_.add(name);
    renames.emplace_back(from, to);
    bytes += from.size() + to.size();
  }
  chain.gates |= gate_bit(gate.gate);
  ++recorded_;
  return bytes;
}

void BodyIndex::rename_recorded(const std::vector<std::pair<std::string_view, std::string_view>>& renames,
                                bool wait) {
  // Renames that continue the waiting ones pair by pair (the next rx pass renames the
  // same values in the same order: its record_rx's `from` is the last gate's output)
  // fold into them; anything else applies them first.
  bool continues = !waiting_.empty() && waiting_.size() == renames.size();
  for (std::size_t k = 0; continues && k < renames.size(); ++k) continues = waiting_[k].second == renames[k].first;
  if (continues) {
    for (std::size_t k = 0; k < renames.size(); ++k) waiting_[k].second = renames[k].second;
  } else {
    apply_renames(waiting_);
    waiting_ = renames;
  }
  if (!wait) settle_renames();
}

void BodyIndex::settle_renames() {
  apply_renames(waiting_);
  waiting_.clear();
  renamed_.clear();  // (the values record_rx renamed: no rename refers to them now)
}

void BodyIndex::apply_renames(const std::vector<std::pair<std::string_view, std::string_view>>& renames) {
  // Unlike rename_uses, the renamed values' entries go: no gate node reads them, and a
  // recorded chain's inner values have no reader by construction (records_hold takes an
  // absent value as one without readers). The map then keeps its size across the rx
  // passes instead of gaining a value per output in each.
  std::vector<Readers> moved = take_readers(renames, true);
  // The readers are nodes all over the arena: each one's node, its inputs' array and the
  // input's string asked for in stages ahead (node_prefetch.h).
  auto ahead = [&](std::size_t at, auto&& ask) {
    if (at < moved.size())
      for (const auto& use : moved[at])
        if (use.node != nullptr) ask(*use.node, use.slot);
  };
  using node_prefetch::kStage;
  for (std::size_t k = 0; k < renames.size(); ++k) {
    if (k + kLookAhead < renames.size()) uses_.prefetch(renames[k + kLookAhead].second);
    ahead(k + 3 * kStage, [](const onnx::NodeProto& node, int) { node_prefetch::node(node); });
    ahead(k + 2 * kStage, [](const onnx::NodeProto& node, int) { __builtin_prefetch(node.input().data()); });
    ahead(k + kStage, [](const onnx::NodeProto& node, int slot) {
      if (slot < node.input_size()) __builtin_prefetch(&node.input(slot));
    });
    const std::string_view to = renames[k].second;
    point_readers(moved[k], to);
    // A recorded gate's outputs are names no value of the body has (can_record): the
    // merge is only for safety.
    auto [it, inserted] = uses_.try_emplace(to, std::move(moved[k]));
    if (!inserted) it->second.insert(it->second.end(), moved[k].begin(), moved[k].end());
  }
}

void BodyIndex::spell_first(bool tx, std::size_t k, const onnx::NodeProto& op, GateSpelling& gate) const {
  gate.inputs.clear();
  gate.peer.reset();
  gate.dynamic = false;
  if (!tx) {
    for (const auto& out : op.output()) gate.inputs.emplace_back(out);
    return;
  }
  const Chain& chain = send_chains_[k];
  for (int j = 0; j < op.input_size(); ++j) gate.inputs.emplace_back(heads_[chain.heads + static_cast<std::size_t>(j)]);
  gate.dynamic = chain.dynamic;
  if (!chain.dynamic) gate.peer = peer(k);
}

std::uint64_t BodyIndex::chain_bytes(bool tx, std::size_t k) const {
  const std::uint8_t gates = recorded_gates(tx, k);
  if (gates == 0) return 0;
  const onnx::NodeProto& op = body_.nodes().Get(tx ? sends_[k] : recvs_[k]);
  // As spell_first and spell_chain: the first gate's inputs, then each gate's outputs
  // as the next one's inputs.
  std::size_t fields = 0, count = 0;
  std::optional<std::size_t> peer_size;
  bool dynamic = false;
  if (tx) {
    const Chain& chain = send_chains_[k];
    count = static_cast<std::size_t>(op.input_size());
    for (std::size_t j = 0; j < count; ++j) fields += name_field_size(heads_[chain.heads + j].size());
    dynamic = chain.dynamic;
    if (!dynamic)
      if (auto p = peer(k)) peer_size = p->size();
  } else {
    count = static_cast<std::size_t>(op.output_size());
    for (const auto& out : op.output()) fields += name_field_size(out.size());
  }
  const std::size_t key = op.name().size();
  std::uint64_t bytes = 0;
  for (const auto& info : ir::kGates) {
    if (info.tx != tx || (gates >> static_cast<int>(info.gate) & 1u) == 0) continue;
    std::size_t outputs = 0;
    for (std::size_t j = 0; j < count; ++j) outputs += name_field_size(gate_output_name_size(key, info.out_infix, j));
    bytes += node_field_size(gate_node_size(info, key, fields, outputs, peer_size, dynamic));
    fields = outputs;
  }
  return bytes;
}

std::vector<Insertion> BodyIndex::materialisation() const {
  std::vector<Insertion> plan;
  google::protobuf::Arena* arena = body_.graph->GetArena();
  for (std::size_t k = 0; k < send_chains_.size(); ++k)
    spell_chain(true, k, [&](const GateSpelling& gate) {
      plan.push_back(Insertion{sends_[k], false, build_gate_node(gate, arena)});
    });
  for (std::size_t k = 0; k < recv_chains_.size(); ++k)
    spell_chain(false, k, [&](const GateSpelling& gate) {
      plan.push_back(Insertion{recvs_[k], true, build_gate_node(gate, arena)});
    });
  return plan;
}

void BodyIndex::drop_records() {
  send_chains_.clear();
  recv_chains_.clear();
  heads_.clear();
  for (auto* all : {&send_stamps_, &recv_stamps_})
    for (auto& stamps : *all) stamps.recorded = 0;
  recorded_ = 0;
}

WireIndex::WireIndex(onnx::ModelProto& model, bool ordered) : bodies_(collect_bodies(model)), ordered_(ordered) {
  index_bodies(ordered);
}

WireIndex::~WireIndex() { build_recorded_gates(false); }

void WireIndex::materialise() { build_recorded_gates(true); }

void WireIndex::settle_renames() {
  for (auto& index : index_) index->settle_renames();
}

void WireIndex::build_recorded_gates(bool reindex) {
  for (std::size_t b = 0; b < index_.size(); ++b) {
    index_[b]->settle_renames();
    if (!index_[b]->recorded()) continue;
    index_[b]->materialise_stamps();
    auto plan = index_[b]->materialisation();
    rebuild_node_list(bodies_[b].nodes(), plan);
    if (reindex) index_[b] = std::make_unique<BodyIndex>(bodies_[b], ordered_);
  }
}

void WireIndex::discard_records() {
  for (auto& index : index_) index->drop_records();
}

WireIndex::WireIndex(const onnx::ModelProto& model) : bodies_(collect_bodies(model)) { index_bodies(false); }

void WireIndex::index_bodies(bool ordered, const WireScan* scan) {
  index_.reserve(bodies_.size());
  for (const auto& body : bodies_) {
    const bool scanned = scan != nullptr && ordered && index_.empty() && body.kind == Body::Kind::kGraph;
    index_.push_back(scanned ? std::make_unique<BodyIndex>(body, *scan) : std::make_unique<BodyIndex>(body, ordered));
  }
}

// With validate's scan the main graph holds no subgraph: its nodes are not walked at all.
WireIndex::WireIndex(PassContext& context)
    : bodies_(collect_bodies(context.model, context.analyses.cached<WireScan>() == nullptr)),
      ordered_((context.properties & kCanonical) != 0) {
  index_bodies(ordered_, context.analyses.cached<WireScan>());
}

}  // namespace bb::compiler
