// canonicalize (docs/compiler.md, docs/spec.md):
// - text-form peers (`id:bob`, base58btc) in `peer` attributes of Sends and Tx gates and
//   in the `peers` list of Peers nodes become multihash bytes;
// - every unnamed Send/Recv is named `Send_<i>` / `Recv_<i>` (i = its index in the
//   input graph); a wire-op name that collides with another node's name, with an
//   earlier wire op's, or (in a subgraph) with a wire op's of an enclosing graph, gets
//   `~2`, `~3`, … (in node order). Names are the gate keys, and a subgraph sees the values
//   of the graphs around it: a key used twice there would define its gate outputs twice;
// - a graph whose node order is not topological (BB016) is sorted stably: each node
//   moves only as far up as its producers require.
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "bb/compiler/codes.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/string_hash.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "node_list.h"
#include "node_prefetch.h"
#include "passes.h"
#include "verbatim.h"
#include "wire_scan.h"

namespace bb::compiler {
namespace {

void canonicalize_peer(onnx::NodeProto& node) {
  auto* attr = ir::find_attribute(node, ir::kAttrPeer);
  if (attr == nullptr || attr->type() != onnx::AttributeProto::STRING) return;
  auto peer = PeerId::from_attribute(attr->s());
  if (peer && peer->bytes() != attr->s()) attr->set_s(peer->bytes());
}

// Whether the list changed.
bool canonicalize_peer_list(onnx::NodeProto& node) {
  auto* attr = ir::find_attribute(node, ir::kAttrPeers);
  if (attr == nullptr || attr->type() != onnx::AttributeProto::STRINGS) return false;
  bool changed = false;
  for (auto& entry : *attr->mutable_strings()) {
    auto peer = PeerId::from_attribute(entry);
    if (peer && peer->bytes() != entry) {
      entry = peer->bytes();
      changed = true;
    }
  }
  return changed;
}

// The peer lists validate left as bytes (verbatim.h): their entries rewritten where a
// peer changes (canonicalize_peer_list on the bytes), or parsed into a scratch node and
// replaced by its serialization when the bytes are not laid out as expected.
void canonicalize_peer_list_entries(const std::vector<int>& positions, VerbatimNodes& verbatim) {
  const auto canonical = [](std::string_view entry) -> std::optional<std::string> {
    auto peer = PeerId::from_attribute(entry);
    if (!peer) return std::nullopt;
    return std::string(peer->bytes());
  };
  onnx::NodeProto node;
  for (int p : positions) {
    if (verbatim.rewrite_strings(p, ir::kAttrPeers, canonical) != VerbatimNodes::Rewrite::kUndecodable) continue;
    node.Clear();
    if (verbatim.parse(p, node) && canonicalize_peer_list(node)) verbatim.replace(p, node);
  }
}

// In a large graph the wire ops lie far apart: reading each is a cache miss, which asking
// for it a few wire ops ahead overlaps with the work on the ones before.
constexpr std::size_t kLookAhead = 8;
constexpr std::uint32_t kFilterBits = 1u << 20;  // collect_others' filter of wanted name hashes
void prefetch_node(const NodeList& nodes, int index) { __builtin_prefetch(&nodes.Get(index)); }

std::string default_name(const onnx::NodeProto& node, int index) {
  std::string name = node.op_type();
  name.push_back(ir::kUnnamedIndexSeparator);
  return name + std::to_string(index);
}

// Peers become bytes, the wire ops' wanted names are collected, then the wire ops'
// names are made unique against each other and the other nodes' names. With validate's
// scan of the graph (`scan`, wire_scan.h) the wire ops and peer lists are found by
// position and another node's name is read only when its hash is a wanted name's; else
// one walk over the nodes finds them. The sets view strings that stay put: the
// collected names, and names of nodes this does not rename.
// `enclosing`: the wire-op names of the graphs around this one (a subgraph's scope).
// Returns this graph's wire-op names; `too_long` gets the indexes of wire ops whose name
// is too long to be a gate key.
// `verbatim`: the main graph's nodes left as bytes (with `scan`), whose positions the
// default names count and whose names are taken too.
std::vector<std::string> canonicalize_nodes(NodeList& nodes, const WireScan* scan, VerbatimNodes* verbatim,
                                            const absl::flat_hash_set<std::string>& enclosing,
                                            std::vector<int>& too_long) {
  // A wire op's position, the name it wants (its own, or the default when it has none)
  // and whether that is its own: each node is read once here and written once below,
  // only if its name changes (at a million nodes every read of a node is a cache miss).
  struct Wanted {
    int index;
    std::string name;
    bool own;
  };
  std::vector<Wanted> wire;
  std::vector<const std::string*> other_names;  // of the other named nodes (the walk's)
  auto want = [&](int i) {
    const auto& node = nodes.Get(i);
    const bool own = !node.name().empty();
    const int position = verbatim != nullptr ? verbatim->position_of(i) : i;  // among all the nodes
    wire.push_back(Wanted{i, own ? node.name() : default_name(node, position), own});
  };
  if (scan != nullptr) {
    for (int i : scan->tx_gates) canonicalize_peer(*nodes.Mutable(i));
    for (int i : scan->peer_lists) canonicalize_peer_list(*nodes.Mutable(i));
    if (verbatim != nullptr) canonicalize_peer_list_entries(scan->peer_list_entries, *verbatim);
    std::vector<int> positions(scan->sends.size() + scan->recvs.size());
    std::merge(scan->sends.begin(), scan->sends.end(), scan->recvs.begin(), scan->recvs.end(), positions.begin());
    wire.reserve(positions.size());
    auto send = scan->sends.begin();
    for (std::size_t k = 0; k < positions.size(); ++k) {
      const int i = positions[k];
      prefetch_nodes_ahead(k, positions, nodes);
      if (send != scan->sends.end() && *send == i) {
        canonicalize_peer(*nodes.Mutable(i));
        ++send;
      }
      want(i);
    }
  } else {
    for (int i = 0; i < nodes.size(); ++i) {
      auto& node = *nodes.Mutable(i);
      const bool send = ir::is_send(node);
      if (send || ir::is_tx_gate(node)) {
        canonicalize_peer(node);
      } else if (ir::is_peers(node)) {
        canonicalize_peer_list(node);
      }
      if (send || ir::is_recv(node)) {
        want(i);
      } else if (!node.name().empty()) {
        other_names.push_back(&node.name());
      }
    }
  }
  if (wire.empty()) return {};
  ir::StringSet wanted;
  wanted.reserve(wire.size());
  for (const auto& w : wire) wanted.insert(w.name);
  // Only names of other nodes that equal a wanted one matter; all of them only once a
  // collision needs a fresh suffix.
  ir::StringSet others;
  bool all_others = false;
  auto collect_others = [&](bool all) {
    others.clear();
    all_others = all;
    if (scan == nullptr) {
      for (const auto* name : other_names)
        if (all || wanted.contains(*name)) others.insert(*name);
      return;
    }
    absl::flat_hash_set<std::uint32_t> wanted_hashes;  // only the filtered pass reads them
    // In front of the set, one bit per hash modulo 2^20 (128 KiB, which stays in the
    // cache where the set does not): nearly every node's hash finds its bit clear.
    std::vector<std::uint64_t> maybe_wanted;
    if (!all) {
      wanted_hashes.reserve(wire.size());
      maybe_wanted.assign(kFilterBits / 64, 0);
      for (const auto& w : wire) {
        const std::uint32_t hash = WireScan::name_hash(w.name);
        wanted_hashes.insert(hash);
        maybe_wanted[(hash % kFilterBits) / 64] |= std::uint64_t{1} << (hash % 64);
      }
    }
    auto wanted_hash = [&](std::uint32_t hash) {
      return (maybe_wanted[(hash % kFilterBits) / 64] >> (hash % 64) & 1u) != 0 && wanted_hashes.contains(hash);
    };
    // Over every node of the graph, in order: with verbatim nodes the list holds some of
    // them (`i` their place in it, -1 for the others, whose names are in their bytes).
    auto next_wire = wire.begin();
    const int n = verbatim != nullptr ? verbatim->size() : nodes.size();
    std::size_t next_kept = 0;
    for (int p = 0; p < n; ++p) {
      int i = p;
      if (verbatim != nullptr) {
        const auto& kept = verbatim->kept_positions();
        i = next_kept < kept.size() && kept[next_kept] == p ? static_cast<int>(next_kept++) : -1;
      }
      if (i >= 0 && next_wire != wire.end() && next_wire->index == i) {
        ++next_wire;
        continue;
      }
      if (!all && !wanted_hash(scan->name_hashes[static_cast<std::size_t>(p)])) continue;
      const std::string_view name = i >= 0 ? std::string_view(nodes.Get(i).name()) : verbatim->name(p);
      if (!name.empty() && (all || wanted.contains(name))) others.insert(name);
    }
  };
  collect_others(false);
  ir::StringSet taken;
  taken.reserve(wire.size());
  auto outside = [&](std::string_view name) { return !enclosing.empty() && enclosing.contains(std::string(name)); };
  std::deque<std::string> suffixed;  // the names made here (stable addresses)
  // Per colliding base name, the suffix to try next. The names excluded only grow as the
  // walk goes on, so the smallest free suffix of a base never goes down: starting from
  // the last one found gives the same names in linear time (n Sends all named `s` took
  // n²/2 probes).
  ir::StringMap<int> next_suffix;
  std::vector<std::string> names;
  names.reserve(wire.size());
  for (std::size_t w = 0; w < wire.size(); ++w) {
    const auto& [index, base, own] = wire[w];
    if (w + kLookAhead < wire.size() && !wire[w + kLookAhead].own) prefetch_node(nodes, wire[w + kLookAhead].index);
    std::string_view name = base;
    if (others.contains(name) || taken.contains(name) || outside(name)) {
      if (!all_others) collect_others(true);
      int& k = next_suffix.try_emplace(base, 2).first->second;
      for (;; ++k) {
        std::string candidate = base + ir::kCollisionSeparator + std::to_string(k);
        if (others.contains(candidate) || taken.contains(candidate) || wanted.contains(candidate) ||
            outside(candidate))
          continue;
        name = suffixed.emplace_back(std::move(candidate));
        ++k;
        break;
      }
    }
    taken.insert(name);
    if (!own || name != base) nodes.Mutable(index)->set_name(std::string(name));
    names.emplace_back(name);
    if (name.size() > ir::kMaxGateKeyBytes) too_long.push_back(index);
  }
  return names;
}

// Depth-first post-order over producers, roots in node order: producers come first and
// every other node keeps its relative order.
void sort_topologically(NodeList& nodes) {
  const int n = nodes.size();
  ir::StringMap<int> producer;
  std::size_t outputs = 0;
  for (const auto& node : nodes) outputs += static_cast<std::size_t>(node.output_size());
  producer.reserve(outputs);
  for (int i = 0; i < n; ++i)
    for (const auto& out : nodes.Get(i).output())
      if (!out.empty()) producer.emplace(out, i);
  std::vector<std::vector<int>> deps(static_cast<std::size_t>(n));
  std::vector<std::string_view> implicit;
  for (int i = 0; i < n; ++i) {
    const auto& node = nodes.Get(i);
    auto add = [&](std::string_view name) {
      if (auto it = producer.find(name); it != producer.end() && it->second != i) deps[i].push_back(it->second);
    };
    for (const auto& in : node.input()) add(in);
    if (!has_subgraph(node)) continue;
    implicit.clear();
    implicit_inputs(node, implicit);
    for (auto name : implicit) add(name);
  }
  std::vector<char> state(static_cast<std::size_t>(n), 0);  // 0 new, 1 on the stack, 2 emitted
  std::vector<int> order;
  order.reserve(static_cast<std::size_t>(n));
  std::vector<std::pair<int, std::size_t>> stack;
  for (int root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    stack.emplace_back(root, 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < deps[node].size()) {
        const int dep = deps[node][next++];
        if (state[dep] == 0) {
          state[dep] = 1;
          stack.emplace_back(dep, 0);
        }
        continue;  // state 1 here would be a cycle: validate stopped those (BB006)
      }
      state[node] = 2;
      order.push_back(node);
      stack.pop_back();
    }
  }
  reorder_node_list(nodes, order);
}

// How much of a too-long name a finding shows.
constexpr std::size_t kShownNameBytes = 64;

class CanonicalizePass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    // validate's scan of the main graph (wire_scan.h) means it holds no subgraph: its
    // nodes need no walk to find them.
    const auto* scan = context.analyses.cached<WireScan>();
    const auto bodies = collect_bodies(context.model, scan == nullptr);
    std::vector<std::vector<std::string>> wire_names(bodies.size());
    bool too_long = false;
    for (std::size_t b = 0; b < bodies.size(); ++b) {
      absl::flat_hash_set<std::string> enclosing;  // usually empty: subgraphs with wire ops are rare
      for (int at = bodies[b].parent; at >= 0; at = bodies[static_cast<std::size_t>(at)].parent)
        enclosing.insert(wire_names[static_cast<std::size_t>(at)].begin(), wire_names[static_cast<std::size_t>(at)].end());
      std::vector<int> long_names;
      VerbatimNodes* verbatim = b == 0 && scan != nullptr ? context.verbatim : nullptr;
      wire_names[b] = canonicalize_nodes(bodies[b].nodes(), b == 0 ? scan : nullptr, verbatim, enclosing, long_names);
      for (int index : long_names) {
        const auto& node = bodies[b].nodes().Get(index);
        Finding& f = context.diags.report(
            kBB022, NodeLocation{&node, verbatim != nullptr ? verbatim->position_of(index) : index, bodies[b].scope},
            "the name is " + std::to_string(node.name().size()) +
                " bytes long; a wire op's name names its gates and their values, and may be at most " +
                std::to_string(ir::kMaxGateKeyBytes) + " bytes" + bodies[b].where);
        f.node = node.name().substr(0, kShownNameBytes) + "…";  // the message says how long it is
        too_long = true;
      }
    }
    // Every gate value would repeat the name: stop before the gate passes multiply it.
    if (too_long) return PassStatus::input_errors();
    const auto* unordered = context.analyses.cached<UnorderedScopes>();
    bool main_graph_kept = true;
    for (int scope : unordered != nullptr ? unordered->scopes : std::vector<int>{}) {
      if (scope >= 0 && scope < static_cast<int>(bodies.size()))
        sort_topologically(bodies[static_cast<std::size_t>(scope)].nodes());
      main_graph_kept = main_graph_kept && scope != 0;
    }
    // Names and peers changed, values and (unless sorted) the main graph's order did not.
    if (main_graph_kept) context.analyses.preserve<WireScan>();
    return PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_canonicalize_pass(const PassInfo&) { return std::make_unique<CanonicalizePass>(); }

}  // namespace bb::compiler
