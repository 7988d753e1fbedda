// The stable diagnostic codes of bbc (docs/diagnostics.md): BB001–BB031, each with a severity,
// a one-line title, the longer text of lint's SARIF rules, and its section of
// docs/diagnostics.md, which is generated from this catalogue.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace bb::compiler {

enum class Severity { kError, kWarning, kNote };

// "error", "warning", "note" (as in the text form, JSON and SARIF levels).
std::string_view to_string(Severity severity);

inline constexpr std::string_view kBB001 = "BB001";  // not a readable ONNX model
inline constexpr std::string_view kBB002 = "BB002";  // domain without opset_import
inline constexpr std::string_view kBB003 = "BB003";  // unknown op
inline constexpr std::string_view kBB004 = "BB004";  // input never produced
inline constexpr std::string_view kBB005 = "BB005";  // value produced twice
inline constexpr std::string_view kBB006 = "BB006";  // cycle
inline constexpr std::string_view kBB007 = "BB007";  // graph input without a type
inline constexpr std::string_view kBB008 = "BB008";  // bb op arity / attributes
inline constexpr std::string_view kBB009 = "BB009";  // ir_version above 8
inline constexpr std::string_view kBB010 = "BB010";  // Send without destination
inline constexpr std::string_view kBB011 = "BB011";  // malformed peer
inline constexpr std::string_view kBB012 = "BB012";  // Send not behind the full gate chain
inline constexpr std::string_view kBB013 = "BB013";  // gate chain out of order / peer differs
inline constexpr std::string_view kBB014 = "BB014";  // Recv output consumed without the rx chain
inline constexpr std::string_view kBB015 = "BB015";  // channel payload count mismatch
inline constexpr std::string_view kBB016 = "BB016";  // node order not topological
inline constexpr std::string_view kBB017 = "BB017";  // custom op does not match its op manifest
inline constexpr std::string_view kBB018 = "BB018";  // name or stamp reserved for bbc's gates
inline constexpr std::string_view kBB019 = "BB019";  // subgraph redefines a value of an enclosing graph
inline constexpr std::string_view kBB020 = "BB020";  // passport version / digest / missing
inline constexpr std::string_view kBB021 = "BB021";  // compiled output over --max-output-bytes
inline constexpr std::string_view kBB022 = "BB022";  // wire-op name too long to name its gates
inline constexpr std::string_view kBB030 = "BB030";  // node without a name (pedantic)
inline constexpr std::string_view kBB031 = "BB031";  // ops of custom domains (structure only)
inline constexpr std::string_view kBB032 = "BB032";  // across programs: Send on a channel nobody receives
inline constexpr std::string_view kBB033 = "BB033";  // across programs: Recv nobody sends to
inline constexpr std::string_view kBB034 = "BB034";  // across a deployment: Send to a peer outside it

struct CodeInfo {
  std::string_view code;
  Severity severity;
  std::string_view title;        // one line: SARIF shortDescription
  std::string_view description;  // SARIF fullDescription
  std::string_view help;         // how to fix it: SARIF help
  std::string_view doc;          // its section of docs/diagnostics.md (markdown): what, examples, fix
};

// Every code, in code order.
std::span<const CodeInfo> code_catalog();
// nullptr for an unknown code.
const CodeInfo* find_code(std::string_view code);

// docs/diagnostics.md, generated from the catalogue (`bbc codes --markdown`; a test keeps
// the file equal to it).
std::string diagnostics_markdown();

}  // namespace bb::compiler
