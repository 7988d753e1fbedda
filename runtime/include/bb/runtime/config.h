// The settings file of `bbrun --config FILE.toml` (SPEC §4.5, Appendix A): the
// framework-state sections of the deployment file.
//
//   [backoff]  base = "10ms"  cap = "60s"  jitter = "none"|"full"|"equal"|"decorrelated"
//   [governor] threshold = 5  blocklist = ["id:x", …]  allowlist = [ … ]
//   [dedup]    window = 8192  ttl = "120s"
//   [send]     timeout = "1s"
//
// The sections are read by `read_settings_overlay` (bb/runtime/settings_toml.h), the
// same reader as the deployment file's. Unknown sections and keys are errors naming the
// line and the key. Values the file sets are applied over what the settings already
// hold (defaults); flags go on top.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "bb/ir/expected.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

struct ConfigError {
  std::string file;
  std::uint32_t line = 0;  // 0: the whole file (I/O, syntax without a position)
  std::string key;         // dotted, e.g. "backoff.base"
  std::string message;
};
// "cfg.toml:3: backoff.bse: unknown key [hint: …]".
std::string describe(const ConfigError& error);

// What the file sets (nothing applied yet).
Expected<SettingsOverlay, ConfigError> read_config_file(const std::filesystem::path& path);
Expected<SettingsOverlay, ConfigError> read_config_text(std::string_view text, const std::string& file);

// The same, applied over `settings` (left as it was on an error).
Expected<void, ConfigError> apply_config_file(const std::filesystem::path& path, NodeSettings& settings);
Expected<void, ConfigError> apply_config_text(std::string_view text, const std::string& file, NodeSettings& settings);

}  // namespace bb::runtime
