// Shell files generated from a tool's CLI11 definition, so they cannot drift from it:
// a bash completion script and a man page (roff). Each tool has a hidden flag
// `--print-shell-file bash-completion|man` that prints one (the build runs it and
// `cmake --install` installs the results; docs/observability.md).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace bb::cli_docs {

inline constexpr const char* kFlag = "--print-shell-file";

// `complete -F` script for `app` and its subcommands: option names, the choices of
// options checked with CLI::IsMember, subcommand names, files elsewhere.
std::string bash_completion(CLI::App& app);

// A section-1 man page: NAME, SYNOPSIS, DESCRIPTION, OPTIONS by group, then one
// subsection per subcommand. `version` goes into the header; nothing depends on the date.
std::string man_page(CLI::App& app, const std::string& version);

// Adds the hidden `--print-shell-file KIND` option to `app`: when given it prints the
// file to stdout and ends the parse (CLI::Success, exit 0) before any other check.
void add_print_flag(CLI::App& app, const std::string& version);

}  // namespace bb::cli_docs
