// bbrun --sim DEPLOY.toml: every [[node]] of a deployment runs its compiled graph on
// one virtual clock over the simulated network (docs/simulation.md).
//
// Settings: the defaults, then the deployment's sections, then the state flags;
// --seed and --duration override [run]. While it runs, the feedback loop is logged
// (info): every failed attempt with the cooldown it starts, every success that clears
// failures, how many sends the Tx gates held in between, crashes and restarts. At exit:
// the summary (per node, then the network totals) and `trace sha256: <hex>` on stderr
// (the trace is always hashed: it is the run's fingerprint), --metrics, --trace.
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "bb/ir/escape.h"
#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/gate_audit.h"
#include "bb/runtime/program.h"
#include "bb/runtime/chrome_trace.h"
#include "bb/runtime/plugin_loader.h"
#include "bb/runtime/trace.h"
#include "bb/sim/deployment.h"
#include "bb/sim/host.h"
#include "options.h"
#include "timeline.h"
#include "trace_output.h"

namespace bb::bbrun {
namespace {

struct Loaded {
  std::vector<std::shared_ptr<const runtime::Program>> programs;  // by [[node]]
  std::vector<GraphInputs> inputs;                                 // by [[node]]
  int code = kExitOk;
};

// Each graph once (nodes may share one); errors cite the [[node]] line. A missing file
// is a usage error (2), a file that does not load a load error (1).
Loaded load_graphs(const sim::Deployment& d, const Options& o) {
  Loaded out;
  std::map<std::string, std::shared_ptr<const runtime::Program>> cache;
  runtime::LoadOptions options;
  options.verify_digest = !o.no_verify;
  options.limits = o.model_limits;
  for (std::size_t i = 0; i < d.nodes.size(); ++i) {
    const sim::NodeSpec& spec = d.nodes[i];
    auto& program = cache[spec.graph.string()];
    if (!program) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(spec.graph, ec)) {
        spdlog::error("{}:{}: node[{}].graph: {}: no such file [hint: compile it with `bbc compile`, next to the "
                      "deployment file]", d.file.string(), spec.line, i, spec.graph.string());
        out.code = kExitUsage;
        continue;
      }
      auto loaded = runtime::Program::load(spec.graph, options);
      if (!loaded) {
        spdlog::error("{}:{}: node[{}].graph: {}", d.file.string(), spec.line, i, loaded.error().message);
        if (out.code == kExitOk) out.code = kExitLoad;
        continue;
      }
      program = *loaded;
      for (const auto& ungated : runtime::ungated_wire_ops(program->model()))
        spdlog::warn("{}: {}", spec.graph.string(), ungated);
    }
    out.programs.push_back(program);
    out.inputs.emplace_back();
    if (!deployment_inputs(d, i, *program, out.inputs.back())) out.code = kExitUsage;
  }
  return out;
}

}  // namespace

int run_sim(const std::string& path, const Options& o) {
  auto deployment = sim::load_deployment(path);
  if (!deployment) {
    spdlog::error("{}", sim::describe(deployment.error()));
    return kExitUsage;
  }
  sim::Deployment& d = *deployment;
  if (o.seed_given) d.seed = o.seed;
  if (o.duration_ns) d.duration_ns = o.duration_ns;
  auto settings = layered_settings(d.settings, o.state);  // defaults, the file's sections, the flags
  if (!settings) {
    spdlog::error("{}", settings.error());
    return kExitUsage;
  }
  // Kernels are process-wide: every node's plugins load before any graph does.
  for (const auto& node : d.nodes)
    for (const auto& lib : node.plugins)
      if (auto ok = runtime::load_plugin(lib.string()); !ok) {
        spdlog::error("{}: node {}: {}", d.file.string(), node.peer.to_text(), ok.error());
        return kExitLoad;
      }
  std::vector<std::filesystem::path> read;
  for (const auto& node : d.nodes) {
    read.push_back(node.graph);
    read.insert(read.end(), node.plugins.begin(), node.plugins.end());
    for (const auto& in : node.inputs) read.push_back(in.file);
  }
  if (!outputs_spare_inputs(o, read)) return kExitUsage;
  Loaded loaded = load_graphs(d, o);
  if (loaded.code != kExitOk) return loaded.code;

  // A simulation always hashes its trace (its fingerprint for a seed); --trace also
  // writes the lines.
  TraceOutput trace(o.trace, o.trace_format);
  if (!trace.open()) return kExitUsage;
  Timeline timeline;
  const bool watch = spdlog::should_log(spdlog::level::info);
  // The Chrome trace draws cooldowns: it watches the feedback loop beside the log.
  runtime::ChromeTrace* chrome = trace.chrome();
  std::optional<runtime::ObserverTee> both;
  if (watch && chrome != nullptr) both.emplace(timeline, *chrome);
  runtime::PeerObserver* observer = both ? static_cast<runtime::PeerObserver*>(&*both)
                                    : watch ? static_cast<runtime::PeerObserver*>(&timeline)
                                            : chrome;

  sim::SimulationConfig config;
  config.network = d.network_config();
  config.network.limits = o.envelope_limits;
  config.settings = std::move(*settings);
  config.trace = trace.sink();
  config.observer = observer;
  sim::Simulation simulation(std::move(config));
  for (std::size_t i = 0; i < d.nodes.size(); ++i)
    simulation.add_node(d.nodes[i].peer, loaded.programs[i], std::move(loaded.inputs[i]));
  for (const sim::Fault& fault : d.faults) simulation.add_fault(fault);
  if (watch || chrome != nullptr) {
    simulation.on_crash = [watch, chrome](const PeerId& p, std::int64_t t) {
      if (watch) spdlog::info("{}  {} crashed", at(t), p.to_text());
      if (chrome != nullptr) chrome->node_instant(t, p.to_text(), "crashed", true);
    };
    simulation.on_restart = [watch, chrome](const PeerId& p, std::int64_t t, std::uint64_t inc) {
      if (watch) spdlog::info("{}  {} restarted (incarnation {})", at(t), p.to_text(), inc);
      if (chrome != nullptr) chrome->node_instant(t, p.to_text(), "restarted", false);
    };
    // A partition is logged as a crash is: its members stay up, cut off from the rest.
    simulation.on_partition = [watch](const std::vector<PeerId>& members, std::int64_t t, bool started) {
      if (!watch) return;
      std::string list;
      for (const PeerId& p : members) list += (list.empty() ? "" : ", ") + p.to_text();
      spdlog::info("{}  partition {}: {} {} the rest", at(t), started ? "begins" : "heals", list,
                   started ? "cut off from" : "reconnected to");
    };
  }
  if (auto started = simulation.start(); !started) {
    spdlog::error("{}", started.error());
    trace.discard();  // a run that never started leaves no trace file
    return kExitLoad;
  }

  install_signal_handlers();
  const std::int64_t until = d.duration_ns.value_or(runtime::Scheduler::kForever);
  simulation.run(until, &stop_flag());
  // The run covers [0, D) even when nothing happens near its end.
  if (until != runtime::Scheduler::kForever && !stop_flag().load()) simulation.network().clock().advance_to(until);

  const std::string sha = trace.finish(simulation.now_ns());
  const auto reports = simulation.reports();
  const runtime::NetworkStats network = simulation.network_stats();
  std::cerr << "== bbrun --sim " << ir::escape_text(path) << ": ran " << format_time(simulation.now_ns())
            << " (virtual time), seed " << d.seed.value_or(0) << ", " << reports.size() << " nodes"
            << (stop_signal() ? ", stopped by signal " + std::to_string(stop_signal()) : std::string()) << "\n"
            << runtime::summary_text(reports, &network) << (watch ? timeline.table() : std::string());
  int code = stop_signal() ? 128 + stop_signal() : kExitOk;
  if (trace.failed() && code == kExitOk) code = kExitUsage;
  if (!o.metrics.empty()) {
    if (auto w = ir::write_file_atomic(o.metrics, runtime::metrics_json(reports, &network, sha)); !w) {
      spdlog::error("--metrics {}: {}", o.metrics, w.error().message);
      if (code == kExitOk) code = kExitUsage;
    }
  }
  std::cerr << "trace sha256: " << sha << "\n";
  return code;
}

}  // namespace bb::bbrun
