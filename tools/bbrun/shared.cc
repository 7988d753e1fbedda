// What the single-node and the simulated runs share: the state flags, and the signals
// that stop a run cleanly.
#include <csignal>

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
