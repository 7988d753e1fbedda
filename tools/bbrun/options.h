// What the bbrun command line asks for, after parsing (the state flags are a settings
// layer not yet merged with the --config file or the deployment).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bb/ir/envelope.h"
#include "bb/ir/expected.h"
#include "bb/ir/limits.h"
#include "bb/ir/peer_id.h"
#include "bb/net/security.h"
#include "bb/runtime/settings.h"
#include "bb/runtime/value.h"

namespace CLI {
class App;
}  // namespace CLI

namespace bb::runtime {
class Program;
}  // namespace bb::runtime
namespace bb::sim {
struct Deployment;
}  // namespace bb::sim

namespace bb::bbrun {

// Graph inputs by name (--input, --inputs, a deployment node's `inputs`).
using GraphInputs = std::vector<std::pair<std::string, runtime::Value>>;

struct Options {
  std::string file;
  std::string peer = "id:local";
  bool peer_given = false;  // --peer was on the command line
  std::optional<std::int64_t> duration_ns;
  std::optional<std::int64_t> executions;
  std::uint64_t seed = 0;
  bool seed_given = false;  // --seed was on the command line (it overrides a deployment's)
  bool virtual_time = false;
  std::vector<std::pair<std::string, std::string>> inputs;  // NAME, FILE.pb
  std::string inputs_dir;   // --inputs DIR: DIR/input_<k>.pb for graph input k
  std::string outputs_dir;  // --outputs DIR: DIR/output_<k>.pb for graph output k after the run
  std::string config;
  std::string metrics;
  std::string trace;
  std::string trace_format = "jsonl";  // jsonl | chrome (--trace-format)
  std::string metrics_listen;          // HOST:PORT of the Prometheus endpoint (--metrics-listen)
  bool no_verify = false;
  runtime::SettingsOverlay state;  // the state flags
  ir::ModelLimits model_limits;     // --max-file-bytes, --max-nodes, --max-attribute-bytes, --max-tensor-elements
  ir::EnvelopeLimits envelope_limits;  // --max-envelope-bytes, --max-envelope-payloads (received envelopes)
  // The real network (docs/wire.md).
  std::string listen;   // --listen HOST:PORT
  std::string peers;    // --peers PEERS.toml
  std::string key;      // --key KEY.pem
  bool insecure = false;
  std::int64_t grace_ns = 2'000'000'000;  // --grace: how long a stopping node waits for its attempts
};

// What a real-network run adds to a single-node run: who this node is, where it listens,
// its address book, its security, and the settings layer of its deployment file.
struct NetPlan {
  std::string graph;
  PeerId self;
  std::string listen;
  std::vector<std::pair<PeerId, std::string>> peers;  // PeerId, host:port
  net::Security security;
  runtime::SettingsOverlay settings;  // the deployment's sections (--deploy), else empty
  bool settings_from_file = false;
  // --deploy: the deployment and the index of this node's [[node]] (its `inputs`).
  const sim::Deployment* deployment = nullptr;
  std::size_t node = 0;
};

// `bbrun keygen FILE [--force]`.
struct KeygenOptions {
  std::string file;
  bool force = false;
};

// Exit codes (docs/spec.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitLoad = 1;
inline constexpr int kExitUsage = 2;

// Runs one node; returns the exit code (128 + signal when stopped by one). With a plan
// the node runs on the real network and a signal ends it cleanly (exit 0).
int run_single(const Options& options, const NetPlan* net = nullptr);
// bbrun FILE --listen … --peers …: the plan from the flags and the peers file.
int run_listen(const Options& options);
// bbrun --deploy DEPLOY.toml --node PEER: the plan from the deployment file.
int run_deploy(const std::string& deployment, const std::string& node, const Options& options);
// Runs a simulated deployment (--sim DEPLOY.toml); the same exit codes.
int run_sim(const std::string& deployment, const Options& options);

// Registers the `keygen` subcommand on `app`; runs it (the same exit codes).
CLI::App* add_keygen_command(CLI::App& app, KeygenOptions& options);
int run_keygen(const KeygenOptions& options);

// The defaults, then the file's layer (--config or the deployment's sections), then the
// state flags; fails on a cap below the base.
Expected<runtime::NodeSettings, std::string> layered_settings(const runtime::SettingsOverlay& file,
                                                              const runtime::SettingsOverlay& flags);

// Node `node`'s `inputs` of a deployment (--sim and --deploy alike): each file read and
// checked, each name an input of `program`. Every problem is logged with the deployment
// file's line; false if there was one (a usage error, like --input's).
bool deployment_inputs(const sim::Deployment& deployment, std::size_t node, const runtime::Program& program,
                       GraphInputs& out);
// False, with an error logged, when --metrics or --trace names one of `inputs` (the same
// file, after symlinks) or each other: writing there would destroy it.
bool outputs_spare_inputs(const Options& options, const std::vector<std::filesystem::path>& inputs);

// SIGINT/SIGTERM set the stop flag (schedulers wake up within milliseconds) and record
// the signal for the exit code 128 + signal.
void install_signal_handlers();

// The paths of a run checked before it starts, so a long simulation does not end on a
// typo: the input is a file (not a folder), and --metrics and --trace name files in
// folders that exist and can be written. "" when they are fine, else the sentence.
std::string check_run_paths(const std::string& input, const std::string& input_flag, const Options& options);
const std::atomic<bool>& stop_flag();
int stop_signal();  // 0: not stopped by a signal

}  // namespace bb::bbrun
