// What the single-node, the networked and the simulated runs share: the state flags,
// a deployment node's graph inputs, and the signals that stop a run cleanly.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bb/ir/escape.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/program.h"
#include "bb/runtime/tensor_proto.h"
#include "bb/sim/deployment.h"
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

bool deployment_inputs(const sim::Deployment& d, std::size_t i, const runtime::Program& program, GraphInputs& out) {
  const sim::NodeSpec& spec = d.nodes[i];
  bool ok = true;
  for (const sim::NodeInput& in : spec.inputs) {
    const std::string where = d.file.string() + ":" + std::to_string(in.line) + ": node[" + std::to_string(i) +
                              "].inputs." + in.name;
    const auto& names = program.graph_inputs();
    if (std::none_of(names.begin(), names.end(), [&in](const auto& gi) { return gi.first == in.name; })) {
      std::string known;
      for (const auto& gi : names) known += (known.empty() ? "" : ", ") + gi.first;
      spdlog::error("{}: {} has no graph input '{}' (its inputs: {})", where, spec.graph.string(), in.name,
                    known.empty() ? "none" : known);
      ok = false;
      continue;
    }
    auto tensor = runtime::read_tensor_file(in.file);
    if (!tensor) {
      spdlog::error("{}: {}: {}", where, in.file.string(), tensor.error());
      ok = false;
      continue;
    }
    out.emplace_back(in.name, runtime::Value::tensor(std::move(*tensor)));
  }
  return ok;
}

bool outputs_spare_inputs(const Options& o, const std::vector<std::filesystem::path>& inputs) {
  const std::pair<const char*, const std::string*> outputs[] = {{"--metrics", &o.metrics}, {"--trace", &o.trace}};
  for (const auto& [flag, path] : outputs) {
    if (path->empty()) continue;
    for (const auto& input : inputs) {
      if (!ir::same_file(*path, input)) continue;
      spdlog::error("{} {}: that is {}, an input of this run: writing there would destroy it; choose another path",
                    flag, ir::escape_text(*path), ir::escape_text(input.string()));
      return false;
    }
  }
  std::error_code ec1, ec2;
  if (!o.metrics.empty() && !o.trace.empty() &&
      (ir::same_file(o.metrics, o.trace) ||
       std::filesystem::weakly_canonical(o.metrics, ec1) == std::filesystem::weakly_canonical(o.trace, ec2))) {
    spdlog::error("--metrics and --trace name the same file ({}); give each its own", ir::escape_text(o.metrics));
    return false;
  }
  return true;
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
