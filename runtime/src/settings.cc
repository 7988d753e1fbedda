#include "bb/runtime/settings.h"

#include <array>

#include "bb/ir/duration.h"

namespace bb::runtime {
namespace {
constexpr std::array<std::string_view, 4> kJitterNames{"none", "full", "equal", "decorrelated"};
}

std::string_view to_string(Jitter jitter) { return kJitterNames[static_cast<std::size_t>(jitter)]; }

std::optional<Jitter> jitter_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kJitterNames.size(); ++i)
    if (kJitterNames[i] == text) return static_cast<Jitter>(i);
  return std::nullopt;
}

void apply_overlay(const SettingsOverlay& o, NodeSettings& s) {
  if (o.backoff_base_ns) s.backoff.base_ns = *o.backoff_base_ns;
  if (o.backoff_cap_ns) s.backoff.cap_ns = *o.backoff_cap_ns;
  if (o.backoff_jitter) s.backoff.jitter = *o.backoff_jitter;
  if (o.governor_threshold) s.governor.threshold = *o.governor_threshold;
  if (o.blocklist) s.governor.blocklist = *o.blocklist;
  if (o.allowlist) s.governor.allowlist = *o.allowlist;
  if (o.dedup_window) s.dedup.window = *o.dedup_window;
  if (o.dedup_ttl_ns) s.dedup.ttl_ns = *o.dedup_ttl_ns;
  if (o.send_timeout_ns) s.send.timeout_ns = *o.send_timeout_ns;
}

Expected<void, std::string> check_settings(const NodeSettings& s) {
  if (s.backoff.cap_ns < s.backoff.base_ns)
    return unexpected("backoff cap " + format_duration(s.backoff.cap_ns) + " is below the base " +
                      format_duration(s.backoff.base_ns));
  return {};
}

}  // namespace bb::runtime
