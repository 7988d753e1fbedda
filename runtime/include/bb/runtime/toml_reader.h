// Values with positions out of a TOML document, for every TOML file bb reads: the
// framework-state sections (bb/runtime/settings_toml.h) of `bbrun --config` and of the
// deployment file, and the rest of the deployment file (bb/sim/deployment.h).
//
// Including this header needs toml++ (tomlplusplus::tomlplusplus).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/toml_error.h"

namespace bb::runtime {

// `text` as a TOML document; invalid TOML is a kSyntax error at its line.
Expected<toml::table, TomlError> parse_toml(std::string_view text, const std::string& file);

// The 1-based line where `node` starts.
std::uint32_t line_of(const toml::node& node);

// Why `text` is not a "host:port" address ("" when it is one).
std::string host_port_problem(std::string_view text);

// Reads the values of one file. Each method returns true when the value is good (or
// absent where that is allowed) and false on an error, which the reader keeps: the first
// error wins and later ones are dropped, so a walk stops at the first false. Errors name
// the file, the line of the value and its dotted key (`key`, or `prefix` + the name).
class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  bool ok() const { return !error_.has_value(); }
  // The error kept; only after a method returned false.
  TomlError take_error() { return std::move(*error_); }

  // Keeps this error unless one is kept already; always false.
  bool fail(TomlError::Kind kind, std::uint32_t line, std::string key, std::string message);
  // "expected <expected>, found a string (<hint>)".
  bool wrong_type(const toml::node& node, std::string key, std::string_view expected, std::string_view hint = {});

  // Refuses the keys of `table` outside `allowed`, naming the one that comes first in the
  // file as "<prefix><key>": "unknown key (known keys here: a, b)", or `message` if given.
  bool only_keys(const toml::table& table, std::string_view prefix, std::initializer_list<std::string_view> allowed,
                 std::string_view message = {});

  // The table `name` of `root` (e.g. [network]) with only `allowed` keys. nullptr when it
  // is absent (ok() stays true) or on an error.
  const toml::table* section(const toml::table& root, std::string_view name,
                             std::initializer_list<std::string_view> allowed);

  // A string; nullptr on an error. `expected` words the wrong-type message.
  const std::string* string(const toml::node& node, const std::string& key, std::string_view expected = "a string");
  // A network address "host:port" (port 0..65535).
  bool host_port(const toml::node& node, const std::string& key, std::string& out);
  // A duration string such as "5ms" (bb/ir/duration.h), in nanoseconds.
  bool duration(const toml::node& node, const std::string& key, std::int64_t& out);
  // The key `name` of `table`, when present: a duration longer than 0.
  bool positive_duration(const toml::table& table, std::string_view name, std::string_view prefix,
                         std::optional<std::int64_t>& out);
  // An integer in [min, max].
  bool integer(const toml::node& node, const std::string& key, std::int64_t min, std::int64_t max,
               std::int64_t& out);
  // A peer in text form (`id:<name>` or base58btc).
  bool peer(const toml::node& node, const std::string& key, PeerId& out);
  // An array of peers, appended to `out`; items are named "<key>[i]". `hint` ends the
  // message when `node` is not an array.
  bool peers(const toml::node& node, const std::string& key, std::vector<PeerId>& out, std::string_view hint = {});

 private:
  std::string file_;
  std::optional<TomlError> error_;
};

}  // namespace bb::runtime
