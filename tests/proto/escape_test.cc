// The one escaper of printed text (bb/ir/escape.h): nothing a name or a path holds can
// start a line of its own, drive the terminal, or reorder what is shown.
#include "bb/ir/escape.h"
#include "bb/ir/json.h"

#include <gtest/gtest.h>

#include <string>

namespace bb::ir {
namespace {

TEST(EscapeText, ControlCharactersBecomeHexEscapes) {
  EXPECT_EQ(escape_text("a\nb"), "a\\x0ab");
  EXPECT_EQ(escape_text("a\rb\tc"), "a\\x0db\\x09c");
  EXPECT_EQ(escape_text("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_text(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_text("del\x7f"), "del\\x7f");
}

// A node name cannot start a GitHub Actions command on a line of its own.
TEST(EscapeText, ANameCannotStartALogLine) {
  const std::string name = "send0\n::error file=ci.yml::pwned\r\n";
  const std::string line = "g.onnx: node '" + escape_text(name) + "': error";
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_NE(line.find("\\x0a::error"), std::string::npos);
}

TEST(EscapeText, Utf8IsKeptButC1BidiAndSeparatorsAreEscaped) {
  EXPECT_EQ(escape_text("nœud-été-ノード"), "nœud-été-ノード");
  EXPECT_EQ(escape_text("\xc2\x85"), "\\xc2\\x85");                    // NEL, a C1 control
  EXPECT_EQ(escape_text("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xae" "b");  // U+202E right-to-left override
  EXPECT_EQ(escape_text("a\xe2\x81\xa6" "b"), "a\\xe2\\x81\\xa6" "b"); // U+2066 isolate
  EXPECT_EQ(escape_text("a\xe2\x80\xa8" "b"), "a\\xe2\\x80\\xa8" "b"); // U+2028 line separator
  EXPECT_EQ(escape_text("\xff\xc3"), "\\xff\\xc3");                    // not UTF-8
}

TEST(EscapeText, IsIdempotentAndKeepsBackslashes) {
  for (const std::string text : {"plain", "a\\b", "x\ny\x1b", "\xe2\x80\xae", "\\x0a"}) {
    const std::string once = escape_text(text);
    EXPECT_EQ(escape_text(once), once) << once;
  }
  EXPECT_EQ(escape_text("C:\\path"), "C:\\path");
}

TEST(EscapeText, CutsLongTexts) {
  const std::string cut = escape_text(std::string(1000, 'a'), 10);
  EXPECT_EQ(cut, std::string(10, 'a') + "…");
}

TEST(EscapeLines, KeepsTheLinesEscapesTheRest) {
  EXPECT_EQ(escape_lines("a\nb\x1b\n"), "a\nb\\x1b\n");
  EXPECT_EQ(escape_lines("one\r\ntwo"), "one\\x0d\ntwo");
  EXPECT_EQ(escape_lines(""), "");
}

TEST(Printable, IsAsciiOnlyWithBackslashEscaped) {
  EXPECT_EQ(printable("a\\b\n\xc3\xa9"), "a\\x5cb\\x0a\\xc3\\xa9");
  EXPECT_EQ(printable(std::string(100, 'x'), 4), "xxxx…");
}

// JSON strings (bb/ir/json.h): plain runs are copied as they are, everything else
// escaped, byte for byte the same output whatever the mix.
TEST(JsonString, EscapesWhatJsonNeedsAndKeepsTheRest) {
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("id:alice"), "\"id:alice\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(json_string(std::string("nul\0\x1f", 5)), "\"nul\\u0000\\u001f\"");
  EXPECT_EQ(json_string("del\x7f"), "\"del\x7f\"");
  EXPECT_EQ(json_string("nœud-ノード"), "\"nœud-ノード\"");
  EXPECT_EQ(json_string("bad\xff!\xc3"), "\"bad\\ufffd!\\ufffd\"");  // not UTF-8
  std::string out = "x";
  append_json_string(out, "y");
  EXPECT_EQ(out, "x\"y\"");
}

}  // namespace
}  // namespace bb::ir
