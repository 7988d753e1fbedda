// Helpers of the observability tests: a scratch folder, running a command with its
// output captured, compiling an example graph with the built bbc.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/temp_dir.h"

namespace bb::testing {

struct CommandRun {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs `command` through the shell in `dir`, stdout and stderr captured.
inline CommandRun run_in(const std::filesystem::path& dir, const std::string& command) {
  const auto out = dir / "cmd.stdout", err = dir / "cmd.stderr";
  const std::string cmd = "cd '" + dir.string() + "' && " + command + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return CommandRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
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
