// The one JSON string writer of every machine output (lint JSON and SARIF, --time-passes
// json, metrics, trace JSONL): the output is valid JSON whatever bytes the input holds.
#pragma once

#include <string>
#include <string_view>

namespace bb::ir {

// Appends `text` as a JSON string literal, quotes included. `"`, `\` and control
// characters are escaped; valid UTF-8 is copied as it is; a byte that does not start a
// well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) becomes U+FFFD, written `\ufffd`.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

// True when `text` is well-formed UTF-8 in the sense above.
bool valid_utf8(std::string_view text);

}  // namespace bb::ir
