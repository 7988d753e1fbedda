// Every rule of docs/diagnostics.md. Each graph (main graph, subgraphs, functions) is walked once
// with index maps built once: the rules are linear in graph size.
#include "bb/compiler/validate.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/defs/schema.h>

#include "bb/compiler/gate_contracts.h"
#include "bb/compiler/op_manifest.h"
#include "bb/ir/huge_pages.h"
#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/string_hash.h"
#include "bb/ir/suggest.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "labels.h"
#include "verbatim.h"
#include "wire_scan.h"

namespace bb::compiler {
namespace {

// A value's name as the model's std::string that holds it, looked up by its characters:
// a slot is a pointer and an int (16 bytes) instead of a string_view and an int (24).
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const { return ir::StringHash{}(name); }
  std::size_t operator()(const std::string* name) const { return (*this)(std::string_view(*name)); }
};
struct NameEq {
  using is_transparent = void;
  static std::string_view view(std::string_view name) { return name; }
  static std::string_view view(const std::string* name) { return *name; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) == view(b);
  }
};

// value → producer index (-1: input/initializer); a slot per value: at a million values
// it is ~34 MB probed at random, so it lives on huge pages (fewer of them, and more
// slots per cache line, with the smaller slot).
using ValueMap = absl::flat_hash_map<const std::string*, int, NameHash, NameEq,
                                     ir::HugePageAllocator<std::pair<const std::string* const, int>>>;

// Values named by string views (walk_verbatim's graph inputs and initializers).
using VerbatimValueMap = absl::flat_hash_map<std::string_view, int, NameHash, NameEq,
                                             ir::HugePageAllocator<std::pair<const std::string_view, int>>>;

// The main graph's values for walk_verbatim. A node's output is named by a view into the
// input file (NodeView), so it is kept as its place there, offset and length: a slot of
// 12 bytes with its producer, against 24 with a string_view (at a million values, 25 MB
// of fresh memory less, and more slots per cache line). The graph's inputs and
// initializers, parsed strings, are a small map of their own.
class FileValueMap {
 public:
  // Whether the file's offsets fit the slots (a protobuf model is under 2 GiB anyway).
  static bool fits(std::string_view file) { return file.size() <= UINT32_MAX; }
  explicit FileValueMap(std::string_view file)
      : base_(file.data()), outputs_(0, PlaceHash{file.data()}, PlaceEq{file.data()}) {}

  VerbatimValueMap& graph_values() { return graph_; }
  void reserve(std::size_t outputs) { outputs_.reserve(outputs); }
  void prefetch(std::string_view name) const { outputs_.prefetch(name); }
  // The producer of `name` (kGraphLevel for a graph value), if it is defined.
  std::optional<int> producer(std::string_view name) const {
    if (auto it = outputs_.find(name); it != outputs_.end()) return it->second;
    if (auto it = graph_.find(name); it != graph_.end()) return it->second;
    return std::nullopt;
  }
  // Defines `name`, a view into the file, as an output of node `producer`; false when the
  // name is already defined.
  bool define(std::string_view name, int producer) {
    if (!graph_.empty() && graph_.contains(name)) return false;
    const Place place{static_cast<std::uint32_t>(name.data() - base_), static_cast<std::uint32_t>(name.size())};
    return outputs_.emplace(place, producer).second;
  }

 private:
  struct Place {
    std::uint32_t offset, size;
  };
  struct PlaceHash {
    using is_transparent = void;
    const char* base = nullptr;
    std::size_t operator()(Place p) const { return ir::StringHash{}(std::string_view(base + p.offset, p.size)); }
    std::size_t operator()(std::string_view name) const { return ir::StringHash{}(name); }
  };
  struct PlaceEq {
    using is_transparent = void;
    const char* base = nullptr;
    std::string_view view(Place p) const { return {base + p.offset, p.size}; }
    std::string_view view(std::string_view name) const { return name; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) == view(b);
    }
  };
  const char* base_;
  VerbatimValueMap graph_;
  absl::flat_hash_map<Place, int, PlaceHash, PlaceEq, ir::HugePageAllocator<std::pair<const Place, int>>> outputs_;
};

// Whether protobuf's deterministic serialization of `node` is `bytes` (`scratch` holds it).
bool serializes_to(const onnx::NodeProto& node, std::string_view bytes, std::string& scratch) {
  const std::size_t size = node.ByteSizeLong();
  if (size != bytes.size()) return false;
  scratch.resize(size);
  google::protobuf::io::ArrayOutputStream array(scratch.data(), static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  node.SerializeWithCachedSizes(&coded);
  return !coded.HadError() && std::string_view(scratch).substr(0, size) == bytes;
}

// How many nodes ahead the walks ask for the value map's slots (see check_body).
constexpr int kLookAhead = 8;
constexpr int kGraphLevel = -1;

std::string_view type_name(onnx::AttributeProto::AttributeType type) {
  return onnx::AttributeProto::AttributeType_Name(type);
}

std::string domain_label(std::string_view domain) {
  return domain.empty() ? std::string(ir::kOnnxDomainAlias) : std::string(domain);
}

struct SendUse {
  std::string_view channel;
  int payloads;
  NodeLocation at;  // at.scope: the body, whose `where` a message names
};

enum class OpStatus : std::uint8_t { kOnnx, kBb, kFunction, kNoDomain, kUnknown, kCustom, kManifest, kDomainTypo };
using OpKey = std::pair<std::string_view, std::string_view>;  // domain, op type

// The status of each (domain, op type) of a graph, resolved once. A graph uses few: a
// short list compared in order costs less than hashing two strings for every node, and
// a map takes the keys past it.
class OpCache {
 public:
  const OpStatus* find(const OpKey& key) const {
    for (const auto& [listed, status] : listed_)
      if (listed == key) return &status;
    if (more_.empty()) return nullptr;
    auto it = more_.find(key);
    return it != more_.end() ? &it->second : nullptr;
  }
  void add(const OpKey& key, OpStatus status) {
    if (listed_.size() < kListed) {
      listed_.emplace_back(key, status);
    } else {
      more_.emplace(key, status);
    }
  }

 private:
  static constexpr std::size_t kListed = 16;
  std::vector<std::pair<OpKey, OpStatus>> listed_;
  absl::flat_hash_map<OpKey, OpStatus> more_;
};

// The domains bb and ONNX know, for "did you mean" on a mistyped domain.
constexpr std::array<std::string_view, 4> kKnownDomains{ir::kWireDomain, ir::kSyscallDomain, ir::kOnnxDomainAlias,
                                                       "ai.onnx.ml"};

// A domain neither ONNX's schema registry nor bb knows: its ops are a team's own
// (their kernels come from a bbrun plugin), checked for structure only unless an op
// manifest describes them.
bool is_custom_domain(std::string_view domain) {
  if (domain.empty() || ir::is_onnx_domain(domain) || ir::is_bb_domain(domain)) return false;
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  return known.find(std::string(domain)) == known.end();
}

class Validator {
 public:
  // `source`: the model is a graph as written (no passport), not bbc's work in progress
  // or output, so the names and stamps of the gates are reserved (BB018).
  Validator(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags, bool source)
      : model_(model), options_(options), diags_(diags), bodies_(collect_bodies(model)), source_(source) {
    for (const auto& f : model.functions()) functions_.emplace(f.domain(), f.name());
  }

  void run() {
    prepare_scopes();
    run_checks(/*main_walked=*/false);
  }

  // run() for a model whose main graph walk_verbatim has checked.
  void run_after_verbatim_walk() { run_checks(/*main_walked=*/true); }

  void run_checks(bool main_walked) {
    if (model_.ir_version() > ir::kMaxIrVersion) {
      diags_.report(kBB009,
                    "ir_version is " + std::to_string(model_.ir_version()) + ", above " +
                        std::to_string(ir::kMaxIrVersion) + ": onnx 1.12's checker cannot accept the output",
                    "export the model with ir_version 8 or lower");
    }
    for (const auto& body : bodies_)
      if (!main_walked || body.scope != 0) check_body(body);
    check_channels();
    check_function_recursion();
  }

  void prepare_scopes() {
    scopes_.resize(bodies_.size());
    holds_subgraphs_.assign(bodies_.size(), 0);
    for (const auto& body : bodies_)
      if (body.parent >= 0) holds_subgraphs_[static_cast<std::size_t>(body.parent)] = 1;
  }

  // One note listing the custom-domain ops and their node counts, sorted, so CI sees
  // what only a plugin can run.
  void report_custom_ops() {
    if (custom_ops_.empty()) return;
    std::vector<std::pair<std::pair<std::string_view, std::string_view>, int>> ops(custom_ops_.begin(),
                                                                                   custom_ops_.end());
    std::sort(ops.begin(), ops.end());
    std::string list;
    int nodes = 0;
    for (const auto& [key, count] : ops) {
      list += (list.empty() ? "" : ", ") + std::string(key.first) + "::" + std::string(key.second) + " (" +
              std::to_string(count) + (count == 1 ? " node)" : " nodes)");
      nodes += count;
    }
    const bool described = options_.ops != nullptr;
    diags_.report(kBB031,
                  std::to_string(nodes) + (nodes == 1 ? " node uses" : " nodes use") + " ops of custom domains: " +
                      list,
                  described ? "bbrun needs their kernels: --plugin LIB or kernels linked in"
                            : "pass an op manifest with --ops FILE to check their arity and attributes; bbrun needs "
                              "their kernels: --plugin LIB or kernels linked in");
  }

  // ---- the main graph as node entries (verbatim.h) --------------------------------------
  // check_body of the main graph for a model loaded with its nodes left as bytes: entry
  // by entry, in order, the nodes a pass needs parsed into the graph's list (the wire
  // ops, the readers of a Recv's outputs, and any node whose entry is not the bytes its
  // serialization gives), the scan recorded in positions of that list. Every other node
  // is read as a NodeView (an ai.onnx op without attributes) or parsed into `scratch`
  // for its checks and left as bytes; the peer lists among them are recorded by position
  // for canonicalize, which replaces the entries it changes. True when the walk found nothing and
  // the scan holds; false at the first finding, or at what only the whole graph's walk
  // settles (an input produced later or never, a gate node, a node over a limit): the
  // caller then parses every node and validates the model as a whole.
  bool walk_verbatim(VerbatimNodes& verbatim, google::protobuf::Arena* arena, const ir::ModelLimits& limits) {
    prepare_scopes();
    const Body& body = bodies_[0];
    if (body.kind != Body::Kind::kGraph || body.scope != 0 || body.nodes().size() != 0 || scan_ == nullptr)
      return false;
    if (!FileValueMap::fits(verbatim.file())) return false;
    const std::size_t findings = diags_.findings().size();
    const int n = verbatim.size();
    FileValueMap defined(verbatim.file());
    define_graph_values(body, defined.graph_values());
    if (diags_.findings().size() != findings) return false;
    // Sized for an output per node and an eighth more (most nodes define one value, a
    // Recv two or three): counting the outputs first took 5 % of the walk, and a map
    // that is short grows once.
    defined.reserve(static_cast<std::size_t>(n) + static_cast<std::size_t>(n) / 8);
    std::vector<char> read_out(static_cast<std::size_t>(n), 0);
    scan_->name_hashes.reserve(static_cast<std::size_t>(n));
    scan_ok_ = true;
    OpCache op_cache;
    using BbShape = std::tuple<OpKey, std::size_t, std::size_t>;  // op, inputs, outputs
    absl::flat_hash_set<BbShape> clean_shapes;
    // Each node is decoded kLookAhead nodes early, and the map's slots of its inputs and
    // outputs asked for then (as check_body and collect_definitions do).
    std::array<NodeView, kLookAhead + 1> views;
    auto decode_ahead = [&](int at) {
      if (at >= n) return true;
      NodeView& ahead = views[static_cast<std::size_t>(at) % views.size()];
      if (!decode_node_entry(verbatim.entry(at), ahead)) return false;
      for (const std::string_view in : ahead.inputs) defined.prefetch(in);
      for (const std::string_view out : ahead.outputs) defined.prefetch(out);
      return true;
    };
    for (int i = 0; i < kLookAhead; ++i)
      if (!decode_ahead(i)) return false;
    onnx::NodeProto scratch;
    std::string bytes;
    NodeList& nodes = body.nodes();
    for (int i = 0; i < n; ++i) {
      if (diags_.findings().size() != findings || !decode_ahead(i + kLookAhead)) return false;
      const NodeView& view = views[static_cast<std::size_t>(i) % views.size()];
      if (options_.pedantic && view.name.empty()) return false;  // BB030
      bool reader = false;
      for (const std::string_view in : view.inputs) {
        if (in.empty()) continue;
        const auto producer = defined.producer(in);
        if (!producer || *producer >= i) return false;  // later, or never (BB004, BB016)
        reader = reader || (*producer >= 0 && read_out[static_cast<std::size_t>(*producer)] != 0);
      }
      for (const std::string_view out : view.outputs) {
        if (out.empty()) continue;
        if (!defined.define(out, i)) return false;  // BB005
        check_name(body, out, nullptr);
      }
      scan_->name_hashes.push_back(WireScan::name_hash(view.name));
      const OpStatus status = op_status(body, view.domain, view.op_type, op_cache);
      if (status == OpStatus::kOnnx && !view.has_attributes && !reader && view.canonical) continue;  // a view only
      if (ir::find_gate(view.domain, view.op_type) != nullptr) return false;  // gates in a source graph: as a whole
      const bool send = ir::is_send(view.domain, view.op_type), recv = ir::is_recv(view.domain, view.op_type);
      // A peer list canonicalize changes stays bytes too: it replaces the entry.
      const bool peers = ir::is_peers(view.domain, view.op_type);
      bool kept = reader || send || recv;
      // A bb op without attributes checks alike for alike numbers of inputs and outputs
      // (check_bb_op reads nothing else of it): parsed and checked once per such shape.
      const bool plain_bb = status == OpStatus::kBb && !kept && !view.has_attributes && view.canonical;
      const BbShape shape{OpKey(view.domain, view.op_type), view.inputs.size(), view.outputs.size()};
      if (plain_bb && clean_shapes.contains(shape)) continue;
      onnx::NodeProto* node = &scratch;
      if (kept) {
        node = google::protobuf::Arena::CreateMessage<onnx::NodeProto>(arena);
      } else {
        scratch.Clear();
      }
      if (!verbatim.parse(i, *node) || !ir::node_within_limits(*node, limits)) return false;
      if (!kept && !view.canonical && !serializes_to(scratch, verbatim.node_bytes(i), bytes)) {
        kept = true;  // its bytes are not what its serialization gives: written from the node
        node = google::protobuf::Arena::CreateMessage<onnx::NodeProto>(arena);
        node->CopyFrom(scratch);
      }
      if (kept) {
        nodes.UnsafeArenaAddAllocated(node);
        verbatim.keep(node, i);
      }
      const int at_list = nodes.size() - 1;  // the node's place in the list, when kept
      const NodeLocation at{node, i, body.scope};
      check_op(body, *node, at, status, OpKey(view.domain, view.op_type));
      if (source_ && (send || recv)) check_no_stamps(body, *node, at);
      if (plain_bb && diags_.findings().size() == findings) clean_shapes.insert(shape);
      if (!kept) {
        if (peers) scan_->peer_list_entries.push_back(i);
        continue;
      }
      scan_node(*node, at_list, i, read_out);
      if (!scan_ok_) return false;  // a Recv without an output: not for a scan
      if (!reader) continue;
      for (int j = 0; j < node->input_size(); ++j) {
        const std::string& in = node->input(j);
        if (in.empty()) continue;
        const int producer = *defined.producer(in);
        if (producer >= 0 && read_out[static_cast<std::size_t>(producer)] != 0)
          scan_->readers.push_back(WireScan::Reader{in, at_list, j});
      }
    }
    return diags_.findings().size() == findings;
  }

  // Record the main graph's WireScan (wire_scan.h) during the walk; scanned() says
  // whether it describes the graph.
  void scan_into(WireScan* scan) { scan_ = scan; }
  bool scanned() const { return scan_ != nullptr && scan_ok_; }

 private:
  // ---- one graph ------------------------------------------------------------------
  void check_body(const Body& body) {
    ValueMap& defined = scopes_[static_cast<std::size_t>(body.scope)];
    collect_definitions(body, defined);
    const NodeList& nodes = body.nodes();
    OpCache op_cache;
    int first_out_of_order = -1;
    std::vector<std::string_view> implicit;
    const bool scanning = scan_ != nullptr && body.kind == Body::Kind::kGraph && body.scope == 0;
    std::vector<char> read_out;  // per node: a Recv or rx gate, whose outputs' readers the scan records
    if (scanning) {
      read_out.assign(static_cast<std::size_t>(nodes.size()), 0);
      scan_->name_hashes.reserve(static_cast<std::size_t>(nodes.size()));
      scan_ok_ = true;
    }
    for (int i = 0; i < nodes.size(); ++i) {
      // Each input's lookup misses the cache twice (the map's control bytes, its slot):
      // at a million values the map is larger than the cache. Asking for the slots of a
      // later node's inputs now overlaps those misses with this node's work.
      if (i + kLookAhead < nodes.size())
        for (const auto& in : nodes.Get(i + kLookAhead).input()) defined.prefetch(in);
      const auto& node = nodes.Get(i);
      const NodeLocation at{&node, i, body.scope};
      if (options_.pedantic && node.name().empty()) {
        diags_.report(kBB030, at, "node has no name" + body.where,
                      "name the node (the ONNX text syntax cannot; onnx.helper.make_node(..., name=...) can)");
      }
      check_op(body, node, at, op_cache);
      if (source_ && (ir::is_send(node) || ir::is_recv(node))) check_no_stamps(body, node, at);
      if (scanning) {
        scan_->name_hashes.push_back(WireScan::name_hash(node.name()));
        scan_node(node, i, i, read_out);
      }
      for (int j = 0; j < node.input_size(); ++j) {
        const std::string& in = node.input(j);
        if (in.empty()) continue;
        const int producer = lookup(body, in);
        if (producer == kMissing) {
          diags_.report(kBB004, at, "input " + in_quotes(in) + " is never produced" + body.where,
                        "produce it with a node, declare it as a graph input, or fix the name");
        } else if (producer >= i && first_out_of_order < 0) {
          first_out_of_order = i;
        } else if (scanning && producer >= 0 && read_out[static_cast<std::size_t>(producer)] != 0) {
          scan_->readers.push_back(WireScan::Reader{in, i, j});
        }
      }
      // (Only a body some subgraph names as its parent holds a node with one.)
      if (!holds_subgraphs_[static_cast<std::size_t>(body.scope)] || !has_subgraph(node)) continue;
      scan_ok_ = scan_ok_ && !scanning;  // subgraphs read values the walk does not see
      implicit.clear();
      implicit_inputs(node, implicit);
      for (auto name : implicit) {
        auto it = defined.find(name);
        if (it != defined.end() && it->second >= i && first_out_of_order < 0) first_out_of_order = i;
      }
    }
    if (first_out_of_order >= 0) check_order(body, defined, first_out_of_order);
    if (scanning && (!scan_ok_ || first_out_of_order >= 0)) {
      scan_ok_ = false;
      *scan_ = WireScan{};
    }
  }

  // The node's kind for the scan (as BodyIndex::classify); a Recv or rx gate with an
  // empty output is not for a scan.
  // `position`: the node's place in the graph's list (what the scan records); `index`:
  // among all the graph's nodes (what read_out counts). The same but for walk_verbatim.
  void scan_node(const onnx::NodeProto& node, int position, int index, std::vector<char>& read_out) {
    const auto at = static_cast<std::size_t>(index);
    if (ir::is_peers(node)) {
      scan_->peer_lists.push_back(position);
    } else if (ir::is_send(node)) {
      scan_->sends.push_back(position);
    } else if (ir::is_recv(node)) {
      scan_->recvs.push_back(position);
      read_out[at] = 1;
    } else if (ir::is_tx_gate(node)) {
      scan_->tx_gates.push_back(position);
    } else if (ir::is_rx_gate(node)) {
      scan_->rx_gates.push_back(position);
      read_out[at] = 1;
    }
    if (read_out[at] == 0) return;
    for (const auto& out : node.output())
      if (out.empty()) scan_ok_ = false;
  }

  // The body's inputs and initializers (kGraphLevel).
  template <class Map>
  void define_graph_values(const Body& body, Map& defined) {
    if (body.function != nullptr) {
      for (const auto& in : body.function->input()) define_input(body, in, defined);
    } else {
      const auto& graph = *body.graph;
      for (const auto& v : graph.input()) {
        define_input(body, v.name(), defined);
        if (body.kind == Body::Kind::kGraph && (!v.has_type() || v.type().value_case() == onnx::TypeProto::VALUE_NOT_SET)) {
          diags_.report(kBB007, "graph input " + in_quotes(v.name()) + " has no type",
                        "give it a type, e.g. float[1] " + v.name());
        }
      }
      // An initializer may share its graph input's name (its default value).
      for (const auto& t : graph.initializer())
        if (defined.emplace(key_of<Map>(t.name()), kGraphLevel).second) check_name(body, t.name(), nullptr);
      for (const auto& t : graph.sparse_initializer())
        if (defined.emplace(key_of<Map>(t.values().name()), kGraphLevel).second) check_name(body, t.values().name(), nullptr);
    }
  }

  template <class Map>
  static typename Map::key_type key_of(const std::string& name) {
    if constexpr (std::is_same_v<typename Map::key_type, std::string_view>) {
      return name;
    } else {
      return &name;
    }
  }

  void collect_definitions(const Body& body, ValueMap& defined) {
    define_graph_values(body, defined);
    const NodeList& nodes = body.nodes();
    // Sized for exactly the outputs (a map sized for two per node is twice as large,
    // and every lookup misses the caches: its size is its speed).
    std::size_t outputs = 0;
    for (const auto& node : nodes) outputs += static_cast<std::size_t>(node.output_size());
    defined.reserve(defined.size() + outputs);
    for (int i = 0; i < nodes.size(); ++i) {
      if (i + kLookAhead < nodes.size())
        for (const auto& out : nodes.Get(i + kLookAhead).output()) defined.prefetch(out);
      const auto& node = nodes.Get(i);
      for (const auto& out : node.output()) {
        if (out.empty()) continue;
        auto [it, inserted] = defined.emplace(&out, i);
        if (inserted) {
          check_name(body, out, &node, i);
          continue;
        }
        const std::string first = it->second == kGraphLevel
                                      ? std::string("a graph input or initializer")
                                      : "node " + node_label(nodes.Get(it->second), it->second);
        diags_.report(kBB005, NodeLocation{&node, i, body.scope},
                      "value " + in_quotes(out) + " is already produced by " + first + body.where,
                      "rename one of the outputs and update its consumers");
      }
    }
  }

  // A graph or function input: declared once (BB005), and its name checked.
  template <class Map>
  void define_input(const Body& body, const std::string& name, Map& defined) {
    if (name.empty()) return;
    if (!defined.emplace(key_of<Map>(name), kGraphLevel).second) {
      diags_.report(kBB005, "input " + in_quotes(name) + " is declared twice" + body.where,
                    "give each input its own name");
      return;
    }
    check_name(body, name, nullptr);
  }

  // A value a body defines: in a source graph not named like a gate output (BB018); in
  // a subgraph not the name of a value of an enclosing graph (BB019), which the
  // subgraph's readers could no longer tell apart (and gate insertion, renaming the
  // outer value's readers, would redirect them).
  void check_name(const Body& body, std::string_view name, const onnx::NodeProto* node, int index = 0) {
    const auto report = [&](std::string_view code, std::string message, std::string hint) {
      if (node != nullptr)
        diags_.report(code, NodeLocation{node, index, body.scope}, std::move(message), std::move(hint));
      else
        diags_.report(code, std::move(message), std::move(hint));
    };
    if (source_ && ir::is_gate_output_name(name)) {
      report(kBB018,
             "value " + in_quotes(printable(name, 256)) +
                 " has the form of a gate output, reserved for the gates bbc inserts" + body.where,
             "rename the value (gate outputs are named <key>#<infix>.<j>)");
    }
    // (A branch may name its result as its node names the node's output: `y = If(c)`
    // with `then_branch` producing `y` is the usual way to write it.)
    for (const Body* inner = &body; inner->parent >= 0; inner = &bodies_[static_cast<std::size_t>(inner->parent)]) {
      if (!scopes_[static_cast<std::size_t>(inner->parent)].contains(name)) continue;
      if (inner->owner != nullptr && std::find(inner->owner->output().begin(), inner->owner->output().end(), name) !=
                                         inner->owner->output().end())
        continue;
      report(kBB019,
             "value " + in_quotes(printable(name, 256)) + " is already a value of an enclosing graph" + body.where,
             "rename the subgraph's value and its readers inside the subgraph");
      break;
    }
  }

  // A Send or Recv of a source graph with a gate's stamp: bbc would take it as gated
  // and not insert the gate.
  void check_no_stamps(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    // A stamp is an int attribute: most wire ops have none (one scan instead of one per gate).
    if (std::none_of(node.attribute().begin(), node.attribute().end(),
                     [](const onnx::AttributeProto& a) { return a.type() == onnx::AttributeProto::INT; }))
      return;
    for (const auto& gate : ir::kGates) {
      if (gate.tx != ir::is_send(node) || !ir::has_stamp(node, gate.stamp)) continue;
      diags_.report(kBB018, at,
                    node.op_type() + " carries the gate stamp " + in_quotes(gate.stamp) +
                        " in a source graph: bbc would not insert its gate" + body.where,
                    "remove the stamp; bbc stamps a wire op when it inserts its gates");
    }
  }

  // ---- model-local functions calling themselves (BB006) ------------------------------
  // The runtime inlines functions: one that reaches itself through its calls (or those
  // of the functions it calls) never finishes expanding.
  void check_function_recursion() {
    if (model_.functions().empty()) return;
    using Key = std::pair<std::string_view, std::string_view>;
    absl::flat_hash_map<Key, int> index;
    for (int f = 0; f < model_.functions_size(); ++f)
      index.emplace(Key{model_.functions(f).domain(), model_.functions(f).name()}, f);
    // Calls of each function, from its own nodes and the subgraphs inside it.
    std::vector<std::vector<std::pair<int, NodeLocation>>> calls(static_cast<std::size_t>(model_.functions_size()));
    for (const auto& body : bodies_) {
      const Body* root = &body;
      while (root->parent >= 0) root = &bodies_[static_cast<std::size_t>(root->parent)];
      if (root->function == nullptr) continue;
      const int caller = index.at(Key{root->function->domain(), root->function->name()});
      const NodeList& nodes = body.nodes();
      for (int i = 0; i < nodes.size(); ++i) {
        auto it = index.find(Key{nodes.Get(i).domain(), nodes.Get(i).op_type()});
        if (it != index.end())
          calls[static_cast<std::size_t>(caller)].emplace_back(it->second, NodeLocation{&nodes.Get(i), i, body.scope});
      }
    }
    // Depth-first, iterative: 0 unvisited, 1 on the path, 2 done.
    std::vector<int> state(calls.size(), 0);
    for (std::size_t start = 0; start < calls.size(); ++start) {
      if (state[start] != 0) continue;
      std::vector<std::pair<int, std::size_t>> stack{{static_cast<int>(start), 0}};
      state[start] = 1;
      while (!stack.empty()) {
        auto& [f, next] = stack.back();
        const auto& out = calls[static_cast<std::size_t>(f)];
        if (next == out.size()) {
          state[static_cast<std::size_t>(f)] = 2;
          stack.pop_back();
          continue;
        }
        const auto& [callee, at] = out[next++];
        if (state[static_cast<std::size_t>(callee)] == 1) {
          const auto& fn = model_.functions(callee);
          diags_.report(kBB006, at,
                        "function " + in_quotes(fn.name()) + " calls itself (directly or through other functions)" +
                            bodies_[static_cast<std::size_t>(at.scope)].where,
                        "functions are expanded inline: break the recursion");
          continue;
        }
        if (state[static_cast<std::size_t>(callee)] == 0) {
          state[static_cast<std::size_t>(callee)] = 1;
          stack.emplace_back(callee, 0);
        }
      }
    }
  }

  static constexpr int kMissing = -2;

  // The producer index of `name` in `body`, kGraphLevel for inputs/initializers and
  // values of enclosing scopes, kMissing when nothing defines it.
  int lookup(const Body& body, std::string_view name) const {
    const auto& own = scopes_[static_cast<std::size_t>(body.scope)];
    if (auto it = own.find(name); it != own.end()) return it->second;
    for (int p = body.parent; p >= 0; p = bodies_[static_cast<std::size_t>(p)].parent) {
      if (scopes_[static_cast<std::size_t>(p)].contains(name)) return kGraphLevel;
    }
    return kMissing;
  }

  // ---- order and cycles --------------------------------------------------------------
  // Node i's dependencies: the producers (in this graph) of its inputs and of the
  // values its subgraphs read.
  static void dependencies(const onnx::NodeProto& node, const ValueMap& defined, std::vector<int>& deps) {
    deps.clear();
    auto add = [&](std::string_view name) {
      if (name.empty()) return;
      auto it = defined.find(name);
      if (it != defined.end() && it->second >= 0) deps.push_back(it->second);
    };
    for (const auto& in : node.input()) add(in);
    if (!has_subgraph(node)) return;
    std::vector<std::string_view> implicit;
    implicit_inputs(node, implicit);
    for (auto name : implicit) add(name);
  }

  void check_order(const Body& body, const ValueMap& defined, int first_out_of_order) {
    const NodeList& nodes = body.nodes();
    const int n = nodes.size();
    // Kahn's algorithm over a CSR adjacency (producer → consumers).
    std::vector<int> indegree(static_cast<std::size_t>(n), 0), offsets(static_cast<std::size_t>(n) + 1, 0), deps;
    std::vector<std::pair<int, int>> edges;  // (producer, consumer)
    for (int i = 0; i < n; ++i) {
      dependencies(nodes.Get(i), defined, deps);
      for (int p : deps) {
        edges.emplace_back(p, i);
        ++indegree[static_cast<std::size_t>(i)];
        ++offsets[static_cast<std::size_t>(p) + 1];
      }
    }
    for (int i = 0; i < n; ++i) offsets[static_cast<std::size_t>(i) + 1] += offsets[static_cast<std::size_t>(i)];
    std::vector<int> consumers(edges.size()), fill(offsets.begin(), offsets.end() - 1);
    for (auto [p, c] : edges) consumers[static_cast<std::size_t>(fill[static_cast<std::size_t>(p)]++)] = c;
    std::vector<int> ready;
    for (int i = 0; i < n; ++i)
      if (indegree[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
    int done = 0;
    while (!ready.empty()) {
      const int p = ready.back();
      ready.pop_back();
      ++done;
      for (int k = offsets[static_cast<std::size_t>(p)]; k < offsets[static_cast<std::size_t>(p) + 1]; ++k) {
        const int c = consumers[static_cast<std::size_t>(k)];
        if (--indegree[static_cast<std::size_t>(c)] == 0) ready.push_back(c);
      }
    }
    if (done == n) {
      report_out_of_order(body, defined, first_out_of_order);
      return;
    }
    report_cycle(body, defined, indegree);
  }

  void report_out_of_order(const Body& body, const ValueMap& defined, int i) {
    const auto& nodes = body.nodes();
    const auto& node = nodes.Get(i);
    std::string value;
    int producer = i;
    std::vector<int> deps;
    for (const auto& in : node.input()) {
      auto it = defined.find(in);
      if (!in.empty() && it != defined.end() && it->second >= i) {
        value = in;
        producer = it->second;
        break;
      }
    }
    std::string what = value.empty() ? std::string("a value its subgraph reads")
                                     : "input " + in_quotes(value);
    diags_.report(kBB016, NodeLocation{&node, i, body.scope},
                  "node order is not topological: " + what + " is produced later, by node " +
                      node_label(nodes.Get(producer), producer) + body.where,
                  "put producers before consumers; bbc compile sorts the nodes stably");
  }

  void report_cycle(const Body& body, const ValueMap& defined, const std::vector<int>& indegree) {
    const auto& nodes = body.nodes();
    // Start at a node left over by Kahn's algorithm and follow unresolved producers
    // until one repeats: that node is on a cycle.
    int start = 0;
    while (indegree[static_cast<std::size_t>(start)] == 0) ++start;
    std::vector<int> visit_order(static_cast<std::size_t>(nodes.size()), -1), path, deps;
    int cur = start;
    while (visit_order[static_cast<std::size_t>(cur)] < 0) {
      visit_order[static_cast<std::size_t>(cur)] = static_cast<int>(path.size());
      path.push_back(cur);
      dependencies(nodes.Get(cur), defined, deps);
      int next = -1;
      for (int p : deps)
        if (indegree[static_cast<std::size_t>(p)] > 0) {
          next = p;
          break;
        }
      if (next < 0) return;  // cannot happen: a leftover node has a leftover producer
      cur = next;
    }
    std::vector<int> cycle(path.begin() + visit_order[static_cast<std::size_t>(cur)], path.end());
    std::reverse(cycle.begin(), cycle.end());  // producer → consumer order
    const auto first = std::min_element(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), first, cycle.end());
    std::string text;
    for (std::size_t k = 0; k < cycle.size() && k < 8; ++k) {
      text += node_label(nodes.Get(cycle[k]), cycle[k]) + " -> ";
    }
    text += cycle.size() > 8 ? std::string("…") : node_label(nodes.Get(cycle[0]), cycle[0]);
    const int at = cycle[0];
    diags_.report(kBB006, NodeLocation{&nodes.Get(at), at, body.scope},
                  "the graph has a cycle: " + text + body.where,
                  "break the cycle; feedback across executions goes through Send/Recv or a stateful op");
  }

  // ---- ops -----------------------------------------------------------------------------
  void check_op(const Body& body, const onnx::NodeProto& node, const NodeLocation& at, OpCache& cache) {
    const OpKey key(node.domain(), node.op_type());
    check_op(body, node, at, op_status(body, key.first, key.second, cache), key);
  }

  // The op's status, resolved once per (domain, op type) of a body: `domain` and
  // `op_type` view strings that outlive the cache.
  OpStatus op_status(const Body& body, std::string_view domain, std::string_view op_type, OpCache& cache) const {
    const OpKey key(domain, op_type);
    if (const OpStatus* known = cache.find(key)) return *known;
    const OpStatus status = resolve(body, domain, op_type);
    cache.add(key, status);
    return status;
  }

  // `key`: the node's domain and op type, viewing strings that outlive the walk.
  void check_op(const Body& body, const onnx::NodeProto& node, const NodeLocation& at, OpStatus status,
                const OpKey& key) {
    switch (status) {
      case OpStatus::kNoDomain: report_no_domain(body, node, at); return;
      case OpStatus::kDomainTypo: report_domain_typo(body, node, at); return;
      case OpStatus::kUnknown: report_unknown(body, node, at); return;
      case OpStatus::kBb: check_bb_op(body, node, at); return;
      case OpStatus::kCustom: ++custom_ops_[key]; return;
      case OpStatus::kManifest:
        ++custom_ops_[key];
        check_manifest_op(body, node, at, *options_.ops->find(node.domain(), node.op_type()));
        return;
      case OpStatus::kOnnx:
      case OpStatus::kFunction: return;
    }
  }

  OpStatus resolve(const Body& body, std::string_view domain, std::string_view op_type) const {
    const auto version = ir::opset_version(*body.opsets, domain);
    if (!version) return OpStatus::kNoDomain;
    if (ir::is_bb_domain(domain)) return ir::find_bb_op(domain, op_type) != nullptr ? OpStatus::kBb : OpStatus::kUnknown;
    if (functions_.contains(std::make_pair(domain, op_type))) return OpStatus::kFunction;
    if (is_custom_domain(domain)) {
      if (closest_known_domain(domain)) return OpStatus::kDomainTypo;
      if (options_.ops == nullptr || !options_.ops->declares_domain(domain)) return OpStatus::kCustom;
      return options_.ops->find(domain, op_type) != nullptr ? OpStatus::kManifest : OpStatus::kUnknown;
    }
    const std::string schema_domain = ir::is_onnx_domain(domain) ? std::string() : std::string(domain);
    const auto* schema = onnx::OpSchemaRegistry::Schema(std::string(op_type), static_cast<int>(*version), schema_domain);
    return schema != nullptr ? OpStatus::kOnnx : OpStatus::kUnknown;
  }

  // A domain one typo away from one bb or ONNX knows (ai.bytesandbrains.wrie).
  static std::optional<std::string_view> closest_known_domain(std::string_view domain) {
    if (domain.empty() || ir::is_onnx_domain(domain) || ir::is_bb_domain(domain)) return std::nullopt;
    return ir::closest_match(domain, kKnownDomains, 2);  // a team's own domain is rarely two edits from ours
  }

  // A file without a `<…>` header imports nothing: said once for the file, not per node.
  void report_no_domain(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    if (model_.opset_import_size() == 0 && body.function == nullptr) {
      if (said_no_header_) return;
      said_no_header_ = true;
      diags_.report(kBB002,
                    "the model imports no domain: a text file needs a header before its graph, so no node's op "
                    "can be resolved",
                    "start the file with <ir_version: 8, opset_import: [\"\" : 13, \"ai.bytesandbrains.syscall\" : 1, "
                    "\"ai.bytesandbrains.wire\" : 1]> (the domains its nodes use)");
      return;
    }
    if (auto known = closest_known_domain(node.domain())) {
      report_domain_typo(body, node, at);
      return;
    }
    diags_.report(kBB002, at,
                  "domain " + in_quotes(domain_label(node.domain())) + " of op " + in_quotes(node.op_type()) +
                      " has no opset_import entry" + body.where,
                  "add \"" + node.domain() + "\" : <version> to opset_import" +
                      (body.function != nullptr ? std::string(" of the function") : std::string()));
  }

  void report_domain_typo(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    const auto known = *closest_known_domain(node.domain());
    diags_.report(kBB003, at,
                  "domain " + in_quotes(node.domain()) + " of op " + in_quotes(node.op_type()) +
                      " is not a domain bb or ONNX knows (did you mean " + in_quotes(known) + "?)" + body.where,
                  "write the node's domain as " + std::string(known) + " (and import that domain, not the typo)");
  }

  // The op type closest to a mistyped one: bb ops, and for ONNX domains ONNX's ops.
  static std::optional<std::pair<std::string, std::string>> closest_op(const onnx::NodeProto& node) {
    std::vector<std::string_view> names;
    std::vector<std::string_view> domains;
    for (const auto& spec : ir::bb_op_table()) {
      names.push_back(spec.op_type);
      domains.push_back(spec.domain);
    }
    std::vector<onnx::OpSchema> schemas;
    if (ir::is_onnx_domain(node.domain())) {
      schemas = onnx::OpSchemaRegistry::get_all_schemas();
      for (const auto& schema : schemas) {
        if (!schema.domain().empty()) continue;
        names.push_back(schema.Name());
        domains.push_back(ir::kOnnxDomainAlias);
      }
    }
    const auto match = ir::closest_match(node.op_type(), names);
    if (!match) return std::nullopt;
    const auto k = static_cast<std::size_t>(std::find(names.begin(), names.end(), *match) - names.begin());
    return std::make_pair(std::string(*match), std::string(domains[k]));
  }

  void report_unknown(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    std::string hint = "fix the op type or domain, or define a model-local function of that name";
    bool exact = false;
    for (const auto& spec : ir::bb_op_table()) {
      if (spec.op_type == node.op_type() && spec.domain != node.domain()) {
        hint = node.op_type() + " lives in domain " + in_quotes(spec.domain);
        exact = true;
        break;
      }
    }
    std::string suggestion;
    if (!exact && !is_custom_domain(node.domain())) {
      if (auto near = closest_op(node)) {
        const bool same_domain = near->second == domain_label(node.domain());
        suggestion = " (did you mean " + in_quotes(near->first) +
                     (same_domain ? std::string() : " of domain " + in_quotes(near->second)) + "?)";
        hint = "write the op type as " + near->first + (same_domain ? std::string() : " in domain " + near->second);
      }
    }
    const auto version = ir::opset_version(*body.opsets, node.domain()).value_or(0);
    std::string where_found = ir::is_bb_domain(node.domain()) ? std::string(" (not a bb op)")
                              : is_custom_domain(node.domain())
                                  ? " (the op manifest " + options_.ops->path() + " declares the domain but not this op)"
                                  : " (not in the ONNX schema registry for opset " + std::to_string(version) +
                                        ", not a bb op, not a model-local function)";
    diags_.report(kBB003, at,
                  "unknown op " + in_quotes(node.op_type()) + " in domain " + in_quotes(domain_label(node.domain())) +
                      where_found + suggestion + body.where,
                  hint);
  }

  // An op of a custom domain the manifest describes: arity and attributes as strictly
  // as a bb op, plus attributes the manifest does not declare.
  void check_manifest_op(const Body& body, const onnx::NodeProto& node, const NodeLocation& at,
                         const ir::OpSpec& spec) {
    check_count(body, node, at, "inputs", node.input_size(), spec.min_inputs, spec.max_inputs, kBB017);
    check_count(body, node, at, "outputs", node.output_size(), spec.min_outputs, spec.max_outputs, kBB017);
    check_attributes(body, node, at, spec, kBB017);
  }

  void check_bb_op(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    const auto& spec = *ir::find_bb_op(node.domain(), node.op_type());
    const bool send = ir::is_send(node);
    if (send) check_send_destination(body, node, at);
    if (!send) check_count(body, node, at, "inputs", node.input_size(), spec.min_inputs, spec.max_inputs);
    check_count(body, node, at, "outputs", node.output_size(), spec.min_outputs, spec.max_outputs);
    if (spec.outputs_match_inputs && node.output_size() != node.input_size()) {
      diags_.report(kBB008, at,
                    node.op_type() + " forwards its inputs: it has " + std::to_string(node.input_size()) +
                        " inputs but " + std::to_string(node.output_size()) + " outputs" + body.where,
                    "give the gate one output per input");
    }
    check_attributes(body, node, at, spec);
    if (ir::is_send(node) || ir::is_tx_gate(node)) check_peer_attribute(body, node, at);
    if (node.op_type() == ir::kPeers) check_peer_list(body, node, at);
    if (ir::is_recv(node)) recv_counts_[ir::channel_of(node)].insert(node.output_size() - 1);
    if (send && node.input_size() > 0)
      sends_.push_back(SendUse{ir::channel_of(node), ir::send_payload_count(node), at});
  }

  void check_count(const Body& body, const onnx::NodeProto& node, const NodeLocation& at, std::string_view what,
                   int have, int min, int max, std::string_view code = kBB008) {
    if (have >= min && (max == ir::kVariadic || have <= max)) return;
    std::string range = max == ir::kVariadic ? "at least " + std::to_string(min)
                        : min == max         ? std::to_string(min)
                                             : std::to_string(min) + " to " + std::to_string(max);
    diags_.report(code, at,
                  node.op_type() + " takes " + range + " " + std::string(what) + ", this node has " +
                      std::to_string(have) + body.where,
                  code == kBB008 ? "see the op's arity in docs/ops.md" : "see the op's arity in the op manifest");
  }

  // The op table's (or the manifest's) declarations, checked by the one function bbrun's
  // loader runs too: required, type, range and choices, one-of groups, unknown names.
  void check_attributes(const Body& body, const onnx::NodeProto& node, const NodeLocation& at,
                        const ir::OpSpec& spec, std::string_view code = kBB008) {
    for (auto& problem : ir::check_node_attributes(spec, node)) {
      using Kind = ir::AttrProblem::Kind;
      if (problem.kind == Kind::kType && problem.attribute == ir::kAttrPeer) continue;  // BB011 owns the peer's checks
      if (problem.kind == Kind::kUnknown && code == kBB017) {
        diags_.report(kBB017, at,
                      "attribute " + in_quotes(problem.attribute) + " of " + node.op_type() +
                          " is not in the op manifest " + options_.ops->path() + body.where,
                      "remove the attribute, fix its name, or declare it in the manifest");
        continue;
      }
      if (problem.kind == Kind::kMissing && problem.attribute == ir::kAttrName)
        problem.hint += "; onnx.helper.make_node's name= sets the node's name, not this attribute: add it with "
                        "node.attribute.append(onnx.helper.make_attribute(\"name\", ...))";
      diags_.report(code, at, problem.message + body.where, problem.hint);
    }
  }

  void check_send_destination(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    if (node.input_size() == 0) {
      diags_.report(kBB010, at, "Send has no inputs: no payload and no destination" + body.where,
                    "pass the payload as input and add peer = \"id:<name>\", or pass a peer list as last input");
      return;
    }
    if (ir::find_attribute(node, ir::kAttrPeer) == nullptr && node.input_size() < 2) {
      diags_.report(kBB010, at,
                    "Send has no 'peer' attribute and one input: a dynamic Send needs the payloads, then the peer "
                    "list as last input" + body.where,
                    "add peer = \"id:<name>\", or pass a peer list (Peers, SamplePeers) as last input");
    }
  }

  void check_peer_attribute(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    const auto* attr = ir::find_attribute(node, ir::kAttrPeer);
    if (attr == nullptr) return;
    if (attr->type() != onnx::AttributeProto::STRING) {
      diags_.report(kBB011, at,
                    "peer attribute has type " + std::string(type_name(attr->type())) +
                        ", expected STRING (multihash bytes or a text form)" + body.where,
                    "write peer = \"id:<name>\" or the base58btc PeerId");
      return;
    }
    if (attr->s().empty()) {
      diags_.report(kBB011, at, "peer attribute is empty" + body.where,
                    "write peer = \"id:<name>\" or the base58btc PeerId");
      return;
    }
    auto peer = PeerId::from_attribute(attr->s());
    if (peer) return;
    diags_.report(kBB011, at,
                  "peer attribute \"" + printable(attr->s()) + "\" is not a valid multihash nor a valid text form (" +
                      std::string(describe(peer.error())) + ")" + body.where,
                  "write peer = \"id:<name>\" or the base58btc PeerId libp2p prints (12D3KooW…, Qm…)");
  }

  void check_peer_list(const Body& body, const onnx::NodeProto& node, const NodeLocation& at) {
    const auto* attr = ir::find_attribute(node, ir::kAttrPeers);
    if (attr == nullptr || attr->type() != onnx::AttributeProto::STRINGS) return;  // BB008
    for (int k = 0; k < attr->strings_size(); ++k) {
      const auto& entry = attr->strings(k);
      std::string_view problem;
      if (entry.empty()) {
        problem = "empty";
      } else if (auto peer = PeerId::from_attribute(entry); !peer) {
        problem = describe(peer.error());
      } else {
        continue;
      }
      diags_.report(kBB011, at,
                    "Peers entry " + std::to_string(k) + " \"" + printable(entry) +
                        "\" is not a valid multihash nor a valid text form (" + std::string(problem) + ")" +
                        body.where,
                    "write each peer as id:<name> or as the base58btc PeerId");
    }
  }

  // ---- channels (BB015) ----------------------------------------------------------------
  void check_channels() {
    for (const auto& send : sends_) {
      auto it = recv_counts_.find(send.channel);
      if (it == recv_counts_.end()) continue;  // the Recvs of this channel live in another program
      if (it->second.contains(send.payloads)) continue;
      std::vector<int> counts(it->second.begin(), it->second.end());
      std::sort(counts.begin(), counts.end());
      std::string list;
      for (int c : counts) list += (list.empty() ? "" : ", ") + std::to_string(c);
      diags_.report(kBB015, send.at,
                    "Send carries " + std::to_string(send.payloads) + " payload(s) on channel \"" +
                        printable(send.channel) + "\", but the Recvs of that channel take " + list +
                        bodies_[static_cast<std::size_t>(send.at.scope)].where,
                    "match the Send's payload count to a Recv of the channel (Recv outputs minus the sender), or "
                    "use another channel");
    }
  }

  const onnx::ModelProto& model_;
  const ValidateOptions& options_;
  DiagnosticEngine& diags_;
  std::vector<Body> bodies_;
  std::vector<ValueMap> scopes_;
  std::vector<char> holds_subgraphs_;  // per body: a subgraph's parent
  WireScan* scan_ = nullptr;
  bool scan_ok_ = false;
  absl::flat_hash_set<std::pair<std::string_view, std::string_view>> functions_;
  // Nodes per custom-domain op, across every graph of the model.
  absl::flat_hash_map<std::pair<std::string_view, std::string_view>, int> custom_ops_;
  bool source_;
  std::vector<SendUse> sends_;
  bool said_no_header_ = false;
  absl::flat_hash_map<std::string_view, absl::flat_hash_set<int>> recv_counts_;
};

}  // namespace

std::uint32_t WireScan::name_hash(std::string_view name) {
  return static_cast<std::uint32_t>(ir::StringHash{}(name));
}

void validate_compiled(const onnx::ModelProto& model, std::string_view path, DiagnosticEngine& diags,
                       bool every_gate) {
  const auto passport = ir::read_passport(model);
  if (!passport) {
    if (path.ends_with(".bb"))
      diags.report(kBB020, "a .bb file without a passport: it was not written by bbc compile",
                   "compile the source graph: bbc compile graph.onnx");
    return;
  }
  if (passport->compiled != ir::kPassportVersion) {
    diags.report(kBB020,
                 "passport version \"" + printable(passport->compiled) + "\" is unknown (this bbc reads " +
                     std::string(ir::kPassportVersion) + ")",
                 "recompile the source graph with this bbc");
    return;
  }
  const std::string digest = ir::graph_digest(model);
  if (passport->digest != digest) {
    diags.report(kBB020,
                 "graph_sha256 " + printable(passport->digest) + " does not match the graph (" + digest +
                     "): the graph was changed after compiling",
                 "recompile the source graph with bbc compile, and do not rewrite the .bb afterwards; the usual "
                 "culprit is onnx.checker.check_model(path, full_check=True), which writes inferred shapes back "
                 "into the file: check a copy, or call it on the loaded model");
  }
  // Every gate, whatever the passport's pass list says: the list is a label (--skip
  // leaves gates out, and a forged file can trim it), the chains are the structure.
  check_gate_contracts(model, every_gate ? GateSet::all() : GateSet::from_passes(passport->passes), diags);
}

void validate_structure(const onnx::ModelProto& model, DiagnosticEngine& diags) {
  const ValidateOptions options;
  // Between passes (--verify-each) the gates are bbc's own, passport or not.
  Validator(model, options, diags, /*source=*/false).run();
}

namespace {

bool validate(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags, WireScan* scan) {
  if (!model.has_graph()) {  // a 0-byte .onnx parses as an empty ModelProto
    diags.report(kBB001, "the model has no graph: the file is empty or holds no program",
                 "check that this is the model you meant (an export that failed can leave an empty file)");
    return false;
  }
  validate_compiled(model, options.path, diags, options.every_gate);
  Validator validator(model, options, diags, /*source=*/!ir::read_passport(model).has_value());
  validator.scan_into(scan);
  validator.run();
  validator.report_custom_ops();
  return validator.scanned();
}

}  // namespace

bool validate_verbatim(onnx::ModelProto& model, VerbatimNodes& verbatim, const ValidateOptions& options,
                       DiagnosticEngine& diags, WireScan& scan) {
  scan = WireScan{};
  if (!model.has_graph() || ir::read_passport(model)) return false;  // a compiled model's gates are checked whole
  validate_compiled(model, options.path, diags, options.every_gate);
  Validator validator(model, options, diags, /*source=*/true);
  validator.scan_into(&scan);
  if (!validator.walk_verbatim(verbatim, model.GetArena(), verbatim.limits())) return false;
  validator.run_after_verbatim_walk();
  validator.report_custom_ops();
  return true;
}

void validate_model(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags) {
  (void)validate(model, options, diags, nullptr);
}

bool validate_and_scan(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags,
                       WireScan& scan) {
  scan = WireScan{};
  if (validate(model, options, diags, &scan)) return true;
  scan = WireScan{};
  return false;
}

}  // namespace bb::compiler
