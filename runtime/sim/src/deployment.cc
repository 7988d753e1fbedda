#include "bb/sim/deployment.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "bb/runtime/settings_toml.h"
#include "bb/runtime/toml_reader.h"

namespace bb::sim {
namespace {

using Kind = DeploymentError::Kind;

using runtime::line_of;
using Reader = runtime::TomlReader;

constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

// A number (float or integer) in [0, 1].
bool probability(Reader& r, const toml::node& node, const std::string& key, double& out) {
  double p = 0;
  if (const auto* f = node.as_floating_point()) {
    p = f->get();
  } else if (const auto* i = node.as_integer()) {
    p = static_cast<double>(i->get());
  } else {
    return r.wrong_type(node, key, "a probability (a number in [0, 1])");
  }
  if (!(p >= 0.0 && p <= 1.0)) {
    std::ostringstream text;
    text << "probability " << p << " is outside [0, 1]";
    return r.fail(Kind::kOutOfRange, line_of(node), key, text.str());
  }
  out = p;
  return true;
}

bool read_run(Reader& r, const toml::table& root, Deployment& d) {
  const toml::table* run = r.section(root, "run", {"duration", "seed"});
  if (run == nullptr) return r.ok();
  if (!r.positive_duration(*run, "duration", "run.", d.duration_ns)) return false;
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

bool read_transport(Reader& r, const toml::table& root, Deployment& d) {
  const toml::table* t = r.section(root, "transport", {"security"});
  if (t == nullptr) return r.ok();
  const toml::node* security = t->get("security");
  if (security == nullptr) return true;
  const std::string* text = r.string(*security, "transport.security");
  if (text == nullptr) return false;
  if (*text != kSecurityTls && *text != kSecurityInsecure)
    return r.fail(Kind::kBadValue, line_of(*security), "transport.security",
                  "'" + *text + "' is not a security mode (use \"tls\" or \"insecure\")");
  d.security = *text;
  d.security_line = line_of(*security);
  return true;
}

bool read_network(Reader& r, const toml::table& root, Deployment& d) {
  const toml::table* net = r.section(root, "network", {"latency", "loss", "duplicate", "max_in_flight"});
  if (net == nullptr) return r.ok();
  if (const toml::node* latency = net->get("latency"); latency != nullptr && !read_latency(r, *latency, d.latency)) {
    return false;
  }
  if (const toml::node* loss = net->get("loss"); loss != nullptr && !probability(r, *loss, "network.loss", d.loss)) {
    return false;
  }
  if (const toml::node* dup = net->get("duplicate"); dup != nullptr && !probability(r, *dup, "network.duplicate", d.duplicate)) {
    return false;
  }
  if (const toml::node* cap = net->get("max_in_flight")) {
    std::int64_t value = 0;
    if (!r.integer(*cap, "network.max_in_flight", 1, kMaxInFlightLimit, value)) return false;
    d.max_in_flight = static_cast<std::uint32_t>(value);
  }
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

// A path relative to the deployment file's folder.
std::filesystem::path resolve(const std::filesystem::path& folder, const std::string& path) {
  const std::filesystem::path relative(path);
  return relative.is_absolute() ? relative : (folder / relative).lexically_normal();
}

// inputs = { NAME = "FILE.pb", ... }: graph inputs fed from TensorProto files.
bool read_inputs(Reader& r, const toml::node& node, const std::string& key, const std::filesystem::path& folder,
                 std::vector<NodeInput>& out) {
  const auto* table = node.as_table();
  if (table == nullptr) return r.wrong_type(node, key, "a table of graph input names to .pb files", "write inputs = { x = \"x.pb\" }");
  for (const auto& [name, value] : *table) {
    const std::string item = key + "." + std::string(name.str());
    const std::string* path = r.string(value, item, "a path string (a TensorProto .pb file)");
    if (path == nullptr) return false;
    if (path->empty()) return r.fail(Kind::kBadValue, line_of(value), item, "empty path");
    out.push_back(NodeInput{std::string(name.str()), resolve(folder, *path), line_of(value)});
  }
  std::sort(out.begin(), out.end(), [](const NodeInput& a, const NodeInput& b) { return a.name < b.name; });
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
    if (!r.only_keys(table, prefix, {"peer", "graph", "address", "key", "inputs", "plugins"})) return false;
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
    const std::string* path = r.string(*graph, prefix + "graph", "a path string");
    if (path == nullptr) return false;
    if (path->empty()) return r.fail(Kind::kBadValue, line_of(*graph), prefix + "graph", "empty path");
    spec.graph = resolve(folder, *path);
    if (const toml::node* address = table.get("address"); address && !r.host_port(*address, prefix + "address", spec.address))
      return false;
    if (const toml::node* key = table.get("key")) {
      const std::string* text = r.string(*key, prefix + "key", "a path string");
      if (text == nullptr) return false;
      if (text->empty()) return r.fail(Kind::kBadValue, line_of(*key), prefix + "key", "empty path");
      const std::filesystem::path key_path(*text);
      spec.key = key_path.is_absolute() ? key_path : (folder / key_path).lexically_normal();
    }
    if (const toml::node* inputs = table.get("inputs");
        inputs != nullptr && !read_inputs(r, *inputs, prefix + "inputs", folder, spec.inputs))
      return false;
    if (const toml::node* plugins = table.get("plugins")) {
      const toml::array* list = plugins->as_array();
      if (list == nullptr) return r.wrong_type(*plugins, prefix + "plugins", "an array of paths", "plugins = [\"libmyops.so\"]");
      for (std::size_t k = 0; k < list->size(); ++k) {
        const std::string key = prefix + "plugins[" + std::to_string(k) + "]";
        const std::string* lib = r.string(*list->get(k), key, "a path string");
        if (lib == nullptr) return false;
        if (lib->empty()) return r.fail(Kind::kBadValue, line_of(*list->get(k)), key, "empty path");
        const std::filesystem::path rel(*lib);
        spec.plugins.push_back(rel.is_absolute() ? rel : (folder / rel).lexically_normal());
      }
    }
    d.nodes.push_back(std::move(spec));
  }
  return true;
}

bool read_fault_peers(Reader& r, const toml::node& node, const std::string& key, const Deployment& d,
                      std::vector<PeerId>& out) {
  if (!r.peers(node, key, out)) return false;
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
    const std::string* kind_text = r.string(*kind, prefix + "kind");
    if (kind_text == nullptr) return false;
    if (*kind_text == to_string(FaultKind::kCrash)) {
      fault.kind = FaultKind::kCrash;
    } else if (*kind_text == to_string(FaultKind::kPartition)) {
      fault.kind = FaultKind::kPartition;
    } else {
      return r.fail(Kind::kBadValue, line_of(*kind), prefix + "kind",
                    "'" + *kind_text + "' is not a fault kind (crash, partition)");
    }
    if (!read_fault_peers(r, *peers, prefix + "peers", d, fault.peers)) return false;
    if (!r.positive_duration(table, "for", prefix, fault.for_ns)) return false;
    d.faults.push_back(std::move(fault));
  }
  return true;
}

Expected<Deployment, DeploymentError> read_document(Reader& r, const toml::table& root,
                                                    const std::filesystem::path& path) {
  Deployment d;
  d.file = path;
  const bool ok = r.only_keys(root, "",
                              {"run", "network", "transport", "backoff", "governor", "dedup", "send", "node", "fault"}) &&
                  read_run(r, root, d) && read_network(r, root, d) && read_transport(r, root, d) &&
                  runtime::read_settings_overlay(r, root, d.settings) && read_nodes(r, root, path.parent_path(), d) &&
                  read_faults(r, root, d);
  if (!ok) return unexpected(r.take_error());
  return d;
}

}  // namespace

NetworkConfig Deployment::network_config() const {
  NetworkConfig config;
  config.seed = seed.value_or(0);
  config.latency = latency;
  config.loss = loss;
  config.duplicate = duplicate;
  if (settings.send_timeout_ns) config.send_timeout_ns = *settings.send_timeout_ns;
  if (max_in_flight) config.max_in_flight = *max_in_flight;
  return config;
}

Expected<Deployment, DeploymentError> parse_deployment(std::string_view text, const std::filesystem::path& path) {
  auto root = runtime::parse_toml(text, path.string());
  if (!root) return unexpected(std::move(root.error()));
  Reader reader(path.string());
  return read_document(reader, *root, path);
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
