// The settings of a node's framework state (docs/runtime.md): `bbrun` state flags, the
// `--config` TOML file, and the matching sections of a deployment file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"

namespace bb::runtime {

inline constexpr std::int64_t kMillisecond = 1'000'000;
inline constexpr std::int64_t kSecond = 1'000'000'000;

enum class Jitter : std::uint8_t { kNone, kFull, kEqual, kDecorrelated };
// "none", "full", "equal", "decorrelated".
std::string_view to_string(Jitter jitter);
std::optional<Jitter> jitter_from_string(std::string_view text);

struct BackoffSettings {
  std::int64_t base_ns = 10 * kMillisecond;
  std::int64_t cap_ns = 60 * kSecond;
  Jitter jitter = Jitter::kNone;
  std::int64_t ttl_ns = 600 * kSecond;  // idle entries are swept after this
  std::size_t max_peers = 1'000'000;    // beyond it the oldest idle entry is evicted
};

struct GovernorSettings {
  std::uint32_t threshold = 5;  // consecutive failures before a peer is `down`
  std::vector<PeerId> blocklist;
  std::vector<PeerId> allowlist;  // empty: no allowlist
};

struct DedupSettings {
  std::size_t window = 8192;
  std::int64_t ttl_ns = 120 * kSecond;
};

struct SendSettings {
  std::int64_t timeout_ns = 1 * kSecond;  // used by transports when a Send has no deadline_ns
};

struct NodeSettings {
  BackoffSettings backoff;
  GovernorSettings governor;
  DedupSettings dedup;
  SendSettings send;
};

// One layer of settings over the defaults: what a `--config` file, a deployment's
// [backoff]/[governor]/[dedup]/[send] sections or the `bbrun` state flags set
// (std::nullopt: keep the value below). Read from TOML by `read_settings_overlay`
// (bb/runtime/settings_toml.h); the flags fill one in tools/bbrun/main.cc.
struct SettingsOverlay {
  std::optional<std::int64_t> backoff_base_ns;
  std::optional<std::int64_t> backoff_cap_ns;
  std::optional<Jitter> backoff_jitter;
  std::optional<std::uint32_t> governor_threshold;
  std::optional<std::vector<PeerId>> blocklist;
  std::optional<std::vector<PeerId>> allowlist;
  std::optional<std::size_t> dedup_window;
  std::optional<std::int64_t> dedup_ttl_ns;
  std::optional<std::int64_t> send_timeout_ns;
};

// Writes every value the overlay sets over `settings`.
void apply_overlay(const SettingsOverlay& overlay, NodeSettings& settings);
// What no single layer can check: after all layers, the backoff cap must not be below
// the base ("backoff cap 5ms is below the base 10ms").
Expected<void, std::string> check_settings(const NodeSettings& settings);

}  // namespace bb::runtime
