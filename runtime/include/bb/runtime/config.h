// The settings file of `bbrun --config FILE.toml` (docs/runtime.md): the
// framework-state sections of the deployment file.
//
//   [backoff]  base = "10ms"  cap = "60s"  jitter = "none"|"full"|"equal"|"decorrelated"
//   [governor] threshold = 5  blocklist = ["id:x", …]  allowlist = [ … ]
//   [dedup]    window = 8192  ttl = "120s"  max_streams = 16384
//   [send]     timeout = "1s"
//
// The sections are read by `read_settings_overlay` (bb/runtime/settings_toml.h), the
// same reader as the deployment file's. Unknown sections and keys are errors naming the
// line and the key. Values the file sets are applied over what the settings already
// hold (defaults); flags go on top.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "bb/ir/expected.h"
#include "bb/runtime/settings.h"
#include "bb/runtime/toml_error.h"

namespace bb::runtime {

// The error of every TOML file of bb (kind, file, line, dotted key, message);
// `describe` words it as "cfg.toml:3: backoff.bsae: unknown key (known keys here: …)".
using ConfigError = TomlError;

// The most peers `governor.blocklist` or `governor.allowlist` may list — in --config, a
// deployment file or the --blocklist/--allowlist flags: a setting cannot size the
// governor's memory beyond it.
inline constexpr std::size_t kMaxPeerListEntries = 100'000;

// What the file sets (nothing applied yet).
Expected<SettingsOverlay, ConfigError> read_config_file(const std::filesystem::path& path);
Expected<SettingsOverlay, ConfigError> read_config_text(std::string_view text, const std::string& file);

// The same, applied over `settings` (left as it was on an error).
Expected<void, ConfigError> apply_config_file(const std::filesystem::path& path, NodeSettings& settings);
Expected<void, ConfigError> apply_config_text(std::string_view text, const std::string& file, NodeSettings& settings);

}  // namespace bb::runtime
