// bbrun --sim DEPLOY.toml: every [[node]] of a deployment runs its compiled graph on
// one virtual clock over the simulated network (SPEC §6.3, docs/simulation.md).
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
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>

#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/program.h"
#include "bb/runtime/plugin_loader.h"
#include "bb/runtime/trace.h"
#include "bb/sim/deployment.h"
#include "bb/sim/host.h"
#include "options.h"

namespace bb::bbrun {
namespace {

// Times in the log: seconds with millisecond precision ("2.006s").
std::string at(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

// The feedback loop as a person reads it: one line per change of a peer's state while
// the run goes, and at the end one line per (sender, destination) with the attempts by
// outcome and the sends the Tx gates held.
class Timeline final : public runtime::PeerObserver {
 public:
  void outcome(const runtime::PeerOutcome& c) override {
    Link& link = links_[{std::string(c.node), std::string(c.peer)}];
    ++link.outcomes[static_cast<std::size_t>(c.outcome)];
    if (c.failures == 0 && c.failures_before == 0) return;  // business as usual
    std::string line = at(c.t_ns) + "  " + std::string(c.node) + " -> " + std::string(c.peer) + ": " +
                       std::string(runtime::to_string(c.outcome));
    if (c.failures == 0) {
      line += " after " + std::to_string(c.failures_before) + " failure(s): cooldown cleared";
    } else {
      line += ", failure " + std::to_string(c.failures) + ": cooldown " + format_duration(c.next_retry_ns - c.t_ns) +
              ", next try at " + at(c.next_retry_ns);
      if (c.down) line += ", peer down";
    }
    if (link.held_since > 0) line += " (" + std::to_string(link.held_since) + " send(s) held since the last outcome)";
    link.held_since = 0;
    spdlog::info("{}", line);
  }
  void held(std::int64_t, std::string_view node, std::string_view peer, runtime::Reason reason) override {
    Link& link = links_[{std::string(node), std::string(peer)}];
    ++link.held_since;
    ++link.held[static_cast<std::size_t>(reason)];
  }

  std::string table() const {
    std::string out = "== sends per destination\n";
    for (const auto& [key, link] : links_) {
      std::string line = "  " + key.first + " -> " + key.second;
      if (line.size() < 28) line.append(28 - line.size(), ' ');
      const char* sep = " ";
      for (std::size_t k = 0; k < link.outcomes.size(); ++k) {
        if (link.outcomes[k] == 0 && k != 0) continue;
        line += sep + std::string(runtime::to_string(static_cast<runtime::OutcomeKind>(k))) + " " +
                std::to_string(link.outcomes[k]);
        sep = ", ";
      }
      for (std::size_t r = 1; r < link.held.size(); ++r)
        if (link.held[r] != 0)
          line += ", held " + std::to_string(link.held[r]) + " (" +
                  std::string(runtime::to_string(static_cast<runtime::Reason>(r))) + ")";
      out += line + "\n";
    }
    return out;
  }

 private:
  struct Link {
    std::array<std::uint64_t, runtime::kOutcomeKinds> outcomes{};
    std::array<std::uint64_t, runtime::kReasonCount> held{};
    std::uint64_t held_since = 0;
  };
  std::map<std::pair<std::string, std::string>, Link> links_;
};

struct Loaded {
  std::vector<std::shared_ptr<const runtime::Program>> programs;  // by [[node]]
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
    }
    out.programs.push_back(program);
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
  Loaded loaded = load_graphs(d, o);
  if (loaded.code != kExitOk) return loaded.code;

  // A simulation always hashes its trace (its fingerprint for a seed); --trace also
  // writes the lines.
  std::ofstream trace_file;
  if (!o.trace.empty()) {
    trace_file.open(o.trace, std::ios::binary | std::ios::trunc);
    if (!trace_file) {
      spdlog::error("--trace {}: cannot write the file", o.trace);
      return kExitUsage;
    }
  }
  auto trace = std::make_unique<runtime::JsonlTrace>(o.trace.empty() ? nullptr : &trace_file);
  Timeline timeline;
  const bool watch = spdlog::should_log(spdlog::level::info);

  sim::SimulationConfig config;
  config.network = d.network_config();
  config.network.limits = o.envelope_limits;
  config.settings = std::move(*settings);
  config.trace = trace.get();
  config.observer = watch ? &timeline : nullptr;
  sim::Simulation simulation(std::move(config));
  for (std::size_t i = 0; i < d.nodes.size(); ++i) simulation.add_node(d.nodes[i].peer, loaded.programs[i]);
  for (const sim::Fault& fault : d.faults) simulation.add_fault(fault);
  if (watch) {
    simulation.on_crash = [](const PeerId& p, std::int64_t t) { spdlog::info("{}  {} crashed", at(t), p.to_text()); };
    simulation.on_restart = [](const PeerId& p, std::int64_t t, std::uint64_t inc) {
      spdlog::info("{}  {} restarted (incarnation {})", at(t), p.to_text(), inc);
    };
  }
  if (auto started = simulation.start(); !started) {
    spdlog::error("{}", started.error());
    if (!o.trace.empty()) {  // a run that never started leaves no trace file
      trace_file.close();
      std::error_code ec;
      std::filesystem::remove(o.trace, ec);
    }
    return kExitLoad;
  }

  install_signal_handlers();
  const std::int64_t until = d.duration_ns.value_or(runtime::Scheduler::kForever);
  simulation.run(until, &stop_flag());
  // The run covers [0, D) even when nothing happens near its end.
  if (until != runtime::Scheduler::kForever && !stop_flag().load()) simulation.network().clock().advance_to(until);

  const std::string sha = trace->finish_sha256();
  if (!o.trace.empty()) {
    trace_file.flush();
    if (!trace_file) spdlog::error("--trace {}: writing failed", o.trace);
  }
  const auto reports = simulation.reports();
  const runtime::NetworkStats network = simulation.network_stats();
  std::cerr << "== bbrun --sim " << path << ": ran " << format_duration(simulation.now_ns())
            << " (virtual time), seed " << d.seed.value_or(0) << ", " << reports.size() << " nodes"
            << (stop_signal() ? ", stopped by signal " + std::to_string(stop_signal()) : std::string()) << "\n"
            << runtime::summary_text(reports, &network) << (watch ? timeline.table() : std::string());
  int code = stop_signal() ? 128 + stop_signal() : kExitOk;
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
