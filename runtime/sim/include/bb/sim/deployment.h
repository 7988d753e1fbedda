// The deployment file of `bbrun --sim` (docs/simulation.md): which nodes run which
// graph, the network model, the faults, and the framework-state sections shared with
// `bbrun --config`. Every field is documented in docs/simulation.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/settings.h"
#include "bb/runtime/toml_error.h"
#include "bb/runtime/transport.h"
#include "bb/sim/network.h"

namespace bb::sim {

// The error of every TOML file of bb (bb/runtime/toml_error.h): kind (with stable
// labels, `to_string`), file, line, dotted key such as "network.loss", "node[1].peer" or
// "fault[0].for", and message. `describe` words it as
// "deploy.toml:12: network.loss: probability 1.5 is outside [0, 1]".
using DeploymentError = runtime::TomlError;
using runtime::describe;
using runtime::to_string;

// A graph input fed from a TensorProto file: `inputs = { x = "data/x.pb" }`.
struct NodeInput {
  std::string name;
  std::filesystem::path file;  // resolved against the deployment file's folder
  std::uint32_t line = 0;      // for errors about the file or the name
};

struct NodeSpec {
  PeerId peer;
  std::filesystem::path graph;  // resolved against the deployment file's folder
  // `plugins = ["lib.so", ...]`: kernel plugins the node's graph needs, resolved like
  // graph. Kernels are process-wide: a simulation loads the plugins of every node.
  std::vector<std::filesystem::path> plugins;
  std::uint32_t line = 0;       // of the [[node]] header, for errors about the graph
  // For `bbrun --deploy … --node PEER` (a real network; --sim ignores them):
  std::string address;          // host:port where the node listens; empty when not given
  std::filesystem::path key;    // its key file (TLS), resolved like `graph`; empty when not given
  std::vector<NodeInput> inputs;  // sorted by name
};

// [transport] of a real-network deployment: runtime::kSecurityTls (the default) or kSecurityInsecure.
using runtime::kSecurityInsecure;
using runtime::kSecurityTls;

// What the file says. The framework-state sections keep only what the file sets
// (std::nullopt otherwise): flags override them and defaults fill the rest.
struct Deployment {
  std::filesystem::path file;

  // [run]
  std::optional<std::int64_t> duration_ns;
  std::optional<std::uint64_t> seed;

  // [network] (defaults: 5ms fixed latency, no loss, no duplication)
  Latency latency;
  double loss = 0.0;
  double duplicate = 0.0;
  std::optional<std::uint32_t> max_in_flight;  // 1 to kMaxInFlightLimit

  // [backoff], [governor], [dedup], [send]: read by the same reader as `bbrun --config`
  // (bb/runtime/settings_toml.h); `bbrun --sim` applies the state flags on top.
  runtime::SettingsOverlay settings;

  // [transport] (`bbrun --deploy`; --sim ignores it)
  std::string security = std::string(kSecurityTls);
  std::uint32_t security_line = 0;  // of the key, 0 when absent

  std::vector<NodeSpec> nodes;  // in file order
  std::vector<Fault> faults;    // in file order

  // The network model of this file: seed (default 0), latency, loss, duplication and
  // the send timeout (default 1s).
  NetworkConfig network_config() const;
};

// Reads and checks a deployment file. Relative graph paths are resolved against the
// file's folder; graphs are not opened here (NodeSpec::line lets the loader of a graph
// point back at its [[node]]).
Expected<Deployment, DeploymentError> load_deployment(const std::filesystem::path& path);
// The same on text already in memory; `path` names the file in errors and anchors
// relative graph paths.
Expected<Deployment, DeploymentError> parse_deployment(std::string_view text, const std::filesystem::path& path);

}  // namespace bb::sim
