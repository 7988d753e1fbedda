// Values with positions out of a TOML document (bb/runtime/toml_reader.h) and the
// error every TOML file of bb reports (bb/runtime/toml_error.h).
#include "bb/runtime/toml_reader.h"

#include <algorithm>

#include "bb/ir/duration.h"

namespace bb::runtime {
namespace {

using Kind = TomlError::Kind;

// "a string", "an integer", … for messages about a value of the wrong type.
std::string_view type_name(toml::node_type type) {
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

}  // namespace

std::string_view to_string(TomlError::Kind kind) {
  switch (kind) {
    case Kind::kIo: return "io";
    case Kind::kSyntax: return "syntax";
    case Kind::kUnknownKey: return "unknown_key";
    case Kind::kMissingKey: return "missing_key";
    case Kind::kWrongType: return "wrong_type";
    case Kind::kBadDuration: return "bad_duration";
    case Kind::kBadPeer: return "bad_peer";
    case Kind::kOutOfRange: return "out_of_range";
    case Kind::kBadValue: return "bad_value";
    case Kind::kDuplicatePeer: return "duplicate_peer";
    case Kind::kUnknownPeer: return "unknown_peer";
  }
  return "unknown";
}

std::string describe(const TomlError& error) {
  std::string text = error.file;
  if (error.line > 0) text += ":" + std::to_string(error.line);
  text += ": ";
  if (!error.key.empty()) text += error.key + ": ";
  return text + error.message;
}

Expected<toml::table, TomlError> parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return unexpected(TomlError{Kind::kSyntax, file, static_cast<std::uint32_t>(e.source().begin.line), "",
                                "not valid TOML: " + std::string(e.description())});
  }
}

std::uint32_t line_of(const toml::node& node) { return static_cast<std::uint32_t>(node.source().begin.line); }

bool TomlReader::fail(Kind kind, std::uint32_t line, std::string key, std::string message) {
  if (!error_) error_ = TomlError{kind, file_, line, std::move(key), std::move(message)};
  return false;
}

bool TomlReader::wrong_type(const toml::node& node, std::string key, std::string_view expected,
                            std::string_view hint) {
  std::string message = "expected " + std::string(expected) + ", found " + std::string(type_name(node.type()));
  if (!hint.empty()) message += " (" + std::string(hint) + ")";
  return fail(Kind::kWrongType, line_of(node), std::move(key), std::move(message));
}

bool TomlReader::only_keys(const toml::table& table, std::string_view prefix,
                           std::initializer_list<std::string_view> allowed, std::string_view message) {
  const toml::key* first = nullptr;
  for (auto&& [key, value] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    if (first == nullptr || key.source().begin.line < first->source().begin.line) first = &key;
  }
  if (first == nullptr) return true;
  std::string text(message);
  if (text.empty()) {
    std::string known;
    for (std::string_view k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
    text = "unknown key (known keys here: " + known + ")";
  }
  return fail(Kind::kUnknownKey, static_cast<std::uint32_t>(first->source().begin.line),
              std::string(prefix) + std::string(first->str()), std::move(text));
}

const toml::table* TomlReader::section(const toml::table& root, std::string_view name,
                                       std::initializer_list<std::string_view> allowed) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    wrong_type(*node, std::string(name), "a table");
    return nullptr;
  }
  if (!only_keys(*table, std::string(name) + ".", allowed)) return nullptr;
  return table;
}

const std::string* TomlReader::string(const toml::node& node, const std::string& key, std::string_view expected) {
  const auto* text = node.as_string();
  if (text == nullptr) {
    wrong_type(node, key, expected);
    return nullptr;
  }
  return &text->get();
}

std::string host_port_problem(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "expected host:port, e.g. \"127.0.0.1:7001\"";
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(port)) > 65535)
    return "the port '" + std::string(port) + "' is not a number in 0..65535";
  return {};
}

bool TomlReader::host_port(const toml::node& node, const std::string& key, std::string& out) {
  const std::string* text = string(node, key, "a host:port string");
  if (text == nullptr) return false;
  if (const std::string why = host_port_problem(*text); !why.empty())
    return fail(Kind::kBadValue, line_of(node), key, "'" + *text + "': " + why);
  out = *text;
  return true;
}

bool TomlReader::duration(const toml::node& node, const std::string& key, std::int64_t& out) {
  const auto* text = node.as_string();
  if (text == nullptr) return wrong_type(node, key, "a duration string", "write e.g. \"5ms\"");
  auto parsed = parse_duration(text->get());
  if (!parsed) {
    return fail(Kind::kBadDuration, line_of(node), key,
                "'" + text->get() + "' is not a duration: " + parsed.error() + " (units: ns, us, ms, s, m, h)");
  }
  out = *parsed;
  return true;
}

bool TomlReader::positive_duration(const toml::table& table, std::string_view name, std::string_view prefix,
                                   std::optional<std::int64_t>& out) {
  const toml::node* node = table.get(name);
  if (node == nullptr) return true;
  const std::string key = std::string(prefix) + std::string(name);
  std::int64_t ns = 0;
  if (!duration(*node, key, ns)) return false;
  if (ns <= 0) return fail(Kind::kOutOfRange, line_of(*node), key, "must be longer than 0");
  out = ns;
  return true;
}

bool TomlReader::integer(const toml::node& node, const std::string& key, std::int64_t min, std::int64_t max,
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

bool TomlReader::peer(const toml::node& node, const std::string& key, PeerId& out) {
  const auto* text = node.as_string();
  if (text == nullptr) return wrong_type(node, key, "a peer string", "write e.g. \"id:alice\"");
  auto parsed = PeerId::from_text(text->get());
  if (!parsed) {
    return fail(Kind::kBadPeer, line_of(node), key,
                "'" + text->get() + "' is not a peer (" + std::string(bb::describe(parsed.error())) +
                    "; write id:<name> or a base58btc PeerId)");
  }
  out = std::move(*parsed);
  return true;
}

bool TomlReader::peers(const toml::node& node, const std::string& key, std::vector<PeerId>& out,
                       std::string_view hint) {
  const auto* array = node.as_array();
  if (array == nullptr) return wrong_type(node, key, "an array of peer strings", hint);
  for (std::size_t i = 0; i < array->size(); ++i) {
    PeerId p;
    if (!peer(*array->get(i), key + "[" + std::to_string(i) + "]", p)) return false;
    out.push_back(std::move(p));
  }
  return true;
}

}  // namespace bb::runtime
