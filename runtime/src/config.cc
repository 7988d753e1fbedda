#include "bb/runtime/config.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "bb/ir/duration.h"
#include "bb/ir/peer_id.h"

namespace bb::runtime {
namespace {

class Reader {
 public:
  Reader(std::string file, NodeSettings& settings) : file_(std::move(file)), settings_(settings) {}

  Expected<void, ConfigError> apply(const toml::table& root) {
    for (const auto& [section, node] : root) {
      const std::string name(section.str());
      const auto* table = node.as_table();
      if (table == nullptr) return fail(node, name, "expected a section ([" + name + "])");
      Expected<void, ConfigError> r = name == "backoff"    ? backoff(*table)
                                      : name == "governor" ? governor(*table)
                                      : name == "dedup"    ? dedup(*table)
                                      : name == "send"     ? send(*table)
                                                           : fail(node, name,
                                                                  "unknown section [hint: the sections are [backoff], "
                                                                  "[governor], [dedup], [send]]");
      if (!r) return r;
    }
    return {};
  }

 private:
  Unexpected<ConfigError> fail(const toml::node& at, const std::string& key, const std::string& message) const {
    return unexpected(ConfigError{file_, static_cast<std::uint32_t>(at.source().begin.line), key, message});
  }

  Expected<std::int64_t, ConfigError> duration(const toml::node& n, const std::string& key) const {
    const auto* s = n.as_string();
    if (s == nullptr) return fail(n, key, "expected a duration string such as \"10ms\"");
    auto d = parse_duration(s->get());
    if (!d) return fail(n, key, d.error());
    if (*d < 0) return fail(n, key, "must not be negative");
    return *d;
  }
  Expected<std::int64_t, ConfigError> integer(const toml::node& n, const std::string& key, std::int64_t min) const {
    const auto* i = n.as_integer();
    if (i == nullptr) return fail(n, key, "expected an integer");
    if (i->get() < min) return fail(n, key, "must be at least " + std::to_string(min));
    return i->get();
  }
  Expected<std::vector<PeerId>, ConfigError> peers(const toml::node& n, const std::string& key) const {
    const auto* arr = n.as_array();
    if (arr == nullptr) return fail(n, key, "expected an array of peers such as [\"id:bob\"]");
    std::vector<PeerId> out;
    for (const auto& item : *arr) {
      const auto* s = item.as_string();
      if (s == nullptr) return fail(item, key, "expected peer text (id:<name> or base58btc)");
      auto p = PeerId::from_text(s->get());
      if (!p) return fail(item, key, "'" + s->get() + "' is not a peer: " + std::string(describe(p.error())));
      out.push_back(std::move(*p));
    }
    return out;
  }

  template <class F>
  Expected<void, ConfigError> each(const toml::table& t, const std::string& section, F&& on_key) {
    for (const auto& [k, v] : t) {
      const std::string key = section + "." + std::string(k.str());
      auto r = on_key(std::string(k.str()), v, key);
      if (!r) return r;
    }
    return {};
  }

  Expected<void, ConfigError> backoff(const toml::table& t) {
    return each(t, "backoff", [&](const std::string& k, const toml::node& v, const std::string& key) -> Expected<void, ConfigError> {
      if (k == "base" || k == "cap") {
        auto d = duration(v, key);
        if (!d) return unexpected(d.error());
        (k == "base" ? settings_.backoff.base_ns : settings_.backoff.cap_ns) = *d;
        return {};
      }
      if (k == "jitter") {
        const auto* s = v.as_string();
        const auto j = s ? jitter_from_string(s->get()) : std::nullopt;
        if (!j) return fail(v, key, "expected one of \"none\", \"full\", \"equal\", \"decorrelated\"");
        settings_.backoff.jitter = *j;
        return {};
      }
      return fail(v, key, "unknown key [hint: [backoff] has base, cap, jitter]");
    });
  }
  Expected<void, ConfigError> governor(const toml::table& t) {
    return each(t, "governor", [&](const std::string& k, const toml::node& v, const std::string& key) -> Expected<void, ConfigError> {
      if (k == "threshold") {
        auto i = integer(v, key, 1);
        if (!i) return unexpected(i.error());
        settings_.governor.threshold = static_cast<std::uint32_t>(std::min<std::int64_t>(*i, UINT32_MAX));
        return {};
      }
      if (k == "blocklist" || k == "allowlist") {
        auto p = peers(v, key);
        if (!p) return unexpected(p.error());
        (k == "blocklist" ? settings_.governor.blocklist : settings_.governor.allowlist) = std::move(*p);
        return {};
      }
      return fail(v, key, "unknown key [hint: [governor] has threshold, blocklist, allowlist]");
    });
  }
  Expected<void, ConfigError> dedup(const toml::table& t) {
    return each(t, "dedup", [&](const std::string& k, const toml::node& v, const std::string& key) -> Expected<void, ConfigError> {
      if (k == "window") {
        auto i = integer(v, key, 1);
        if (!i) return unexpected(i.error());
        settings_.dedup.window = static_cast<std::size_t>(*i);
        return {};
      }
      if (k == "ttl") {
        auto d = duration(v, key);
        if (!d) return unexpected(d.error());
        settings_.dedup.ttl_ns = *d;
        return {};
      }
      return fail(v, key, "unknown key [hint: [dedup] has window, ttl]");
    });
  }
  Expected<void, ConfigError> send(const toml::table& t) {
    return each(t, "send", [&](const std::string& k, const toml::node& v, const std::string& key) -> Expected<void, ConfigError> {
      if (k == "timeout") {
        auto d = duration(v, key);
        if (!d) return unexpected(d.error());
        settings_.send.timeout_ns = *d;
        return {};
      }
      return fail(v, key, "unknown key [hint: [send] has timeout]");
    });
  }

  std::string file_;
  NodeSettings& settings_;
};

}  // namespace

std::string describe(const ConfigError& e) {
  std::string out = e.file;
  if (e.line != 0) out += ":" + std::to_string(e.line);
  if (!e.key.empty()) out += ": " + e.key;
  return out + ": " + e.message;
}

Expected<void, ConfigError> apply_config_text(std::string_view text, const std::string& file, NodeSettings& settings) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& err) {
    return unexpected(ConfigError{file, static_cast<std::uint32_t>(err.source().begin.line), {},
                                  "not valid TOML: " + std::string(err.description())});
  }
  NodeSettings copy = settings;
  Reader reader(file, copy);
  if (auto r = reader.apply(root); !r) return r;
  settings = std::move(copy);
  return {};
}

Expected<void, ConfigError> apply_config_file(const std::filesystem::path& path, NodeSettings& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(ConfigError{path.string(), 0, {}, "cannot read the file"});
  std::stringstream ss;
  ss << in.rdbuf();
  return apply_config_text(ss.str(), path.string(), settings);
}

}  // namespace bb::runtime
