// A single-node run: load, verify, build the node on a real (or virtual) clock, with no
// network transport or with the gRPC one (a NetPlan: --listen, --deploy), run until the
// duration, the execution limit, idleness (without a network) or a signal, then report
// (summary on stderr, --metrics JSON, --trace). With --metrics-listen the node's
// metrics are served over HTTP while it runs.
//
// A networked node stops in order: it stops accepting, waits up to --grace for its
// attempts in flight, ends the rest as `timeout`, hands the last outcomes to the node,
// prints the summary and exits 0 (also on SIGINT/SIGTERM).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <iostream>

#include <spdlog/spdlog.h>

#include "bb/ir/escape.h"
#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/prometheus/exporter.h"
#include "bb/runtime/chrome_trace.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/config.h"
#include "bb/runtime/node.h"
#include "bb/runtime/gate_audit.h"
#include "bb/runtime/program.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/tensor_proto.h"
#include "bb/net/grpc_transport.h"
#include "bb/net/security.h"
#include "options.h"
#include "timeline.h"
#include "trace_output.h"

namespace bb::bbrun {
namespace {

// Defaults, then the --config file (or the deployment's sections), then the flags.
Expected<runtime::NodeSettings, std::string> settings_for(const Options& o, const NetPlan* net) {
  runtime::SettingsOverlay file;
  if (net != nullptr && net->settings_from_file) {
    file = net->settings;
  } else if (!o.config.empty()) {
    auto read = runtime::read_config_file(o.config);
    if (!read) return unexpected(describe(read.error()));
    file = std::move(*read);
  }
  return layered_settings(file, o.state);
}

Expected<std::vector<std::pair<std::string, runtime::Value>>, std::string> read_inputs(const Options& o) {
  std::vector<std::pair<std::string, runtime::Value>> out;
  for (const auto& [name, file] : o.inputs) {
    auto converted = runtime::read_tensor_file(file);
    if (!converted) return unexpected("--input " + name + "=" + file + ": " + converted.error());
    out.emplace_back(name, runtime::Value::tensor(std::move(*converted)));
  }
  return out;
}

// The networked node's end: no new inbound work, the attempts in flight get up to
// `grace` to end, the rest end as `timeout`, and every outcome reaches the node.
void wind_down(runtime::Scheduler& scheduler, net::GrpcTransport& transport, std::int64_t grace) {
  transport.stop_accepting();
  const std::int64_t deadline = scheduler.now_ns() + grace;
  while (transport.in_flight() > 0 && scheduler.now_ns() < deadline) scheduler.run_one(deadline);
  transport.shutdown();
  scheduler.set_open(false);
  scheduler.run_posted();  // not the timers: an Interval due now would send after the end
}

Expected<std::unique_ptr<net::GrpcTransport>, std::string> start_network(const NetPlan& plan, const Options& o,
                                                                          const runtime::NodeSettings& settings,
                                                                          runtime::Scheduler& scheduler,
                                                                          runtime::TransportEndpoint& node,
                                                                          runtime::ChannelFilter accepts) {
  net::GrpcTransportConfig c;
  c.self = plan.self;
  c.listen = plan.listen;
  for (const auto& [peer, address] : plan.peers) c.peers.push_back(net::PeerAddress{peer, address});
  c.limits = o.envelope_limits;
  c.send_timeout_ns = settings.send.timeout_ns;
  c.max_in_flight = settings.send.max_in_flight;
  c.security = plan.security;
  c.accepts = std::move(accepts);
  if (!c.security.authenticates() && !net::is_loopback_address(plan.listen))
    spdlog::warn("{}: listening without TLS on a non-loopback address: anyone who can reach it can send as any peer",
                 plan.listen);
  return net::GrpcTransport::start(std::move(c), scheduler, node);
}

// --inputs DIR: DIR/input_<k>.pb is graph input k (inputs with an initializer are not
// counted), as in ONNX's test data; a TensorProto that carries a name must carry k's.
Expected<void, std::string> read_inputs_dir(const Options& o, const runtime::Program& program,
                                            std::vector<std::pair<std::string, runtime::Value>>& out) {
  namespace fs = std::filesystem;
  const auto& inputs = program.graph_inputs();
  std::error_code ec;
  if (!fs::is_directory(o.inputs_dir, ec)) return unexpected("--inputs " + o.inputs_dir + ": not a folder");
  for (std::size_t k = 0;; ++k) {
    const fs::path file = fs::path(o.inputs_dir) / ("input_" + std::to_string(k) + ".pb");
    if (!fs::exists(file, ec)) break;
    const std::string flag = "--inputs " + o.inputs_dir;
    if (k >= inputs.size())
      return unexpected(flag + ": " + file.string() + ": the graph has " + std::to_string(inputs.size()) +
                        " input(s) without an initializer");
    std::string named;
    auto tensor = runtime::read_tensor_file(file, std::uint64_t{1} << 31, &named);
    if (!tensor) return unexpected(flag + ": " + file.string() + ": " + tensor.error());
    const std::string& name = inputs[k].first;
    if (!named.empty() && named != name)
      return unexpected(flag + ": " + file.string() + " is named '" + named + "' but graph input " +
                        std::to_string(k) + " is '" + name + "'");
    out.emplace_back(name, runtime::Value::tensor(std::move(*tensor)));
  }
  return {};
}

// --outputs DIR: graph output k as DIR/output_<k>.pb (named as the output). An output
// without a tensor value is reported and not written.
bool write_outputs(const Options& o, const runtime::Node& node) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.outputs_dir, ec);
  const auto& outputs = node.program().graph_outputs();
  bool ok = true;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const runtime::Value& value = node.output(k);
    const std::string& name = outputs[k].first;
    if (value.kind() != runtime::ValueKind::kTensor) {
      spdlog::warn("--outputs {}: graph output '{}' has {}: output_{}.pb not written", o.outputs_dir, name,
                   value.has_value() ? runtime::describe(value) + ", not a tensor" : std::string("no value"), k);
      continue;
    }
    onnx::TensorProto proto = runtime::to_proto(value.as_tensor());
    proto.set_name(name);
    const fs::path file = fs::path(o.outputs_dir) / ("output_" + std::to_string(k) + ".pb");
    if (auto w = ir::write_file_atomic(file, proto.SerializeAsString()); !w) {
      spdlog::error("--outputs {}: {}", o.outputs_dir, w.error().message);
      ok = false;
    }
  }
  return ok;
}

void run_loop(runtime::Scheduler& scheduler, runtime::Node& node, std::int64_t until) {
  const std::atomic<bool>& stop = stop_flag();
  while (!stop.load() && !node.done()) {
    if (!scheduler.run_one(until, &stop)) break;
  }
  // A run with --duration covers [0, D) even when the queue outlives it.
  if (until == runtime::Scheduler::kForever || stop.load() || node.done() || scheduler.empty()) return;
  if (scheduler.clock().is_virtual())
    static_cast<runtime::VirtualClock&>(scheduler.clock()).advance_to(until);
  else
    scheduler.wait_until(until, &stop);
}

}  // namespace

int run_single(const Options& o, const NetPlan* net) {
  auto peer = net != nullptr ? Expected<PeerId, PeerIdError>(net->self) : PeerId::from_text(o.peer);
  if (!peer) {
    spdlog::error("--peer '{}': not a peer ({}) [hint: id:<name> or base58btc]", o.peer, describe(peer.error()));
    return kExitUsage;
  }
  const std::string& file = net != nullptr ? net->graph : o.file;
  auto settings = settings_for(o, net);
  if (!settings) {
    spdlog::error("{}", settings.error());
    return kExitUsage;
  }
  auto inputs = read_inputs(o);
  if (!inputs) {
    spdlog::error("{}", inputs.error());
    return kExitUsage;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    spdlog::error("{}: no such file [hint: compile a graph with `bbc compile graph.onnx`]", file);
    return kExitUsage;
  }
  runtime::LoadOptions load_options;
  load_options.verify_digest = !o.no_verify;
  load_options.limits = o.model_limits;
  auto program = runtime::Program::load(file, load_options);
  if (!program) {
    spdlog::error("{}", program.error().message);
    return kExitLoad;
  }
  for (const auto& ungated : runtime::ungated_wire_ops((*program)->model())) spdlog::warn("{}: {}", file, ungated);
  if (!o.inputs_dir.empty()) {
    if (auto read = read_inputs_dir(o, **program, *inputs); !read) {
      spdlog::error("{}", read.error());
      return kExitUsage;
    }
  }
  if (net != nullptr && net->deployment != nullptr && !deployment_inputs(*net->deployment, net->node, **program, *inputs))
    return kExitUsage;

  // The trace file is opened once the node exists (creating it writes no event): a
  // graph whose kernels refuse their attributes leaves no file behind.
  std::optional<TraceOutput> trace;
  if (!o.trace.empty()) trace.emplace(o.trace, o.trace_format);
  // The Prometheus endpoint listens before the run starts, so a bad address fails fast.
  std::unique_ptr<prom::Exporter> exporter;
  if (!o.metrics_listen.empty()) {
    auto listening = prom::Exporter::listen(prom::ExporterOptions{o.metrics_listen});
    if (!listening) {
      spdlog::error("{}", listening.error());
      return kExitUsage;
    }
    exporter = std::move(*listening);
    spdlog::info("metrics at http://{}/metrics (port {})", o.metrics_listen, exporter->port());
  }
  runtime::ChromeTrace* chrome = trace ? trace->chrome() : nullptr;
  std::optional<runtime::ObserverTee> both;
  if (chrome != nullptr && exporter) both.emplace(*chrome, exporter->traffic());
  runtime::PeerObserver* observer = both ? static_cast<runtime::PeerObserver*>(&*both)
                                    : exporter ? static_cast<runtime::PeerObserver*>(&exporter->traffic())
                                               : chrome;

  runtime::VirtualClock virtual_clock;
  runtime::RealClock real_clock;
  runtime::Clock& clock = o.virtual_time ? static_cast<runtime::Clock&>(virtual_clock) : real_clock;
  runtime::Scheduler scheduler(clock);
  runtime::NodeConfig config;
  config.peer = *peer;
  config.seed = o.seed;
  // On the network a restarted process is a new incarnation: its message ids start
  // again, and its peers' DedupGateRx must not take them for repeats of the last one's.
  // The wall clock at start orders a process's incarnations (a real-time run).
  if (net != nullptr)
    config.incarnation = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  config.settings = *settings;
  config.max_executions = o.executions.value_or(-1);
  config.trace = trace ? trace->sink() : nullptr;
  config.observer = observer;
  config.inputs = std::move(*inputs);
  Timeline timeline;
  if (net != nullptr && spdlog::should_log(spdlog::level::info)) config.observer = &timeline;
  // Without a network the node has no transport: every attempt ends `unreachable`.
  std::unique_ptr<net::GrpcTransport> started_network;
  if (net != nullptr)
    config.transport = [&](runtime::TransportEndpoint& endpoint,
                           runtime::ChannelFilter accepts) -> Expected<runtime::Transport*, std::string> {
      auto started = start_network(*net, o, *settings, scheduler, endpoint, std::move(accepts));
      if (!started) return unexpected(std::move(started.error()));
      started_network = std::move(*started);
      return started_network.get();
    };
  auto node = runtime::Node::create(*program, scheduler, std::move(config));
  if (!node) {
    spdlog::error("{}", node.error().message);
    return node.error().kind == runtime::LoadError::Kind::kTransport ? kExitUsage : kExitLoad;
  }
  // Declared after the node, so it is destroyed first: it may end attempts on its way out.
  std::unique_ptr<net::GrpcTransport> network = std::move(started_network);
  if (trace && !trace->open()) return kExitUsage;
  if (network) {
    scheduler.set_open(true);  // the network may bring work at any time
    spdlog::info("{} listening on {} ({}, {} peer(s) in the address book)", (*node)->peer_text(),
                 net->listen.substr(0, net->listen.rfind(':')) + ":" + std::to_string(network->port()),
                 net->security.mode, net->peers.size());
  }

  install_signal_handlers();
  (*node)->start();
  if (exporter) exporter->watch(**node, scheduler);
  run_loop(scheduler, **node, o.duration_ns.value_or(runtime::Scheduler::kForever));
  if (network) wind_down(scheduler, *network, o.grace_ns);

  const std::int64_t end = scheduler.now_ns();
  if (exporter) exporter->stop();
  std::string sha;
  if (trace) sha = trace->finish(end);
  std::vector<runtime::NodeReport> reports{(*node)->report()};
  if (network) {
    reports[0].links = network->links();
    reports[0].bytes_received = network->bytes_received();
    reports[0].refused = network->refusals().nonzero();
  }
  std::cerr << "== bbrun " << ir::escape_text(file) << ": ran " << format_time(end) << (o.virtual_time ? " (virtual time)" : "")
            << (stop_signal() ? ", stopped by signal " + std::to_string(stop_signal()) : std::string()) << "\n"
            << runtime::summary_text(reports, nullptr) << (network ? timeline.table() : std::string());
  // A networked node's signal is its normal way to stop.
  int code = stop_signal() && !network ? 128 + stop_signal() : kExitOk;
  if (trace && trace->failed() && code == kExitOk) code = kExitUsage;
  if (!o.outputs_dir.empty() && !write_outputs(o, **node) && code == kExitOk) code = kExitUsage;
  if (!o.metrics.empty()) {
    if (auto w = ir::write_file_atomic(o.metrics, runtime::metrics_json(reports, nullptr, sha)); !w) {
      spdlog::error("--metrics {}: {}", o.metrics, w.error().message);
      if (code == kExitOk) code = kExitUsage;
    }
  }
  if (trace) std::cerr << "trace sha256: " << sha << "\n";
  return code;
}

}  // namespace bb::bbrun
