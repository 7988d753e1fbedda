// The framework-state sections of a TOML file, read in one place for both files that
// hold them: `bbrun --config FILE.toml` (bb/runtime/config.h) and the deployment file
// of `bbrun --sim` (bb/sim/deployment.h). docs/simulation.md:
//
//   [backoff]  base = "10ms"  cap = "60s"  jitter = "none"|"full"|"equal"|"decorrelated"
//   [governor] threshold = 5  blocklist = ["id:x", …]  allowlist = [ … ]
//   [dedup]    window = 8192  ttl = "120s"  max_streams = 16384
//   [send]     timeout = "1s"
//
// Values are read by bb/runtime/toml_reader.h. Including this header needs toml++
// (tomlplusplus::tomlplusplus).
#pragma once

#include <string_view>

#include <toml++/toml.h>

#include "bb/runtime/settings.h"
#include "bb/runtime/toml_reader.h"

namespace bb::runtime {

// Reads [backoff], [governor], [dedup] and [send] of `root` (other top-level keys are
// the caller's business) with `reader`, the reader of the whole file. Each key the file
// sets becomes a value of `out`; false on the first error, which `reader` keeps
// (naming the file, line and dotted key).
bool read_settings_overlay(TomlReader& reader, const toml::table& root, SettingsOverlay& out);

}  // namespace bb::runtime
