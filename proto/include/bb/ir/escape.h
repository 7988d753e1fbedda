// The one escaper of text bb prints for people: diagnostics, log lines, summaries, the
// inspect and dump views. A name, a path or a value from a graph, a deployment file or
// a peer may hold any bytes; printed as they are, a newline would start a log line of
// its own (a forged `::error` command in a GitHub Actions log), and ESC or a bidi
// override would rewrite the terminal. Machine outputs (JSON, SARIF, metrics, traces)
// go through bb/ir/json.h instead.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace bb::ir {

inline constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

// `text` with every byte that could control a terminal or a log written `\xNN`: C0
// controls (newline, carriage return, tab, ESC …), DEL, the C1 controls U+0080–U+009F,
// the line and paragraph separators U+2028/U+2029, the bidi controls (U+200E/F,
// U+202A–E, U+2066–9), and any byte that does not start well-formed UTF-8. Everything
// else, other languages' letters included, is copied as it is; a backslash too, so the
// escaper is idempotent (escaping an escaped text changes nothing). With `max`, the
// output is cut after about `max` bytes and ends with `…`.
std::string escape_text(std::string_view text, std::size_t max = kNoLimit);

// `text` line by line: each line escaped as above, the newlines between them kept (a
// multi-line view such as `bbc inspect` or the text dump, whose lines quote names).
std::string escape_lines(std::string_view text);

// Stricter, for a value quoted in a message: printable ASCII as is, every other byte
// (and the backslash) as `\xNN`, cut after `max` characters with `…`.
std::string printable(std::string_view bytes, std::size_t max = 64);

}  // namespace bb::ir
