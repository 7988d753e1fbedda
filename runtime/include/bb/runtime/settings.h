// The settings of a node's framework state (SPEC §5.3): `bbrun` state flags, the
// `--config` TOML file, and the matching sections of a deployment file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

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

}  // namespace bb::runtime
