// The analysis the gate passes and verify-gates share: for every graph of the model
// (main graph, subgraphs, functions) the positions of its Sends, Recvs, gates and of the
// nodes that hold subgraphs, and who reads the values a Recv's chain produces.
//
// It is built with one walk over the nodes and kept valid by the gate passes as they
// insert (`apply`, `rename_uses`), so a gate pass touches only the wire ops, their
// neighbours and the consumers of their values instead of walking every node. Like an
// MLIR analysis it is asked for by type (`context.analysis<WireIndex>()`); the pass
// manager drops it after any pass that does not preserve it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <onnx/onnx_pb.h>

#include "bb/compiler/pass.h"
#include "body.h"
#include "node_list.h"

namespace bb::compiler {

// One reader of a value: input `slot` of `node`, or (node == nullptr) the graph output
// `slot`. slot -1: `node` holds a subgraph that reads the value from this scope.
struct ValueUse {
  onnx::NodeProto* node;
  int slot;
};

using ValueUses = absl::flat_hash_map<std::string_view, std::vector<ValueUse>>;

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

  // Positions in the node list, ascending.
  const std::vector<int>& sends() const { return sends_; }
  const std::vector<int>& recvs() const { return recvs_; }
  const std::vector<int>& tx_gates() const { return tx_gates_; }
  const std::vector<int>& rx_gates() const { return rx_gates_; }
  bool holds_subgraphs() const { return !holders_.empty(); }

  // Whether sends()[k] (tx) or recvs()[k] carries the stamp of `gate` (ir::has_stamp),
  // read with one attribute scan per wire op when the index is built: the gate passes
  // ask for every wire op, and the stamps earlier passes added lie far from the node.
  bool stamped(bool tx, std::size_t k, Gate gate) const;
  // Stamps sends()[k] (tx) or recvs()[k] for `gate` (ir::set_int_attribute = 1; no
  // attribute scan when the index knows the stamp is absent).
  void stamp(bool tx, std::size_t k, Gate gate);

  // The readers of every output of a Recv or an rx gate (keys view those outputs).
  const ValueUses& uses() const { return uses_; }
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

 private:
  void add_readers(const std::vector<NewGate>& gates);

  struct Stamps {
    std::uint8_t stamped = 0;  // bit per Gate: ir::has_stamp
    std::uint8_t present = 0;  // bit per Gate: an attribute of that name exists
  };
  static Stamps read_stamps(const onnx::NodeProto& node);
  void classify(const onnx::NodeProto& node, int i);
  void collect_ordered();

  const Body& body_;
  bool kept_;
  std::vector<int> sends_, recvs_, tx_gates_, rx_gates_, holders_;
  std::vector<Stamps> send_stamps_, recv_stamps_;  // parallel to sends_, recvs_
  ValueUses uses_;
};

// The index of every body, in collect_bodies order.
class WireIndex {
 public:
  // `ordered`: every graph's node order is topological (PassContext kCanonical).
  explicit WireIndex(onnx::ModelProto& model, bool ordered = false);
  // The analysis of a compile: the ordered form once canonicalize ran.
  explicit WireIndex(PassContext& context);
  // For reading only (the gate contract checker).
  explicit WireIndex(const onnx::ModelProto& model);

  const std::vector<Body>& bodies() const { return bodies_; }
  // The index of bodies()[i].
  BodyIndex& body(std::size_t i) { return *index_[i]; }

 private:
  void index_bodies(bool ordered);

  std::vector<Body> bodies_;
  std::vector<std::unique_ptr<BodyIndex>> index_;
};


}  // namespace bb::compiler
