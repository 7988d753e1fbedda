// The deployment file of `bbrun --sim` (SPEC Appendix A): which nodes run which
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
#include "bb/sim/network.h"

namespace bb::sim {

struct DeploymentError {
  enum class Kind : std::uint8_t {
    kIo,            // the file cannot be read
    kSyntax,        // not valid TOML
    kUnknownKey,    // a key or section the format does not have
    kMissingKey,    // a required key is absent (node.peer, node.graph, fault.at, …; no [[node]])
    kWrongType,     // e.g. a number where a duration string belongs
    kBadDuration,   // a string that is not a duration ("5 sec")
    kBadPeer,       // not a peer text form (`id:<name>` or base58btc)
    kOutOfRange,    // a probability outside [0, 1], a negative seed, a zero period, …
    kBadValue,      // a word outside its set (jitter, fault kind), an empty list
    kDuplicatePeer, // two [[node]] entries with the same peer
    kUnknownPeer,   // a fault names a peer that is not a [[node]]
  };
  Kind kind = Kind::kIo;
  std::string file;
  std::uint32_t line = 0;  // 1-based; 0 when the error has no line (I/O)
  std::string key;         // dotted path, e.g. "network.loss", "node[1].peer", "fault[0].for"
  std::string message;
};
// Stable labels: "io", "syntax", "unknown_key", "missing_key", "wrong_type",
// "bad_duration", "bad_peer", "out_of_range", "bad_value", "duplicate_peer", "unknown_peer".
std::string_view to_string(DeploymentError::Kind kind);
// "deploy.toml:12: network.loss: probability 1.5 is outside [0, 1]".
std::string describe(const DeploymentError& error);

struct NodeSpec {
  PeerId peer;
  std::filesystem::path graph;  // resolved against the deployment file's folder
  std::uint32_t line = 0;       // of the [[node]] header, for errors about the graph
};

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

  // [backoff], [governor], [dedup], [send]: read by the same reader as `bbrun --config`
  // (bb/runtime/settings_toml.h); `bbrun --sim` applies the state flags on top.
  runtime::SettingsOverlay settings;

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
