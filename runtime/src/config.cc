// The framework-state sections of a TOML file (bb/runtime/settings_toml.h), and the
// `bbrun --config` file made of nothing else (bb/runtime/config.h).
#include "bb/runtime/config.h"

#include <algorithm>
#include <limits>

#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/settings_toml.h"

namespace bb::runtime {
namespace {

using Kind = SettingsError::Kind;

// A settings file is a few lines; anything near this size is not one.
constexpr std::uint64_t kMaxConfigFileBytes = 16u << 20;

std::uint32_t line_of(const toml::node& node) { return static_cast<std::uint32_t>(node.source().begin.line); }

// Reads the four sections into an overlay; the first error wins and stops the walk.
class OverlayReader {
 public:
  explicit OverlayReader(const std::string& file) : file_(file) {}

  Expected<SettingsOverlay, SettingsError> read(const toml::table& root) {
    const bool ok = backoff(root) && governor(root) && dedup(root) && send(root);
    if (!ok) return unexpected(std::move(*error_));
    return std::move(overlay_);
  }

 private:
  bool fail(Kind kind, std::uint32_t line, std::string key, std::string message) {
    if (!error_) error_ = SettingsError{kind, file_, line, std::move(key), std::move(message)};
    return false;
  }
  bool wrong_type(const toml::node& node, std::string key, std::string_view expected, std::string_view hint = {}) {
    std::string message = "expected " + std::string(expected) + ", found " + std::string(toml_type_name(node.type()));
    if (!hint.empty()) message += " (" + std::string(hint) + ")";
    return fail(Kind::kWrongType, line_of(node), std::move(key), std::move(message));
  }

  // A section such as [backoff] with only `allowed` keys; absent leaves `out` null.
  bool section(const toml::table& root, std::string_view name, std::initializer_list<std::string_view> allowed,
               const toml::table*& out) {
    out = nullptr;
    const toml::node* node = root.get(name);
    if (node == nullptr) return true;
    out = node->as_table();
    if (out == nullptr) return wrong_type(*node, std::string(name), "a table");
    if (auto unknown = find_unknown_key(*out, std::string(name) + ".", allowed, file_)) {
      error_ = std::move(unknown);
      return false;
    }
    return true;
  }

  // A duration longer than zero.
  bool duration(const toml::table& table, std::string_view name, const std::string& prefix,
                std::optional<std::int64_t>& out) {
    const toml::node* node = table.get(name);
    if (node == nullptr) return true;
    const std::string key = prefix + std::string(name);
    const auto* text = node->as_string();
    if (text == nullptr) return wrong_type(*node, key, "a duration string", "write e.g. \"5ms\"");
    auto parsed = parse_duration(text->get());
    if (!parsed) {
      return fail(Kind::kBadDuration, line_of(*node), key,
                  "'" + text->get() + "' is not a duration: " + parsed.error() + " (units: ns, us, ms, s, m, h)");
    }
    if (*parsed <= 0) return fail(Kind::kOutOfRange, line_of(*node), key, "must be longer than 0");
    out = *parsed;
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

  bool peers(const toml::table& table, std::string_view name, const std::string& prefix,
             std::optional<std::vector<PeerId>>& out) {
    const toml::node* node = table.get(name);
    if (node == nullptr) return true;
    const std::string key = prefix + std::string(name);
    const auto* array = node->as_array();
    if (array == nullptr) return wrong_type(*node, key, "an array of peer strings", "write e.g. [\"id:bob\"]");
    std::vector<PeerId>& list = out.emplace();
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      const auto* text = item.as_string();
      if (text == nullptr) return wrong_type(item, item_key, "a peer string", "write e.g. \"id:alice\"");
      auto parsed = PeerId::from_text(text->get());
      if (!parsed) {
        return fail(Kind::kBadPeer, line_of(item), item_key,
                    "'" + text->get() + "' is not a peer (" + std::string(describe(parsed.error())) +
                        "; write id:<name> or a base58btc PeerId)");
      }
      list.push_back(std::move(*parsed));
    }
    return true;
  }

  bool backoff(const toml::table& root) {
    const toml::table* t = nullptr;
    if (!section(root, "backoff", {"base", "cap", "jitter"}, t) || t == nullptr) return t == nullptr && !error_;
    if (!duration(*t, "base", "backoff.", overlay_.backoff_base_ns)) return false;
    if (!duration(*t, "cap", "backoff.", overlay_.backoff_cap_ns)) return false;
    if (overlay_.backoff_base_ns && overlay_.backoff_cap_ns && *overlay_.backoff_cap_ns < *overlay_.backoff_base_ns) {
      return fail(Kind::kOutOfRange, line_of(*t->get("cap")), "backoff.cap", "cap is shorter than base");
    }
    if (const toml::node* jitter = t->get("jitter")) {
      const auto* text = jitter->as_string();
      if (text == nullptr) return wrong_type(*jitter, "backoff.jitter", "a string");
      overlay_.backoff_jitter = jitter_from_string(text->get());
      if (!overlay_.backoff_jitter) {
        return fail(Kind::kBadValue, line_of(*jitter), "backoff.jitter",
                    "'" + text->get() + "' is not a jitter mode (none, full, equal, decorrelated)");
      }
    }
    return true;
  }

  bool governor(const toml::table& root) {
    const toml::table* t = nullptr;
    if (!section(root, "governor", {"threshold", "blocklist", "allowlist"}, t) || t == nullptr)
      return t == nullptr && !error_;
    if (const toml::node* threshold = t->get("threshold")) {
      std::int64_t value = 0;
      if (!integer(*threshold, "governor.threshold", 1, std::numeric_limits<std::uint32_t>::max(), value)) return false;
      overlay_.governor_threshold = static_cast<std::uint32_t>(value);
    }
    return peers(*t, "blocklist", "governor.", overlay_.blocklist) &&
           peers(*t, "allowlist", "governor.", overlay_.allowlist);
  }

  bool dedup(const toml::table& root) {
    const toml::table* t = nullptr;
    if (!section(root, "dedup", {"window", "ttl"}, t) || t == nullptr) return t == nullptr && !error_;
    if (const toml::node* window = t->get("window")) {
      std::int64_t value = 0;
      if (!integer(*window, "dedup.window", 1, std::numeric_limits<std::int64_t>::max(), value)) return false;
      overlay_.dedup_window = static_cast<std::size_t>(value);
    }
    return duration(*t, "ttl", "dedup.", overlay_.dedup_ttl_ns);
  }

  bool send(const toml::table& root) {
    const toml::table* t = nullptr;
    if (!section(root, "send", {"timeout"}, t) || t == nullptr) return t == nullptr && !error_;
    return duration(*t, "timeout", "send.", overlay_.send_timeout_ns);
  }

  const std::string& file_;
  SettingsOverlay overlay_;
  std::optional<SettingsError> error_;
};

ConfigError config_error(SettingsError e) {
  return ConfigError{std::move(e.file), e.line, std::move(e.key), std::move(e.message)};
}

}  // namespace

std::string_view toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::optional<SettingsError> find_unknown_key(const toml::table& table, std::string_view prefix,
                                              std::initializer_list<std::string_view> allowed,
                                              const std::string& file) {
  const toml::key* first = nullptr;
  for (auto&& [key, value] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    if (first == nullptr || key.source().begin.line < first->source().begin.line) first = &key;
  }
  if (first == nullptr) return std::nullopt;
  std::string known;
  for (std::string_view k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
  return SettingsError{Kind::kUnknownKey, file, static_cast<std::uint32_t>(first->source().begin.line),
                       std::string(prefix) + std::string(first->str()), "unknown key (known keys here: " + known + ")"};
}

Expected<SettingsOverlay, SettingsError> read_settings_overlay(const toml::table& root, const std::string& file) {
  return OverlayReader(file).read(root);
}

std::string describe(const ConfigError& e) {
  std::string out = e.file;
  if (e.line != 0) out += ":" + std::to_string(e.line);
  if (!e.key.empty()) out += ": " + e.key;
  return out + ": " + e.message;
}

Expected<SettingsOverlay, ConfigError> read_config_text(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& err) {
    return unexpected(ConfigError{file, static_cast<std::uint32_t>(err.source().begin.line), {},
                                  "not valid TOML: " + std::string(err.description())});
  }
  if (auto unknown = find_unknown_key(root, "", {"backoff", "governor", "dedup", "send"}, file)) {
    unknown->message = "unknown section [hint: the sections are [backoff], [governor], [dedup], [send]]";
    return unexpected(config_error(std::move(*unknown)));
  }
  auto overlay = read_settings_overlay(root, file);
  if (!overlay) return unexpected(config_error(std::move(overlay.error())));
  return std::move(*overlay);
}

Expected<SettingsOverlay, ConfigError> read_config_file(const std::filesystem::path& path) {
  auto bytes = ir::read_file(path, kMaxConfigFileBytes);
  if (!bytes) {
    return unexpected(ConfigError{path.string(), 0, {},
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
