// Helpers of the observability tests: a scratch folder, running a command with its
// output captured, compiling an example graph with the built bbc.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/temp_dir.h"
#include "../support/tool_run.h"

namespace bb::testing {

using CommandRun = ToolRun;

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs `command` through the shell in `dir`, stdout and stderr captured.
inline CommandRun run_in(const std::filesystem::path& dir, const std::string& command) {
  return run_captured("cd " + shell_quote(dir.string()) + " && " + command, dir);
}

// The demo deployment (examples/demo) compiled into `dir`, as tools/demo.sh does.
inline bool compile_demo(const std::filesystem::path& dir) {
  const std::filesystem::path demo = std::filesystem::path(BB_SOURCE_DIR) / "examples" / "demo";
  for (const char* graph : {"alice", "receiver"}) {
    const auto r = run_in(dir, std::string(BBC_PATH) + " compile '" + (demo / (std::string(graph) + ".onnxtxt")).string() +
                                   "' -o " + graph + ".bb");
    if (r.code != 0) return false;
  }
  std::filesystem::copy_file(demo / "deploy.toml", dir / "deploy.toml",
                             std::filesystem::copy_options::overwrite_existing);
  return true;
}

}  // namespace bb::testing
