// Bash completion and man pages of bbc and bbrun (tools/cli_docs): generated from the
// CLI11 definitions, so every flag `--help` shows is in both files; the files the build
// wrote are what the tools print now; the completion works in bash, the man page renders
// without a groff warning, and `cmake --install` puts them (and bb-plot) in place.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "observe_util.h"

namespace bb {
namespace {

namespace fs = std::filesystem;
using testing::run_in;
using testing::slurp;
using testing::TempDir;

const fs::path kShare = fs::path(BB_BINARY_DIR) / "share";

struct Tool {
  std::string name, path;
  std::vector<std::string> subcommands;
};
const Tool kTools[] = {{"bbc", BBC_PATH, {"compile", "lint", "passes", "inspect"}}, {"bbrun", BBRUN_PATH, {"keygen"}}};

// Every flag name in the help of the tool and of each subcommand.
std::set<std::string> help_flags(const TempDir& dir, const Tool& tool) {
  std::set<std::string> out;
  std::vector<std::string> helps{tool.path + " --help"};
  for (const auto& sub : tool.subcommands) helps.push_back(tool.path + " " + sub + " --help");
  const std::regex flag("(^|[ ,])(--?[A-Za-z][A-Za-z0-9-]*)");
  for (const auto& cmd : helps) {
    const auto r = run_in(dir.path(), cmd);
    EXPECT_EQ(r.code, 0) << cmd << ": " << r.err;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      // Option lines start with spaces then a dash; descriptions may mention flags too.
      const auto first = line.find_first_not_of(' ');
      if (first == std::string::npos || line[first] != '-') continue;
      const std::string names = line.substr(0, line.find("  ", first));
      for (std::sregex_iterator it(names.begin(), names.end(), flag), end; it != end; ++it) out.insert((*it)[2].str());
    }
  }
  return out;
}

std::string roff_flag(const std::string& flag) { return std::regex_replace(flag, std::regex("-"), "\\-"); }

TEST(ShellFiles, EveryFlagIsInTheCompletionAndTheManPage) {
  TempDir dir;
  for (const auto& tool : kTools) {
    const std::string completion = slurp(kShare / "bash-completion/completions" / tool.name);
    const std::string man = slurp(kShare / "man/man1" / (tool.name + ".1"));
    const auto flags = help_flags(dir, tool);
    EXPECT_GT(flags.size(), tool.name == "bbc" ? 15u : 25u) << tool.name;
    for (const auto& f : flags) {
      EXPECT_TRUE(std::regex_search(completion, std::regex("[ ':]" + f + "[ ']"))) << tool.name << " completion: " << f;
      EXPECT_NE(man.find("\\fB" + roff_flag(f) + "\\fR"), std::string::npos) << tool.name << " man page: " << f;
    }
    for (const auto& sub : tool.subcommands) {
      EXPECT_NE(completion.find(sub), std::string::npos) << sub;
      EXPECT_NE(man.find(".SS \"" + tool.name + " " + sub + "\""), std::string::npos) << sub;
    }
    // The hidden generator flag is neither in the help nor in the files.
    EXPECT_EQ(flags.count("--print-shell-file"), 0u);
    EXPECT_EQ(completion.find("'--print-shell-file'"), std::string::npos);
  }
}

TEST(ShellFiles, TheBuiltFilesAreWhatTheToolsPrint) {
  TempDir dir;
  for (const auto& tool : kTools) {
    auto r = run_in(dir.path(), tool.path + " --print-shell-file bash-completion");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, slurp(kShare / "bash-completion/completions" / tool.name)) << tool.name;
    r = run_in(dir.path(), tool.path + " --print-shell-file man");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, slurp(kShare / "man/man1" / (tool.name + ".1"))) << tool.name;
    EXPECT_EQ(run_in(dir.path(), tool.path + " --print-shell-file zsh").code, 2);
  }
}

// What the completion function proposes for the words typed so far (the last is the
// word being completed).
std::string complete(const TempDir& dir, const std::string& tool, const std::string& words) {
  const auto file = kShare / "bash-completion/completions" / tool;
  const auto r = run_in(dir.path(), "bash -c 'source " + file.string() + " && COMP_WORDS=(" + words +
                                        ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _" + tool +
                                        "_complete && echo \"${COMPREPLY[*]}\"'");
  EXPECT_EQ(r.code, 0) << r.err;
  return r.out;
}

TEST(ShellFiles, CompletionWorksInBash) {
  TempDir dir;
  EXPECT_EQ(complete(dir, "bbc", "bbc \"\""), "compile lint passes inspect\n");
  EXPECT_EQ(complete(dir, "bbc", "bbc lint --format \"\""), "text json sarif\n");
  EXPECT_EQ(complete(dir, "bbc", "bbc inspect --fo"), "--format\n");
  EXPECT_EQ(complete(dir, "bbrun", "bbrun --trace-format c"), "chrome\n");
  EXPECT_EQ(complete(dir, "bbrun", "bbrun --metrics-l"), "--metrics-listen\n");
  testing::write_file(dir / "graph.bb", "");
  EXPECT_EQ(complete(dir, "bbrun", "bbrun gra"), "graph.bb\n");
  testing::write_file(dir / "key.pem", "");
  EXPECT_EQ(complete(dir, "bbrun", "bbrun k"), "keygen key.pem\n");  // a subcommand or a file
  EXPECT_EQ(complete(dir, "bbrun", "bbrun keygen k"), "key.pem\n");
}

TEST(ShellFiles, ManPagesRenderWithoutWarnings) {
  TempDir dir;
  for (const auto& tool : kTools) {
    const auto r = run_in(dir.path(), "groff -man -Tutf8 -ww -z " + (kShare / "man/man1" / (tool.name + ".1")).string());
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "") << tool.name;
  }
}

TEST(ShellFiles, InstalledUnderShare) {
  TempDir dir;
  const auto r = run_in(dir.path(), "cmake --install " + std::string(BB_BINARY_DIR) + " --prefix " + (dir / "p").string());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* file : {"share/bash-completion/completions/bbc", "share/bash-completion/completions/bbrun",
                           "share/man/man1/bbc.1", "share/man/man1/bbrun.1", "bin/bb-plot"})
    EXPECT_TRUE(fs::is_regular_file(dir / "p" / file)) << file;
}

}  // namespace
}  // namespace bb
