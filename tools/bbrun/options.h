// What the bbrun command line asks for, after parsing (flags not yet merged with the
// --config file: `set` records which state flags were given).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/runtime/settings.h"

namespace bb::bbrun {

struct StateFlags {
  std::optional<std::int64_t> backoff_base_ns, backoff_cap_ns, dedup_ttl_ns, send_timeout_ns;
  std::optional<runtime::Jitter> backoff_jitter;
  std::optional<std::uint32_t> governor_threshold;
  std::optional<std::vector<PeerId>> blocklist, allowlist;
  std::optional<std::size_t> dedup_window;
};

struct Options {
  std::string file;
  std::string peer = "id:local";
  std::optional<std::int64_t> duration_ns;
  std::optional<std::int64_t> executions;
  std::uint64_t seed = 0;
  bool seed_given = false;  // --seed was on the command line (it overrides a deployment's)
  bool virtual_time = false;
  std::vector<std::pair<std::string, std::string>> inputs;  // NAME, FILE.pb
  std::string config;
  std::string metrics;
  std::string trace;
  bool no_verify = false;
  StateFlags state;
};

// Exit codes (SPEC Appendix A).
inline constexpr int kExitOk = 0;
inline constexpr int kExitLoad = 1;
inline constexpr int kExitUsage = 2;

// Runs one node; returns the exit code (128 + signal when stopped by one).
int run_single(const Options& options);
// Runs a simulated deployment (--sim DEPLOY.toml); the same exit codes.
int run_sim(const std::string& deployment, const Options& options);

// The state flags over `settings` (defaults, then a file); fails on a cap below the base.
Expected<void, std::string> apply_state_flags(const StateFlags& flags, runtime::NodeSettings& settings);

// SIGINT/SIGTERM set the stop flag (schedulers wake up within milliseconds) and record
// the signal for the exit code 128 + signal.
void install_signal_handlers();
const std::atomic<bool>& stop_flag();
int stop_signal();  // 0: not stopped by a signal

}  // namespace bb::bbrun
