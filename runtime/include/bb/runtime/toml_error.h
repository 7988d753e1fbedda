// The error of a TOML file bb reads: the `bbrun --config` file (bb/runtime/config.h)
// and the deployment file of `bbrun --sim` (bb/sim/deployment.h). One kind set with
// stable labels, the file, the line and the dotted key; read by bb/runtime/toml_reader.h.
// This header needs no toml++.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::runtime {

struct TomlError {
  enum class Kind : std::uint8_t {
    kIo,            // the file cannot be read
    kSyntax,        // not valid TOML
    kUnknownKey,    // a key or section the format does not have
    kMissingKey,    // a required key is absent (node.peer, node.graph, fault.at, …; no [[node]])
    kWrongType,     // e.g. a number where a duration string belongs
    kBadDuration,   // a string that is not a duration ("5 sec")
    kBadPeer,       // not a peer text form (`id:<name>` or base58btc)
    kOutOfRange,    // a zero duration or threshold, a cap below the base, a probability outside [0, 1], …
    kBadValue,      // a word outside its set (jitter, fault kind), an empty list
    kDuplicatePeer, // two [[node]] entries with the same peer
    kUnknownPeer,   // a fault names a peer that is not a [[node]]
  };
  Kind kind = Kind::kIo;
  std::string file;
  std::uint32_t line = 0;  // 1-based; 0 when the error has no line (I/O, a missing section)
  std::string key;         // dotted, e.g. "backoff.base", "governor.allowlist[1]", "node[1].peer"
  std::string message;
};
// Stable labels: "io", "syntax", "unknown_key", "missing_key", "wrong_type",
// "bad_duration", "bad_peer", "out_of_range", "bad_value", "duplicate_peer", "unknown_peer".
std::string_view to_string(TomlError::Kind kind);
// "deploy.toml:12: network.loss: probability 1.5 is outside [0, 1]"; the line and the
// key are left out when the error has none.
std::string describe(const TomlError& error);

}  // namespace bb::runtime
