// Minimal JSON text helpers for the machine outputs (metrics, trace).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::runtime {

// Appends `text` as a JSON string literal (quotes included; control characters and
// non-UTF-8 bytes escaped so the output is always valid JSON).
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

}  // namespace bb::runtime
