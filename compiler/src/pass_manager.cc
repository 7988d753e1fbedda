// The pass manager owns all instrumentation (MLIR style): skipping, timing, IR
// printing and verification between passes. Passes only transform.
#include "bb/compiler/pass_manager.h"

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

#include "bb/compiler/text_dump.h"
#include "bb/compiler/validate.h"

namespace bb::compiler {
namespace {

constexpr std::string_view kAll = "all";

bool contains(const std::vector<std::string>& list, std::string_view name) {
  for (const auto& s : list)
    if (s == name) return true;
  return false;
}

std::string pass_list(bool skippable_only) {
  std::string out;
  for (const auto& p : registered_passes()) {
    if (skippable_only && !p.skippable) continue;
    out += (out.empty() ? "" : ", ") + std::string(p.name);
  }
  return out;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", s);
  return buf;
}

}  // namespace

Expected<void, std::string> check_pass_options(const PassOptions& options) {
  for (const auto& name : options.skip) {
    const auto* pass = find_pass(name);
    if (pass == nullptr)
      return unexpected("--skip " + name + ": no such pass; passes that can be skipped: " + pass_list(true));
    if (!pass->skippable)
      return unexpected("--skip " + name + ": this pass cannot be skipped; passes that can be skipped: " +
                        pass_list(true));
  }
  if (options.print_after && *options.print_after != kAll && find_pass(*options.print_after) == nullptr)
    return unexpected("--print-after " + *options.print_after + ": no such pass; valid: all, " + pass_list(false));
  return {};
}

PassManager::PassManager(PassOptions options, std::ostream& log) : options_(std::move(options)), log_(log) {
#ifndef NDEBUG
  options_.verify_each = true;  // debug builds verify after every pass
#endif
}

PassStatus PassManager::run(PassContext& context) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::pair<std::string_view, double>> times;
  const auto start = Clock::now();
  PassStatus status;
  for (const auto& info : registered_passes()) {
    if (contains(options_.skip, info.name)) continue;
    if ((info.requires_properties & ~context.properties) != 0) {
      status = PassStatus::internal("pass " + std::string(info.name) + " runs on a graph that lacks what it requires");
      break;
    }
    context.ran.emplace_back(info.name);
    if (info.inserts) context.gates.add(*info.inserts);
    const auto t0 = Clock::now();
    status = info.create()->run(context);
    times.emplace_back(info.name, std::chrono::duration<double>(Clock::now() - t0).count());
    if (status.kind != PassStatus::Kind::kOk) break;
    context.properties |= info.guarantees;
    if (!info.keeps_analyses) context.wire_index.reset();
    if (options_.print_after && (*options_.print_after == kAll || *options_.print_after == info.name)) {
      log_ << "// ---- bbc: after pass " << info.name << " ----\n";
      dump_model(context.model, log_);
    }
    if (options_.verify_each) {
      status = verify_after(info, context);
      if (status.kind != PassStatus::Kind::kOk) break;
    }
  }
  if (options_.time != TimeFormat::kNone)
    report_times(times, std::chrono::duration<double>(Clock::now() - start).count());
  return status;
}

// The graph after a pass must still satisfy every structural rule (errors only), and
// the gate contracts of the gates inserted so far.
PassStatus PassManager::verify_after(const PassInfo& pass, PassContext& context) {
  DiagnosticEngine found(context.diags.file());
  if (pass.name != kPassValidate) {
    validate_structure(context.model, found);
    check_gate_contracts(context.model, context.gates, found);
  }
  std::string message;
  for (const auto& f : found.findings()) {
    if (f.severity != Severity::kError) continue;
    message += "\n  " + format_text(f);
  }
  if (message.empty()) return PassStatus::ok();
  return PassStatus::internal("verification failed after pass " + std::string(pass.name) + ":" + message);
}

void PassManager::report_times(const std::vector<std::pair<std::string_view, double>>& times, double total) {
  if (options_.time == TimeFormat::kJson) {
    log_ << "{\"passes\": [";
    for (std::size_t i = 0; i < times.size(); ++i) {
      log_ << (i ? ", " : "") << "{\"name\": \"" << times[i].first << "\", \"seconds\": " << seconds(times[i].second)
           << "}";
    }
    log_ << "], \"total_seconds\": " << seconds(total) << "}\n";
    return;
  }
  log_ << "bbc pass timing:\n";
  char line[128];
  for (const auto& [name, s] : times) {
    std::snprintf(line, sizeof line, "  %10.6f s  %5.1f%%  %.*s\n", s, total > 0 ? 100.0 * s / total : 0.0,
                  static_cast<int>(name.size()), name.data());
    log_ << line;
  }
  std::snprintf(line, sizeof line, "  %10.6f s  100.0%%  total\n", total);
  log_ << line;
}

}  // namespace bb::compiler
