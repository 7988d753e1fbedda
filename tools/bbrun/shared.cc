// What the single-node and the simulated runs share: the state flags, and the signals
// that stop a run cleanly.
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "options.h"

namespace bb::bbrun {
namespace {

std::atomic<bool> g_stop{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  g_signal = sig;
  g_stop.store(true);
}

}  // namespace

Expected<runtime::NodeSettings, std::string> layered_settings(const runtime::SettingsOverlay& file,
                                                              const runtime::SettingsOverlay& flags) {
  runtime::NodeSettings settings;
  runtime::apply_overlay(file, settings);
  runtime::apply_overlay(flags, settings);
  if (auto ok = runtime::check_settings(settings); !ok) return unexpected(std::move(ok.error()));
  return settings;
}

namespace {

// "" when `path` can be created or replaced as a file, else why not.
std::string check_output(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec))
    return flag + " " + path + ": is a folder; give the path of a file to write (e.g. " + (p / "out").string() + ")";
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(folder, ec))
    return flag + " " + path + ": the folder " + folder.string() + " does not exist; create it first";
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    return flag + " " + path + ": the folder " + folder.string() + " is not writable";
  return {};
}

}  // namespace

std::string check_run_paths(const std::string& input, const std::string& input_flag, const Options& options) {
  std::error_code ec;
  if (!input.empty() && std::filesystem::is_directory(input, ec))
    return input_flag + input + ": is a folder, not a file" +
           (input_flag.empty() ? std::string("; give the compiled graph (.bb) to run") : std::string());
  if (!options.metrics.empty())
    if (auto e = check_output("--metrics", options.metrics); !e.empty()) return e;
  if (!options.trace.empty())
    if (auto e = check_output("--trace", options.trace); !e.empty()) return e;
  return {};
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& stop_flag() { return g_stop; }
int stop_signal() { return g_signal; }

}  // namespace bb::bbrun
