// The framework-state sections of a TOML file, read in one place for both files that
// hold them: `bbrun --config FILE.toml` (bb/runtime/config.h) and the deployment file
// of `bbrun --sim` (bb/sim/deployment.h). SPEC Appendix A:
//
//   [backoff]  base = "10ms"  cap = "60s"  jitter = "none"|"full"|"equal"|"decorrelated"
//   [governor] threshold = 5  blocklist = ["id:x", …]  allowlist = [ … ]
//   [dedup]    window = 8192  ttl = "120s"
//   [send]     timeout = "1s"
//
// Including this header needs toml++ (tomlplusplus::tomlplusplus).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "bb/ir/expected.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

struct SettingsError {
  enum class Kind : std::uint8_t {
    kUnknownKey,   // a key the section does not have
    kWrongType,    // e.g. a number where a duration string belongs
    kBadDuration,  // a string that is not a duration ("5 sec")
    kBadPeer,      // not a peer text form (`id:<name>` or base58btc)
    kOutOfRange,   // a zero duration, a zero threshold or window, a cap below the base
    kBadValue,     // a jitter mode outside its set
  };
  Kind kind = Kind::kUnknownKey;
  std::string file;
  std::uint32_t line = 0;  // 1-based; 0 without a position
  std::string key;         // dotted, e.g. "backoff.base", "governor.allowlist[1]"
  std::string message;
};

// The sections `read_settings_overlay` reads.
inline constexpr std::array<std::string_view, 4> kSettingsSections{"backoff", "governor", "dedup", "send"};

// "a string", "an integer", … for messages about a value of the wrong type.
std::string_view toml_type_name(toml::node_type type);

// The key of `table` outside `allowed` that comes first in the file, as an error
// "<prefix><key>: unknown key (known keys here: a, b)"; std::nullopt when all are known.
std::optional<SettingsError> find_unknown_key(const toml::table& table, std::string_view prefix,
                                              std::initializer_list<std::string_view> allowed,
                                              const std::string& file);

// Reads [backoff], [governor], [dedup] and [send] of `root` (other top-level keys are
// the caller's business). Each key the file sets becomes a value of the overlay; the
// first error stops the reading and names the file, line and dotted key.
Expected<SettingsOverlay, SettingsError> read_settings_overlay(const toml::table& root, const std::string& file);

}  // namespace bb::runtime
