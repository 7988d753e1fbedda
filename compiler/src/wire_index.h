// The analysis the gate passes and verify-gates share: for every graph of the model
// (main graph, subgraphs, functions) the positions of its Sends, Recvs, gates and of the
// nodes that hold subgraphs, and who reads the values a Recv's chain produces.
//
// It is built with one walk over the nodes (none over the main graph's when validate
// scanned it: wire_scan.h) and kept valid by the gate passes as they
// insert (`apply`, `rename_uses`), so a gate pass touches only the wire ops, their
// neighbours and the consumers of their values instead of walking every node. Like an
// MLIR analysis it is asked for by type (`context.analysis<WireIndex>()`); the pass
// manager drops it after any pass that does not preserve it. In the main graph of a
// fresh compile it also holds the gates the passes record instead of inserting
// (gate_records.h), until the writer emits them or someone materialises them.
#pragma once

#include <cassert>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>
#include <onnx/onnx_pb.h>

#include "bb/compiler/pass.h"
#include "bb/ir/huge_pages.h"
#include "bb/ir/string_hash.h"
#include "body.h"
#include "gate_records.h"
#include "node_list.h"
#include "wire_scan.h"

namespace bb::compiler {

// One reader of a value: input `slot` of `node`, or (node == nullptr) the graph output
// `slot`. slot -1: `node` holds a subgraph that reads the value from this scope.
struct ValueUse {
  onnx::NodeProto* node;
  int slot;
};

// The readers of one value: most values have one, held in place (no allocation of its
// own, and no pointer to follow when a pass rewires it).
using Readers = absl::InlinedVector<ValueUse, 1>;
// Read at random by every gate pass; at a million nodes several MB, so on huge pages.
using ValueUses = ir::HugePageHashMap<std::string_view, Readers, ir::StringHash>;

// A gate a pass inserts, and the node whose outputs it reads (input j = output j).
struct NewGate {
  onnx::NodeProto* gate;
  const onnx::NodeProto* producer;
};

class BodyIndex {
 public:
  // Walks `body`: once when its node order is known to be topological (`ordered`:
  // every reader then comes after the Recv it reads, so the readers are collected in
  // the same walk), else twice. `body` must stay valid as long as the index.
  BodyIndex(const Body& body, bool ordered);
  // The main graph from validate's scan (WireScan): no walk.
  BodyIndex(const Body& body, const WireScan& scan);

  // Positions in the node list, ascending.
  const std::vector<int>& sends() const { return sends_; }
  const std::vector<int>& recvs() const { return recvs_; }
  const std::vector<int>& tx_gates() const { return tx_gates_; }
  const std::vector<int>& rx_gates() const { return rx_gates_; }
  bool holds_subgraphs() const { return !holders_.empty(); }
  const NodeList& body_nodes() const { return body_.nodes(); }

  // Whether sends()[k] (tx) or recvs()[k] carries the stamp of `gate` (ir::has_stamp),
  // read with one attribute scan per wire op when the index is built: the gate passes
  // ask for every wire op, and the stamps earlier passes added lie far from the node.
  bool stamped(bool tx, std::size_t k, Gate gate) const;
  // Stamps sends()[k] (tx) or recvs()[k] for `gate` (ir::set_int_attribute = 1; no
  // attribute scan when the index knows the stamp is absent).
  void stamp(bool tx, std::size_t k, Gate gate);
  // Whether sends()[k]'s destination is dynamic (ir::send_is_dynamic), and its `peer`
  // bytes (ir::read_peer_bytes): read in the same scan as the stamps, so that the tx
  // passes, the records and the writer do not look the attribute up again per Send.
  bool dynamic(std::size_t k) const { return send_peers_[k] == nullptr; }
  std::optional<std::string_view> peer(std::size_t k) const;

  // The readers of every output of a Recv or an rx gate (keys view those outputs).
  const ValueUses& uses() const {
    assert(waiting_.empty() && "uses() while rx renames wait (rename_recorded)");
    return uses_;
  }
  // False for a subgraph (a rename in an enclosing graph reaches into it) and for a graph
  // that holds subgraphs (a rename reaches into those): their readers are re-collected
  // instead of kept (they are small or rare).
  bool uses_kept() const { return kept_; }

  // Inserts the planned nodes into the list (rebuild_node_list) and moves every
  // position past them; the new nodes join the gate lists.
  void apply(std::vector<Insertion>& plan);

  // Only when uses_kept(): rewires the readers of `renames` (old value → new value,
  // applied at once as one pass over a rename map would; the old values are outputs of
  // the producers, the new ones outputs of the new `gates`), and records the new gates
  // and their readers. The new gates are not in the list yet: they keep reading the
  // old values.
  void rename_uses(const std::vector<std::pair<std::string_view, std::string_view>>& renames,
                   const std::vector<NewGate>& gates);

  // Input `slot` of `node`, reading `value`, moves to input `slot` of `gate` (a tx gate
  // taking over the inputs of the node it feeds).
  void move_reader(std::string_view value, const onnx::NodeProto* node, onnx::NodeProto* gate, int slot);

  // Forgets the readers and collects them again with one walk over the body, the
  // outputs of `gates` (not in the list yet) included.
  void collect_uses(const std::vector<NewGate>& gates = {});

  // ---- gate records (gate_records.h; docs/compiler.md, "Gate records") ----------------
  // Whether the gates of `gate`'s side may be recorded instead of inserted as nodes: only
  // in the main graph, when it holds no subgraph (its readers are kept), no gate node of
  // that side yet (a fresh compile: records and gate nodes never share a chain) and, for
  // the rx side, no Recv output that is empty, repeated or named like a gate output
  // (the renames then cannot meet a name already taken).
  bool can_record(const GateInfo& gate) const;
  // Records `gate` on the chain of sends()[k] (tx) or recvs()[k] (after the gates it
  // already records: the passes run in chain order) and returns the bytes of the gate's
  // names (its share of --max-output-bytes). tx: the Send now reads the gate's outputs
  // (its readers in uses() stay as they are: no rx gate is inserted after a tx gate).
  // rx: the rename of the chain's last values to the gate's is appended to `renames`,
  // for rename_recorded.
  std::uint64_t record_tx(std::size_t k, const GateInfo& gate);
  std::uint64_t record_rx(std::size_t k, const GateInfo& gate,
                          std::vector<std::pair<std::string_view, std::string_view>>& renames);
  // Stamps a wire op whose gate was just recorded: when it has no attribute of the
  // stamp's name, the stamp is recorded too (an AttributeProto of ~250 bytes per stamp,
  // 350k of them at a million nodes, is memory the writer does not need), else set as
  // stamp() sets it.
  void record_stamp(bool tx, std::size_t k, Gate gate);
  // The recorded stamps of sends()[k] (tx) or recvs()[k]: the bytes they add to the
  // node's serialization (`attribute` fields, after the node's own attributes, in the
  // order the passes stamped), and those bytes appended to `out`.
  std::size_t recorded_stamps_size(bool tx, std::size_t k) const;
  void encode_recorded_stamps(bool tx, std::size_t k, std::string& out) const;
  // Adds the recorded stamps to their nodes as stamp() would have (materialisation).
  void materialise_stamps();
  // Rewires the readers of the renamed values, as rename_uses does for gate nodes, and
  // drops the renamed values from uses() (nothing reads them any more). With `wait`, the
  // rewiring waits for the next call (the next rx pass), which then moves each reader
  // once, from its Recv's output straight to the last gate's: the rx passes rename the
  // same readers one after another, and at a million nodes each rename is a few cache
  // misses. Only the rx passes' records may run meanwhile (uses() and the readers'
  // inputs are stale): the PassManager asks for `wait` only when the next pass is one
  // and nothing looks at the graph in between (PassContext::rx_renames_may_wait).
  void rename_recorded(const std::vector<std::pair<std::string_view, std::string_view>>& renames, bool wait = false);
  // Whether renames wait (rename_recorded); settle_renames() applies them.
  bool renames_wait() const { return !waiting_.empty(); }
  void settle_renames();

  // Whether any gate (or stamp) is recorded, and which gates on sends()[k] (tx) or
  // recvs()[k]: a bit per Gate.
  bool recorded() const { return recorded_ != 0; }
  std::uint8_t recorded_gates(bool tx, std::size_t k) const;
  // The bytes the recorded gates of sends()[k] (tx) or recvs()[k] take in the graph's
  // serialization (node fields), counted without spelling them (the writer sizes the
  // graph before it writes it).
  std::uint64_t chain_bytes(bool tx, std::size_t k) const;
  // Spells out the recorded gates of sends()[k] (tx) or recvs()[k] in chain order,
  // calling `f(const GateSpelling&)` for each.
  template <class F>
  void spell_chain(bool tx, std::size_t k, F&& f) const;
  // The insertions that turn the records into today's nodes at their places (on the
  // body's arena), in order for rebuild_node_list; the records are then to be dropped.
  std::vector<Insertion> materialisation() const;
  // Forgets the records (WireIndex::discard_records).
  void drop_records();

 private:
  void add_readers(const std::vector<NewGate>& gates);
  // The renames' readers, taken out of the map first so that the renames apply at once
  // (a new name may equal an old one of another pair), as one pass over a rename map
  // would. The old values' entries go with `drop` (rename_recorded), else they stay,
  // emptied (rename_uses).
  std::vector<Readers> take_readers(const std::vector<std::pair<std::string_view, std::string_view>>& renames,
                                    bool drop);
  // Points every one of `readers` (a node input or a body output) at `to`.
  void point_readers(const Readers& readers, std::string_view to);
  // rename_recorded's rewiring, now.
  void apply_renames(const std::vector<std::pair<std::string_view, std::string_view>>& renames);

  struct Stamps {
    std::uint8_t stamped = 0;  // bit per Gate: ir::has_stamp
    std::uint8_t recorded = 0;  // bit per Gate: stamped in the index only (record_stamp)
    std::uint8_t present = 0;  // bit per Gate: an attribute of that name exists
  };
  // `peer`: set to the first attribute named `peer` (or nullptr).
  static Stamps read_stamps(const onnx::NodeProto& node, const onnx::AttributeProto** peer = nullptr);
  void add_stamp_attribute(onnx::NodeProto& node, Gate gate);
  template <class F>
  void for_recorded_stamps(bool tx, std::size_t k, F&& f) const;
  void classify(const onnx::NodeProto& node, int i);
  void collect_ordered();
  void read_all_stamps();
  void allow_records();

  // The first recorded gate's inputs (the Send's inputs before it, the Recv's outputs)
  // and destination.
  void spell_first(bool tx, std::size_t k, const onnx::NodeProto& op, GateSpelling& gate) const;

  const Body& body_;
  bool kept_;
  std::vector<int> sends_, recvs_, tx_gates_, rx_gates_, holders_;
  std::vector<Stamps> send_stamps_, recv_stamps_;  // parallel to sends_, recvs_
  std::vector<const onnx::AttributeProto*> send_peers_;  // parallel to sends_: the `peer` attribute
  std::vector<Gate> stamp_order_;  // the gates whose stamps were recorded, in the passes' order
  ValueUses uses_;

  // The records: per Send and Recv (parallel to sends_, recvs_, sized on first use) the
  // gates recorded, whether the Send's destination is dynamic, and where its inputs
  // before the first gate went in heads_.
  struct Chain {
    std::uint8_t gates = 0;
    bool dynamic = false;
    std::uint32_t heads = 0;
  };
  bool records_ = false;             // the body may record (the main graph, readers kept)
  bool record_rx_names_ok_ = false;  // the rx side's condition of can_record
  std::vector<Chain> send_chains_, recv_chains_;
  std::vector<std::string> heads_;
  NameStore names_;    // outputs of recorded rx gates: keys of uses_
  NameStore renamed_;  // the values record_rx renames, until rename_recorded
  // The renames rename_recorded keeps waiting: a Recv's output and the last recorded
  // gate's output that replaces it for its readers.
  std::vector<std::pair<std::string_view, std::string_view>> waiting_;
  std::size_t recorded_ = 0;
  mutable GateSpelling spell_[2];  // spell_chain's buffers
};

template <class F>
void BodyIndex::spell_chain(bool tx, std::size_t k, F&& f) const {
  const std::uint8_t gates = recorded_gates(tx, k);
  if (gates == 0) return;
  const onnx::NodeProto& op = body_.nodes().Get(tx ? sends_[k] : recvs_[k]);
  int at = 0;  // spell_[at] is the gate spelled now, spell_[1 - at] the one before it
  bool first = true;
  for (const auto& info : ir::kGates) {
    if (info.tx != tx || (gates >> static_cast<int>(info.gate) & 1u) == 0) continue;
    GateSpelling& gate = spell_[at];
    if (first) {
      spell_first(tx, k, op, gate);
      first = false;
    } else {  // it takes all outputs of the gate before it
      const GateSpelling& before = spell_[1 - at];
      gate.inputs.assign(before.outputs.begin(), before.outputs.begin() + static_cast<std::ptrdiff_t>(before.count));
      gate.peer = before.peer;
      gate.dynamic = before.dynamic;
    }
    gate.spell_outputs(info, op.name(), gate.inputs.size());
    f(static_cast<const GateSpelling&>(gate));
    at = 1 - at;
  }
}

// The index of every body, in collect_bodies order.
class WireIndex {
 public:
  // `ordered`: every graph's node order is topological (PassContext kCanonical).
  explicit WireIndex(onnx::ModelProto& model, bool ordered = false);
  // The analysis of a compile: the ordered form once canonicalize ran, the main graph
  // from validate's WireScan when it recorded one.
  explicit WireIndex(PassContext& context);
  // For reading only (the gate contract checker).
  explicit WireIndex(const onnx::ModelProto& model);

  // Materialises whatever gates are still recorded (materialise).
  ~WireIndex();
  WireIndex(const WireIndex&) = delete;
  WireIndex& operator=(const WireIndex&) = delete;

  const std::vector<Body>& bodies() const { return bodies_; }
  // The index of bodies()[i].
  BodyIndex& body(std::size_t i) { return *index_[i]; }
  const BodyIndex& body(std::size_t i) const { return *index_[i]; }

  // Whether a body holds recorded gates (only the main graph may).
  bool recorded() const { return !index_.empty() && index_[0]->recorded(); }
  // Turns every recorded gate into exactly the node the gate passes would have inserted,
  // at its place, and indexes the body afresh (later passes then insert nodes there);
  // for whoever must see the graph: --print-after, --verify-each, a failed check, a
  // library caller after the write.
  void materialise();
  // Forgets the records: the model then lacks their gates. Only for a caller that has
  // written the model and will not look at it again (bbc).
  void discard_records();
  // Applies the rx renames that wait (BodyIndex::rename_recorded) in every body.
  void settle_renames();

 private:
  void index_bodies(bool ordered, const WireScan* scan = nullptr);
  // Turns every body's records into nodes at their places; with `reindex` the bodies are
  // indexed again (the index goes on being used), else the index is going away.
  void build_recorded_gates(bool reindex);

  std::vector<Body> bodies_;
  std::vector<std::unique_ptr<BodyIndex>> index_;
  bool ordered_ = false;
};


}  // namespace bb::compiler
