#include "bb/sim/deployment.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "bb/ir/duration.h"
#include "bb/runtime/settings_toml.h"

namespace bb::sim {
namespace {

using Kind = DeploymentError::Kind;

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

// Walks the document; the first error wins and stops the walk.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::optional<DeploymentError>& error() { return error_; }

  bool fail(Kind kind, std::uint32_t line, std::string key, std::string message) {
    if (!error_) error_ = DeploymentError{kind, file_, line, std::move(key), std::move(message)};
    return false;
  }

  // Refuses keys outside `allowed`, reporting the one that appears first in the file.
  bool only_keys(const toml::table& table, const std::string& prefix, std::initializer_list<std::string_view> allowed) {
    auto unknown = runtime::find_unknown_key(table, prefix, allowed, file_);
    if (!unknown) return true;
    return fail(Kind::kUnknownKey, unknown->line, std::move(unknown->key), std::move(unknown->message));
  }

  // A sub-table such as [network]; absent is fine.
  bool section(const toml::table& root, std::string_view name, const toml::table*& out) {
    out = nullptr;
    const toml::node* node = root.get(name);
    if (node == nullptr) return true;
    out = node->as_table();
    if (out == nullptr) return wrong_type(*node, std::string(name), "a table");
    return true;
  }

  bool wrong_type(const toml::node& node, std::string key, std::string_view expected, std::string_view hint = {}) {
    std::string message = "expected " + std::string(expected) + ", found " + std::string(runtime::toml_type_name(node.type()));
    if (!hint.empty()) message += " (" + std::string(hint) + ")";
    return fail(Kind::kWrongType, line_of(node), std::move(key), std::move(message));
  }

  bool duration(const toml::node& node, const std::string& key, std::int64_t& out) {
    const auto* text = node.as_string();
    if (text == nullptr) return wrong_type(node, key, "a duration string", "write e.g. \"5ms\"");
    auto parsed = parse_duration(text->get());
    if (!parsed) {
      return fail(Kind::kBadDuration, line_of(node), key,
                  "'" + text->get() + "' is not a duration: " + parsed.error() + " (units: ns, us, ms, s, m, h)");
    }
    out = *parsed;
    return true;
  }

  bool optional_duration(const toml::table& table, std::string_view name, const std::string& prefix,
                         std::optional<std::int64_t>& out, bool positive) {
    const toml::node* node = table.get(name);
    if (node == nullptr) return true;
    const std::string key = prefix + std::string(name);
    std::int64_t ns = 0;
    if (!duration(*node, key, ns)) return false;
    if (positive && ns <= 0) return fail(Kind::kOutOfRange, line_of(*node), key, "must be longer than 0");
    out = ns;
    return true;
  }

  bool integer(const toml::node& node, const std::string& key, std::int64_t min, std::int64_t max,
               std::int64_t& out) {
    const auto* value = node.as_integer();
    if (value == nullptr) return wrong_type(node, key, "an integer");
    if (value->get() < min || value->get() > max) {
      return fail(Kind::kOutOfRange, line_of(node), key,
                  std::to_string(value->get()) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) +
                      "]");
    }
    out = value->get();
    return true;
  }

  bool probability(const toml::node& node, const std::string& key, double& out) {
    double p = 0;
    if (const auto* f = node.as_floating_point()) {
      p = f->get();
    } else if (const auto* i = node.as_integer()) {
      p = static_cast<double>(i->get());
    } else {
      return wrong_type(node, key, "a probability (a number in [0, 1])");
    }
    if (!(p >= 0.0 && p <= 1.0)) {
      std::ostringstream text;
      text << "probability " << p << " is outside [0, 1]";
      return fail(Kind::kOutOfRange, line_of(node), key, text.str());
    }
    out = p;
    return true;
  }

  bool peer(const toml::node& node, const std::string& key, PeerId& out) {
    const auto* text = node.as_string();
    if (text == nullptr) return wrong_type(node, key, "a peer string", "write e.g. \"id:alice\"");
    auto parsed = PeerId::from_text(text->get());
    if (!parsed) {
      return fail(Kind::kBadPeer, line_of(node), key,
                  "'" + text->get() + "' is not a peer (" + std::string(describe(parsed.error())) +
                      "; write id:<name> or a base58btc PeerId)");
    }
    out = *parsed;
    return true;
  }

  bool peer_list(const toml::node& node, const std::string& key, std::vector<PeerId>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) return wrong_type(node, key, "an array of peer strings");
    for (std::size_t i = 0; i < array->size(); ++i) {
      PeerId p;
      if (!peer(*array->get(i), key + "[" + std::to_string(i) + "]", p)) return false;
      out.push_back(std::move(p));
    }
    return true;
  }

 private:
  std::string file_;
  std::optional<DeploymentError> error_;
};

bool read_run(Reader& r, const toml::table& root, Deployment& d) {
  const toml::table* run = nullptr;
  if (!r.section(root, "run", run) || run == nullptr) return run == nullptr && !r.error();
  if (!r.only_keys(*run, "run.", {"duration", "seed"})) return false;
  if (!r.optional_duration(*run, "duration", "run.", d.duration_ns, true)) return false;
  if (const toml::node* seed = run->get("seed")) {
    std::int64_t value = 0;
    if (!r.integer(*seed, "run.seed", 0, std::numeric_limits<std::int64_t>::max(), value)) return false;
    d.seed = static_cast<std::uint64_t>(value);
  }
  return true;
}

bool read_latency(Reader& r, const toml::node& node, Latency& out) {
  const std::string key = "network.latency";
  if (node.is_string()) {
    std::int64_t ns = 0;
    if (!r.duration(node, key, ns)) return false;
    out = Latency::fixed(ns);
    return true;
  }
  const auto* table = node.as_table();
  if (table == nullptr) return r.wrong_type(node, key, "a duration string or { uniform = [lo, hi] }");
  if (!r.only_keys(*table, key + ".", {"uniform"})) return false;
  const toml::node* uniform = table->get("uniform");
  if (uniform == nullptr) return r.fail(Kind::kMissingKey, line_of(node), key + ".uniform", "missing: write { uniform = [\"1ms\", \"9ms\"] }");
  const auto* bounds = uniform->as_array();
  if (bounds == nullptr || bounds->size() != 2) {
    return r.wrong_type(*uniform, key + ".uniform", "an array of two durations [lo, hi]");
  }
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  if (!r.duration(*bounds->get(0), key + ".uniform[0]", lo) || !r.duration(*bounds->get(1), key + ".uniform[1]", hi)) {
    return false;
  }
  if (lo > hi) return r.fail(Kind::kOutOfRange, line_of(*uniform), key + ".uniform", "lower bound above upper bound");
  out = Latency::uniform(lo, hi);
  return true;
}

bool read_network(Reader& r, const toml::table& root, Deployment& d) {
  const toml::table* net = nullptr;
  if (!r.section(root, "network", net) || net == nullptr) return net == nullptr && !r.error();
  if (!r.only_keys(*net, "network.", {"latency", "loss", "duplicate"})) return false;
  if (const toml::node* latency = net->get("latency"); latency != nullptr && !read_latency(r, *latency, d.latency)) {
    return false;
  }
  if (const toml::node* loss = net->get("loss"); loss != nullptr && !r.probability(*loss, "network.loss", d.loss)) {
    return false;
  }
  if (const toml::node* dup = net->get("duplicate"); dup != nullptr && !r.probability(*dup, "network.duplicate", d.duplicate)) {
    return false;
  }
  return true;
}

// [backoff], [governor], [dedup], [send]: the reader shared with `bbrun --config`.
Kind kind_of(runtime::SettingsError::Kind kind) {
  using S = runtime::SettingsError::Kind;
  switch (kind) {
    case S::kUnknownKey: return Kind::kUnknownKey;
    case S::kWrongType: return Kind::kWrongType;
    case S::kBadDuration: return Kind::kBadDuration;
    case S::kBadPeer: return Kind::kBadPeer;
    case S::kOutOfRange: return Kind::kOutOfRange;
    case S::kBadValue: return Kind::kBadValue;
  }
  return Kind::kBadValue;
}

bool read_settings(Reader& r, const toml::table& root, const std::string& file, Deployment& d) {
  auto overlay = runtime::read_settings_overlay(root, file);
  if (!overlay) {
    runtime::SettingsError& e = overlay.error();
    return r.fail(kind_of(e.kind), e.line, std::move(e.key), std::move(e.message));
  }
  d.settings = std::move(*overlay);
  return true;
}

// [[name]]: an array of tables. Absent gives an empty list.
bool table_array(Reader& r, const toml::table& root, std::string_view name, const toml::array*& out) {
  out = nullptr;
  const toml::node* node = root.get(name);
  if (node == nullptr) return true;
  out = node->as_array();
  if (out == nullptr || !out->is_array_of_tables()) {
    return r.wrong_type(*node, std::string(name), "an array of tables", "write [[" + std::string(name) + "]] sections");
  }
  return true;
}

bool read_nodes(Reader& r, const toml::table& root, const std::filesystem::path& folder, Deployment& d) {
  const toml::array* nodes = nullptr;
  if (!table_array(r, root, "node", nodes)) return false;
  if (nodes == nullptr || nodes->empty()) {
    return r.fail(Kind::kMissingKey, 0, "node", "no [[node]] section: a deployment runs at least one node");
  }
  std::set<PeerId> seen;
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const toml::table& table = *nodes->get(i)->as_table();
    const std::string prefix = "node[" + std::to_string(i) + "].";
    const std::uint32_t line = line_of(table);
    if (!r.only_keys(table, prefix, {"peer", "graph"})) return false;
    const toml::node* peer = table.get("peer");
    const toml::node* graph = table.get("graph");
    if (peer == nullptr) return r.fail(Kind::kMissingKey, line, prefix + "peer", "missing: every [[node]] names its peer");
    if (graph == nullptr) return r.fail(Kind::kMissingKey, line, prefix + "graph", "missing: every [[node]] names its .bb graph");
    NodeSpec spec;
    spec.line = line;
    if (!r.peer(*peer, prefix + "peer", spec.peer)) return false;
    if (!seen.insert(spec.peer).second) {
      return r.fail(Kind::kDuplicatePeer, line_of(*peer), prefix + "peer",
                    "peer " + spec.peer.to_text() + " is already a [[node]]");
    }
    const auto* path = graph->as_string();
    if (path == nullptr) return r.wrong_type(*graph, prefix + "graph", "a path string");
    if (path->get().empty()) return r.fail(Kind::kBadValue, line_of(*graph), prefix + "graph", "empty path");
    const std::filesystem::path relative(path->get());
    spec.graph = relative.is_absolute() ? relative : (folder / relative).lexically_normal();
    d.nodes.push_back(std::move(spec));
  }
  return true;
}

bool read_fault_peers(Reader& r, const toml::node& node, const std::string& key, const Deployment& d,
                      std::vector<PeerId>& out) {
  if (!r.peer_list(node, key, out)) return false;
  if (out.empty()) return r.fail(Kind::kBadValue, line_of(node), key, "a fault names at least one peer");
  const auto& array = *node.as_array();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool known = std::any_of(d.nodes.begin(), d.nodes.end(), [&](const NodeSpec& n) { return n.peer == out[i]; });
    if (!known) {
      return r.fail(Kind::kUnknownPeer, line_of(*array.get(i)), key + "[" + std::to_string(i) + "]",
                    "peer " + out[i].to_text() + " is not a [[node]] of this deployment");
    }
  }
  return true;
}

bool read_faults(Reader& r, const toml::table& root, Deployment& d) {
  const toml::array* faults = nullptr;
  if (!table_array(r, root, "fault", faults)) return false;
  if (faults == nullptr) return true;
  for (std::size_t i = 0; i < faults->size(); ++i) {
    const toml::table& table = *faults->get(i)->as_table();
    const std::string prefix = "fault[" + std::to_string(i) + "].";
    const std::uint32_t line = line_of(table);
    if (!r.only_keys(table, prefix, {"at", "kind", "peers", "for"})) return false;
    Fault fault;
    const toml::node* at = table.get("at");
    const toml::node* kind = table.get("kind");
    const toml::node* peers = table.get("peers");
    if (at == nullptr) return r.fail(Kind::kMissingKey, line, prefix + "at", "missing: when the fault starts");
    if (kind == nullptr) return r.fail(Kind::kMissingKey, line, prefix + "kind", "missing: crash or partition");
    if (peers == nullptr) return r.fail(Kind::kMissingKey, line, prefix + "peers", "missing: the peers it affects");
    if (!r.duration(*at, prefix + "at", fault.at_ns)) return false;
    const auto* kind_text = kind->as_string();
    if (kind_text == nullptr) return r.wrong_type(*kind, prefix + "kind", "a string");
    if (kind_text->get() == to_string(FaultKind::kCrash)) {
      fault.kind = FaultKind::kCrash;
    } else if (kind_text->get() == to_string(FaultKind::kPartition)) {
      fault.kind = FaultKind::kPartition;
    } else {
      return r.fail(Kind::kBadValue, line_of(*kind), prefix + "kind",
                    "'" + kind_text->get() + "' is not a fault kind (crash, partition)");
    }
    if (!read_fault_peers(r, *peers, prefix + "peers", d, fault.peers)) return false;
    if (!r.optional_duration(table, "for", prefix, fault.for_ns, true)) return false;
    d.faults.push_back(std::move(fault));
  }
  return true;
}

Expected<Deployment, DeploymentError> read_document(Reader& r, const toml::table& root,
                                                    const std::filesystem::path& path) {
  Deployment d;
  d.file = path;
  const bool ok = r.only_keys(root, "", {"run", "network", "backoff", "governor", "dedup", "send", "node", "fault"}) &&
                  read_run(r, root, d) && read_network(r, root, d) && read_settings(r, root, path.string(), d) &&
                  read_nodes(r, root, path.parent_path(), d) && read_faults(r, root, d);
  if (!ok) return unexpected(std::move(*r.error()));
  return d;
}

}  // namespace

std::string_view to_string(DeploymentError::Kind kind) {
  switch (kind) {
    case Kind::kIo: return "io";
    case Kind::kSyntax: return "syntax";
    case Kind::kUnknownKey: return "unknown_key";
    case Kind::kMissingKey: return "missing_key";
    case Kind::kWrongType: return "wrong_type";
    case Kind::kBadDuration: return "bad_duration";
    case Kind::kBadPeer: return "bad_peer";
    case Kind::kOutOfRange: return "out_of_range";
    case Kind::kBadValue: return "bad_value";
    case Kind::kDuplicatePeer: return "duplicate_peer";
    case Kind::kUnknownPeer: return "unknown_peer";
  }
  return "unknown";
}

std::string describe(const DeploymentError& error) {
  std::string text = error.file;
  if (error.line > 0) text += ":" + std::to_string(error.line);
  text += ": ";
  if (!error.key.empty()) text += error.key + ": ";
  return text + error.message;
}

NetworkConfig Deployment::network_config() const {
  NetworkConfig config;
  config.seed = seed.value_or(0);
  config.latency = latency;
  config.loss = loss;
  config.duplicate = duplicate;
  if (settings.send_timeout_ns) config.send_timeout_ns = *settings.send_timeout_ns;
  return config;
}

Expected<Deployment, DeploymentError> parse_deployment(std::string_view text, const std::filesystem::path& path) {
  Reader reader(path.string());
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    return unexpected(DeploymentError{Kind::kSyntax, path.string(), e.source().begin.line, "",
                                      "not valid TOML: " + std::string(e.description())});
  }
  return read_document(reader, root, path);
}

Expected<Deployment, DeploymentError> load_deployment(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return unexpected(DeploymentError{Kind::kIo, path.string(), 0, "", "cannot read: " + ec.message()});
  if (size > kMaxFileBytes) {
    return unexpected(DeploymentError{Kind::kIo, path.string(), 0, "",
                                      "file of " + std::to_string(size) + " bytes is too large for a deployment"});
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return unexpected(DeploymentError{Kind::kIo, path.string(), 0, "", "cannot read the file"});
  return parse_deployment(bytes.str(), path);
}

}  // namespace bb::sim
