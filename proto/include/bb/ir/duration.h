// Durations as the settings and deployment files write them (docs/simulation.md): an integer or decimal followed by one of
// ns, us, ms, s, m, h ("10ms", "1.5s", "2m"). Stored as int64 nanoseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bb/ir/expected.h"

namespace bb {

// Fails with a sentence naming what is wrong ("unknown unit 'sec'", "out of range").
Expected<std::int64_t, std::string> parse_duration(std::string_view text);

// The shortest exact form: 10000000 → "10ms", 1500000000 → "1.5s", 0 → "0s". For files
// and values read back (settings, timestamps); logs use format_time.
std::string format_duration(std::int64_t ns);

// A time or duration as a person reads it in a log, in the largest unit it reaches (up to
// seconds): exact values short (10000000 → "10ms", 1500000000 → "1.5s"), others with three
// decimals (1000086257 → "1.000s", 2993320 → "2.993ms"); under a microsecond, "12ns"; 0 → "0s".
std::string format_time(std::int64_t ns);

}  // namespace bb
