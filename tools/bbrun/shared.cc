// What the single-node and the simulated runs share: the state flags, and the signals
// that stop a run cleanly.
#include <csignal>

#include "bb/ir/duration.h"
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

Expected<void, std::string> apply_state_flags(const StateFlags& f, runtime::NodeSettings& s) {
  if (f.backoff_base_ns) s.backoff.base_ns = *f.backoff_base_ns;
  if (f.backoff_cap_ns) s.backoff.cap_ns = *f.backoff_cap_ns;
  if (f.backoff_jitter) s.backoff.jitter = *f.backoff_jitter;
  if (f.governor_threshold) s.governor.threshold = *f.governor_threshold;
  if (f.blocklist) s.governor.blocklist = *f.blocklist;
  if (f.allowlist) s.governor.allowlist = *f.allowlist;
  if (f.dedup_window) s.dedup.window = *f.dedup_window;
  if (f.dedup_ttl_ns) s.dedup.ttl_ns = *f.dedup_ttl_ns;
  if (f.send_timeout_ns) s.send.timeout_ns = *f.send_timeout_ns;
  if (s.backoff.cap_ns < s.backoff.base_ns)
    return unexpected("backoff cap " + format_duration(s.backoff.cap_ns) + " is below the base " +
                      format_duration(s.backoff.base_ns));
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
