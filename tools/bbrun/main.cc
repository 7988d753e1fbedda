// bbrun — load a compiled graph and run it (docs/runtime.md).
//
//   bbrun FILE.bb [--peer PEER] [--duration D] [--executions N] [--seed S] [--virtual-time]
//                 [--input NAME=FILE.pb]... [--inputs DIR] [--outputs DIR] [--config FILE.toml]
//                 [--metrics FILE.json] [--trace FILE [--trace-format jsonl|chrome]]
//                 [--metrics-listen HOST:PORT] [--no-verify] [--log-level L] [state flags]
//   bbrun --list-ops [--markdown]
//   bbrun keygen FILE [--force]      (a node key; prints its PeerId)
//   bbrun --sim DEPLOY.toml [--duration D] [--seed S] [--metrics FILE.json] [--trace FILE [--trace-format F]]
//               [--log-level L] [state flags]   (the simulated network; docs/simulation.md)
//   bbrun FILE.bb --listen HOST:PORT --peers PEERS.toml [--key KEY.pem | --insecure] [--peer PEER]
//                 [--duration D] [--executions N] [--grace D] …   (the real network; docs/wire.md)
//   bbrun --deploy DEPLOY.toml --node PEER [--insecure] [--duration D] [--executions N] …
#include <charconv>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bb/ir/duration.h"
#include "bb/ir/envelope.h"
#include "bb/ir/limits.h"
#include "bb/net/grpc_log.h"
#include "bb/runtime/config.h"
#include "bb/runtime/plugin_loader.h"
#include "bb/runtime/registry.h"
#include "cli_docs.h"
#include "escaped_log.h"
#include "options.h"

namespace {

using bb::bbrun::Options;

// CLI11 validator + converter for durations (Appendix A grammar).
// A duration flag, as strict as the same key of a deployment or --config file: only
// --grace may be 0.
std::optional<std::int64_t> duration_or_throw(const std::string& flag, const std::string& text,
                                              bool zero_allowed = false) {
  auto d = bb::parse_duration(text);
  if (!d) throw CLI::ValidationError(flag, "'" + text + "': " + d.error());
  if (*d < 0) throw CLI::ValidationError(flag, "'" + text + "': must not be negative");
  if (*d == 0 && !zero_allowed) throw CLI::ValidationError(flag, "'" + text + "': must be longer than 0");
  return *d;
}

// As a deployment's run.seed: a decimal integer from 0 to 2^63-1; a negative or larger
// number is refused, never wrapped or clamped.
std::uint64_t seed_or_throw(const std::string& text) {
  std::int64_t value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0)
    throw CLI::ValidationError("--seed", "'" + text + "' is not an integer from 0 to 9223372036854775807");
  return static_cast<std::uint64_t>(value);
}

std::vector<bb::PeerId> peers_or_throw(const std::string& flag, const std::vector<std::string>& texts) {
  if (texts.size() > bb::runtime::kMaxPeerListEntries)
    throw CLI::ValidationError(flag, std::to_string(texts.size()) + " peers, over the limit of " +
                                         std::to_string(bb::runtime::kMaxPeerListEntries));
  std::vector<bb::PeerId> out;
  for (const auto& t : texts) {
    auto p = bb::PeerId::from_text(t);
    if (!p) throw CLI::ValidationError(flag, "'" + t + "' is not a peer (" + std::string(bb::describe(p.error())) + ")");
    out.push_back(std::move(*p));
  }
  return out;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("bbrun");
  bb::tools::set_escaping_pattern(*logger, "%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  bb::net::route_grpc_logs();  // gRPC's lines in this format, at this level
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bbrun — run a compiled bb graph (a .bb from `bbc compile`)", "bbrun"};
  app.set_version_flag("--version", std::string("bbrun ") + BB_VERSION);
  bb::cli_docs::add_print_flag(app, std::string("bbrun ") + BB_VERSION);
  Options o;
  bool list_ops = false, markdown = false;
  std::string sim, deploy, node, grace, duration, backoff_base, backoff_cap, backoff_jitter, dedup_ttl, send_timeout, log_level = "info";
  std::int64_t executions = -1;
  std::int64_t governor_threshold = 0, dedup_window = 0, dedup_max_streams = 0, send_max_in_flight = 0;
  std::vector<std::string> inputs, blocklist, allowlist, plugins;

  app.add_option("FILE", o.file, "compiled graph (.bb)");
  bb::bbrun::KeygenOptions keygen_options;
  auto* keygen = bb::bbrun::add_keygen_command(app, keygen_options);
  app.add_option("--plugin", plugins, "load a kernel plugin (a shared library built against bb; repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--list-ops", list_ops, "print the op registry: domain<TAB>op_type<TAB>kind<TAB>origin per line");
  app.add_flag("--markdown", markdown, "with --list-ops: the op reference of docs/ops.md");
  app.add_option("--sim", sim, "run a simulated deployment (DEPLOY.toml)");
  auto* network = "real network (docs/wire.md)";
  app.add_option("--listen", o.listen, "run on the network: listen on HOST:PORT (port 0: any free port)")->group(network);
  app.add_option("--peers", o.peers, "with --listen: the address book (TOML: [[peer]] id, address)")->group(network);
  app.add_option("--key", o.key, "this node's key (PEM) for mutual TLS")->group(network);
  app.add_flag("--insecure", o.insecure, "plaintext, peers unauthenticated (trusted networks and tests only)")
      ->group(network);
  app.add_option("--deploy", deploy, "run one [[node]] of this deployment file on the network (with --node)")
      ->group(network);
  app.add_option("--node", node, "with --deploy: the peer of the [[node]] to run")->group(network);
  app.add_option("--grace", grace, "when stopping, wait this long for sends in flight (default 2s)")->group(network);
  app.add_option("--peer", o.peer, "this node's PeerId (id:<name> or base58btc)")->capture_default_str();
  app.add_option("--duration", duration, "run for this long (e.g. 1s, 250ms), real or virtual time");
  app.add_option("--executions", executions, "stop after N executions")->check(CLI::PositiveNumber);
  std::string seed;
  app.add_option("--seed", seed, "seed of the node's RNG (0 to 2^63-1; default 0)");
  app.add_flag("--virtual-time", o.virtual_time, "run on a virtual clock that jumps to the next event");
  app.add_option("--input", inputs, "graph input NAME=FILE.pb (a serialized TensorProto)");
  app.add_option("--inputs", o.inputs_dir, "graph input k from DIR/input_<k>.pb (the ONNX test-data layout)");
  app.add_option("--outputs", o.outputs_dir, "write graph output k to DIR/output_<k>.pb after the run");
  app.add_option("--config", o.config, "settings file (TOML: [backoff] [governor] [dedup] [send])");
  app.add_option("--metrics", o.metrics, "write the metrics JSON here at exit");
  app.add_option("--trace", o.trace, "write the event trace here (JSONL, or see --trace-format)");
  app.add_option("--trace-format", o.trace_format,
                 "jsonl (one event per line) or chrome (Trace Event Format JSON for Perfetto / chrome://tracing)")
      ->check(CLI::IsMember({"jsonl", "chrome"}))
      ->capture_default_str();
  app.add_option("--metrics-listen", o.metrics_listen,
                 "serve Prometheus metrics at http://HOST:PORT/metrics while a real-time run goes");
  app.add_flag("--no-verify", o.no_verify, "skip the graph digest check (the passport must still be there)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  auto* state = "framework state (flags win over --config)";
  app.add_option("--backoff-base", backoff_base, "first backoff delay (default 10ms)")->group(state);
  app.add_option("--backoff-cap", backoff_cap, "largest backoff delay (default 60s)")->group(state);
  app.add_option("--backoff-jitter", backoff_jitter, "none|full|equal|decorrelated")
      ->check(CLI::IsMember({"none", "full", "equal", "decorrelated"}))
      ->group(state);
  app.add_option("--governor-threshold", governor_threshold, "consecutive failures before a peer is down (default 5)")
      ->check(CLI::PositiveNumber)
      ->group(state);
  app.add_option("--blocklist", blocklist, "peers never talked to (repeatable, comma-separated)")
      ->delimiter(',')
      ->group(state);
  app.add_option("--allowlist", allowlist, "when set, the only peers talked to")->delimiter(',')->group(state);
  const bb::runtime::DedupSettings dedup_defaults;
  app.add_option("--dedup-window", dedup_window,
                 "message ids remembered per stream (sender incarnation) below its highest (default " +
                     std::to_string(dedup_defaults.window) + ", at most " +
                     std::to_string(bb::runtime::kMaxDedupWindow) + "); older ones are refused as `replay`")
      ->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(bb::runtime::kMaxDedupWindow)))
      ->group(state);
  app.add_option("--dedup-ttl", dedup_ttl, "how long an idle stream is remembered (default 120s)")->group(state);
  app.add_option("--dedup-max-streams", dedup_max_streams,
                 "streams remembered per node (default " + std::to_string(dedup_defaults.max_streams) +
                     ", at most " + std::to_string(bb::runtime::kMaxDedupStreams) +
                     "); beyond it the least recently used is forgotten")
      ->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(bb::runtime::kMaxDedupStreams)))
      ->group(state);
  app.add_option("--send-timeout", send_timeout, "delivery budget of a Send without deadline_ns (default 1s)")
      ->group(state);
  app.add_option("--send-max-in-flight", send_max_in_flight,
                 "sends to one destination in flight at once on the network; one more ends `unreachable` "
                 "(too_many_in_flight) (default 1024)")
      ->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(bb::runtime::kMaxSendsInFlight)))
      ->group(state);
  // docs/security.md: the model limits have the names and defaults of bbc's.
  const bb::ir::ModelLimits model_defaults;
  const bb::ir::EnvelopeLimits envelope_defaults;
  auto* limits = "limits (docs/security.md; a graph over one does not load: exit 1)";
  app.add_option(std::string(bb::ir::kFlagMaxFileBytes), o.model_limits.max_file_bytes,
                 "largest .bb file read, in bytes (default " + std::to_string(model_defaults.max_file_bytes) + ")")
      ->check(CLI::Range(std::uint64_t{1}, bb::ir::kMaxModelFileBytes))
      ->group(limits);
  app.add_option(std::string(bb::ir::kFlagMaxNodes), o.model_limits.max_nodes,
                 "most nodes (graph, subgraphs and functions) (default " + std::to_string(model_defaults.max_nodes) +
                     ")")
      ->check(CLI::PositiveNumber)
      ->group(limits);
  app.add_option(std::string(bb::ir::kFlagMaxAttributeBytes), o.model_limits.max_attribute_bytes,
                 "largest data of one attribute or initializer, in bytes (default " +
                     std::to_string(model_defaults.max_attribute_bytes) + ")")
      ->check(CLI::PositiveNumber)
      ->group(limits);
  app.add_option(std::string(bb::ir::kFlagMaxTensorElements), o.model_limits.max_tensor_elements,
                 "most elements a tensor may declare (default " + std::to_string(model_defaults.max_tensor_elements) +
                     ")")
      ->check(CLI::PositiveNumber)
      ->group(limits);
  std::size_t max_envelope_bytes = 0;
  app.add_option("--max-envelope-bytes", max_envelope_bytes,
                 "largest envelope sent or accepted, in bytes (default " + std::to_string(envelope_defaults.max_bytes) +
                     ", at most " + std::to_string(bb::ir::kMaxEnvelopeBytesLimit) +
                     "); larger ones are refused as `oversized`")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            std::size_t n = 0;
            if (!CLI::detail::lexical_cast(text, n) || n == 0) return "'" + text + "' is not a byte count >= 1";
            if (n > bb::ir::kMaxEnvelopeBytesLimit)
              return std::to_string(n) + " is over the maximum of " + std::to_string(bb::ir::kMaxEnvelopeBytesLimit) +
                     " (1 GiB) [hint: send larger data in several envelopes]";
            return {};
          },
          "BYTES", "envelope limit"))
      ->group(limits);
  app.add_option("--max-envelope-payloads", o.envelope_limits.max_payloads,
                 "most payload values in one envelope (default " + std::to_string(envelope_defaults.max_payloads) +
                     "); more are dropped as `too_many_payloads`")
      ->check(CLI::PositiveNumber)
      ->group(limits);

  try {
    app.parse(argc, argv);
    if (!duration.empty()) o.duration_ns = duration_or_throw("--duration", duration);
    if (executions > 0) o.executions = executions;
    if (max_envelope_bytes > 0) bb::ir::set_max_envelope_bytes(o.envelope_limits, max_envelope_bytes);
    for (const auto& in : inputs) {
      const auto eq = in.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == in.size())
        throw CLI::ValidationError("--input", "'" + in + "' is not NAME=FILE.pb");
      o.inputs.emplace_back(in.substr(0, eq), in.substr(eq + 1));
    }
    auto& s = o.state;
    if (!backoff_base.empty()) s.backoff_base_ns = duration_or_throw("--backoff-base", backoff_base);
    if (!backoff_cap.empty()) s.backoff_cap_ns = duration_or_throw("--backoff-cap", backoff_cap);
    if (!backoff_jitter.empty()) s.backoff_jitter = bb::runtime::jitter_from_string(backoff_jitter);
    if (governor_threshold > 0) s.governor_threshold = static_cast<std::uint32_t>(governor_threshold);
    if (!blocklist.empty()) s.blocklist = peers_or_throw("--blocklist", blocklist);
    if (!allowlist.empty()) s.allowlist = peers_or_throw("--allowlist", allowlist);
    if (dedup_window > 0) s.dedup_window = static_cast<std::size_t>(dedup_window);
    if (dedup_max_streams > 0) s.dedup_max_streams = static_cast<std::size_t>(dedup_max_streams);
    if (!dedup_ttl.empty()) s.dedup_ttl_ns = duration_or_throw("--dedup-ttl", dedup_ttl);
    if (!send_timeout.empty()) s.send_timeout_ns = duration_or_throw("--send-timeout", send_timeout);
    if (send_max_in_flight > 0) s.send_max_in_flight = static_cast<std::size_t>(send_max_in_flight);
    if (!seed.empty()) o.seed = seed_or_throw(seed);
    if (!list_ops && sim.empty() && deploy.empty() && o.file.empty() && !keygen->parsed()) throw CLI::RequiredError("FILE");
    o.seed_given = app.count("--seed") > 0;
    o.peer_given = app.count("--peer") > 0;
    if (!sim.empty()) {
      // The deployment names the graphs and peers; these belong to a single-node run.
      for (const char* flag : {"FILE", "--peer", "--executions", "--input", "--inputs", "--outputs", "--config"})
        if (app.count(flag) > 0)
          throw CLI::ValidationError(flag, "not with --sim (the deployment file says what each node runs)");
    }
    if (app.count("--trace-format") > 0 && o.trace.empty())
      throw CLI::ValidationError("--trace-format", "only with --trace FILE");
    if (!o.metrics_listen.empty() && (!sim.empty() || o.virtual_time))
      throw CLI::ValidationError("--metrics-listen", "only for a real-time run (not with --sim or --virtual-time)");
    if (!grace.empty()) o.grace_ns = *duration_or_throw("--grace", grace, /*zero_allowed=*/true);
    const bool networked = !o.listen.empty() || !deploy.empty();
    if (!deploy.empty()) {
      if (node.empty()) throw CLI::RequiredError("--node (with --deploy)");
      for (const char* flag : {"FILE", "--peer", "--listen", "--peers", "--config", "--sim", "--input", "--inputs"})
        if (app.count(flag) > 0)
          throw CLI::ValidationError(flag, "not with --deploy (the deployment file says what the node runs)");
    } else if (!node.empty()) {
      throw CLI::ValidationError("--node", "only with --deploy");
    }
    if (!o.listen.empty() && !sim.empty()) throw CLI::ValidationError("--listen", "not with --sim");
    if (o.listen.empty()) {
      for (const char* flag : {"--peers"})
        if (app.count(flag) > 0) throw CLI::ValidationError(flag, "only with --listen");
    }
    if (!networked)
      for (const char* flag : {"--key", "--insecure", "--grace"})
        if (app.count(flag) > 0) throw CLI::ValidationError(flag, "only with --listen or --deploy");
    if (networked && o.virtual_time) throw CLI::ValidationError("--virtual-time", "not on the real network");
    if (markdown && !list_ops) throw CLI::ValidationError("--markdown", "only with --list-ops");
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : bb::bbrun::kExitUsage;
  }
  setup_logging(log_level);
  if (keygen->parsed()) return bb::bbrun::run_keygen(keygen_options);

  if (auto ok = bb::runtime::registry::check(); !ok) {
    spdlog::error("{}", ok.error());
    return bb::bbrun::kExitLoad;
  }
  // Plugins before anything looks kernels up; each error names the library.
  if (auto ok = bb::runtime::load_plugins(plugins); !ok) {
    spdlog::error("{}", ok.error());
    return bb::bbrun::kExitLoad;
  }
  {
    std::vector<std::filesystem::path> read;
    for (const std::string* in : {&o.file, &sim, &deploy, &o.config, &o.peers, &o.key})
      if (!in->empty()) read.emplace_back(*in);
    for (const auto& lib : plugins) read.emplace_back(lib);
    for (const auto& in : o.inputs) read.emplace_back(in.second);
    if (!bb::bbrun::outputs_spare_inputs(o, read)) return bb::bbrun::kExitUsage;
  }
  if (list_ops) {
    std::cout << (markdown ? bb::runtime::registry::list_markdown() : bb::runtime::registry::list_text());
    return bb::bbrun::kExitOk;
  }
  const std::string checked = !sim.empty() ? bb::bbrun::check_run_paths(sim, "--sim ", o)
                              : !deploy.empty() ? bb::bbrun::check_run_paths(deploy, "--deploy ", o)
                                                : bb::bbrun::check_run_paths(o.file, "", o);
  if (!checked.empty()) {
    spdlog::error("{}", checked);
    return bb::bbrun::kExitUsage;
  }
  if (!sim.empty()) return bb::bbrun::run_sim(sim, o);
  if (!deploy.empty()) return bb::bbrun::run_deploy(deploy, node, o);
  if (!o.listen.empty()) return bb::bbrun::run_listen(o);
  return bb::bbrun::run_single(o);
}
