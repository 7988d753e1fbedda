// The one JSON string writer of every machine output (lint JSON and SARIF, --time-passes
// json, metrics, trace JSONL): the output is valid JSON whatever bytes the input holds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bb::ir {

// Appends `text` as a JSON string literal, quotes included. `"`, `\` and control
// characters are escaped; valid UTF-8 is copied as it is; a byte that does not start a
// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) becomes U+FFFD, written `\ufffd`.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

// Length of the well-formed UTF-8 sequence at text[i] in the sense above, 0 if none.
std::size_t utf8_length(std::string_view text, std::size_t i);

// True when `text` is well-formed UTF-8 in the sense above.
bool valid_utf8(std::string_view text);

}  // namespace bb::ir
