// The framework-state sections of a TOML file (bb/runtime/settings_toml.h), and the
// `bbrun --config` file made of nothing else (bb/runtime/config.h).
#include "bb/runtime/config.h"

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bb/ir/model_io.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/settings_toml.h"

namespace bb::runtime {
namespace {

using Kind = TomlError::Kind;

// A settings file is a few lines; anything near this size is not one.
constexpr std::uint64_t kMaxConfigFileBytes = 16u << 20;

// Reads the four sections into an overlay with the file's reader; the first error
// stops the walk.
class OverlayReader {
 public:
  OverlayReader(TomlReader& reader, SettingsOverlay& overlay) : r_(reader), overlay_(overlay) {}

  bool read(const toml::table& root) { return backoff(root) && governor(root) && dedup(root) && send(root); }

 private:
  // governor.blocklist, governor.allowlist.
  bool peers(const toml::table& table, std::string_view name, std::optional<std::vector<PeerId>>& out) {
    const toml::node* node = table.get(name);
    if (node == nullptr) return true;
    const std::string key = "governor." + std::string(name);
    if (const auto* list = node->as_array(); list != nullptr && list->size() > kMaxPeerListEntries)
      return r_.fail(Kind::kOutOfRange, line_of(*node), key,
                     std::to_string(list->size()) + " peers, over the limit of " + std::to_string(kMaxPeerListEntries));
    return r_.peers(*node, key, out.emplace(), "write e.g. [\"id:bob\"]");
  }

  bool backoff(const toml::table& root) {
    const toml::table* t = r_.section(root, "backoff", {"base", "cap", "jitter"});
    if (t == nullptr) return r_.ok();
    if (!r_.positive_duration(*t, "base", "backoff.", overlay_.backoff_base_ns)) return false;
    if (!r_.positive_duration(*t, "cap", "backoff.", overlay_.backoff_cap_ns)) return false;
    if (overlay_.backoff_base_ns && overlay_.backoff_cap_ns && *overlay_.backoff_cap_ns < *overlay_.backoff_base_ns) {
      return r_.fail(Kind::kOutOfRange, line_of(*t->get("cap")), "backoff.cap", "cap is shorter than base");
    }
    if (const toml::node* jitter = t->get("jitter")) {
      const std::string* text = r_.string(*jitter, "backoff.jitter");
      if (text == nullptr) return false;
      overlay_.backoff_jitter = jitter_from_string(*text);
      if (!overlay_.backoff_jitter) {
        return r_.fail(Kind::kBadValue, line_of(*jitter), "backoff.jitter",
                       "'" + *text + "' is not a jitter mode (none, full, equal, decorrelated)");
      }
    }
    return true;
  }

  bool governor(const toml::table& root) {
    const toml::table* t = r_.section(root, "governor", {"threshold", "blocklist", "allowlist"});
    if (t == nullptr) return r_.ok();
    if (const toml::node* threshold = t->get("threshold")) {
      std::int64_t value = 0;
      if (!r_.integer(*threshold, "governor.threshold", 1, std::numeric_limits<std::uint32_t>::max(), value)) {
        return false;
      }
      overlay_.governor_threshold = static_cast<std::uint32_t>(value);
    }
    return peers(*t, "blocklist", overlay_.blocklist) && peers(*t, "allowlist", overlay_.allowlist);
  }

  bool dedup(const toml::table& root) {
    const toml::table* t = r_.section(root, "dedup", {"window", "ttl", "max_streams"});
    if (t == nullptr) return r_.ok();
    return size(*t, "window", kMaxDedupWindow, overlay_.dedup_window) &&
           size(*t, "max_streams", kMaxDedupStreams, overlay_.dedup_max_streams) &&
           r_.positive_duration(*t, "ttl", "dedup.", overlay_.dedup_ttl_ns);
  }

  // dedup.window, dedup.max_streams: they size memory, so they have an upper bound.
  bool size(const toml::table& t, std::string_view name, std::size_t max, std::optional<std::size_t>& out) {
    const toml::node* node = t.get(name);
    if (node == nullptr) return true;
    std::int64_t value = 0;
    if (!r_.integer(*node, "dedup." + std::string(name), 1, static_cast<std::int64_t>(max), value)) return false;
    out = static_cast<std::size_t>(value);
    return true;
  }

  bool send(const toml::table& root) {
    const toml::table* t = r_.section(root, "send", {"timeout", "max_in_flight"});
    if (t == nullptr) return r_.ok();
    if (const toml::node* most = t->get("max_in_flight")) {
      std::int64_t value = 0;
      if (!r_.integer(*most, "send.max_in_flight", 1, static_cast<std::int64_t>(kMaxSendsInFlight), value)) return false;
      overlay_.send_max_in_flight = static_cast<std::size_t>(value);
    }
    return r_.positive_duration(*t, "timeout", "send.", overlay_.send_timeout_ns);
  }

  TomlReader& r_;
  SettingsOverlay& overlay_;
};

}  // namespace

bool read_settings_overlay(TomlReader& reader, const toml::table& root, SettingsOverlay& out) {
  return OverlayReader(reader, out).read(root);
}

Expected<SettingsOverlay, ConfigError> read_config_text(std::string_view text, const std::string& file) {
  auto root = parse_toml(text, file);
  if (!root) return unexpected(std::move(root.error()));
  TomlReader reader(file);
  SettingsOverlay overlay;
  const bool ok =
      reader.only_keys(*root, "", {"backoff", "governor", "dedup", "send"},
                       "unknown section [hint: the sections are [backoff], [governor], [dedup], [send]]") &&
      read_settings_overlay(reader, *root, overlay);
  if (!ok) return unexpected(reader.take_error());
  return overlay;
}

Expected<SettingsOverlay, ConfigError> read_config_file(const std::filesystem::path& path) {
  auto bytes = ir::read_file(path, kMaxConfigFileBytes);
  if (!bytes) {
    return unexpected(ConfigError{Kind::kIo, path.string(), 0, {},
                                  bytes.error().kind == ir::IoError::Kind::kTooLarge
                                      ? "over " + std::to_string(kMaxConfigFileBytes) + " bytes: not a settings file"
                                      : "cannot read the file"});
  }
  return read_config_text(*bytes, path.string());
}

Expected<void, ConfigError> apply_config_text(std::string_view text, const std::string& file, NodeSettings& settings) {
  auto overlay = read_config_text(text, file);
  if (!overlay) return unexpected(std::move(overlay.error()));
  apply_overlay(*overlay, settings);
  return {};
}

Expected<void, ConfigError> apply_config_file(const std::filesystem::path& path, NodeSettings& settings) {
  auto overlay = read_config_file(path);
  if (!overlay) return unexpected(std::move(overlay.error()));
  apply_overlay(*overlay, settings);
  return {};
}

}  // namespace bb::runtime
