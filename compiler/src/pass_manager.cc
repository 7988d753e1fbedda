// The pass manager and its three instrumentations (timing, IR printing, verification).
// Passes only transform; everything around them is here.
#include "bb/compiler/pass_manager.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

#include "bb/compiler/text_dump.h"
#include "bb/compiler/validate.h"
#include "bb/ir/json.h"
#include "model_bytes.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

constexpr std::string_view kAll = "all";

bool contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
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

// --time-passes: the wall time of each pass (the pass alone: it is the instrumentation
// closest to the pass) and of the whole pipeline.
class Timing final : public PassInstrumentation {
 public:
  Timing(TimeFormat format, std::ostream& log) : format_(format), log_(log) {}

  void before_pipeline() override { start_ = Clock::now(); }
  void before_pass(const PassInfo&, PassContext&) override { pass_start_ = Clock::now(); }
  PassStatus after_pass(const PassInfo& pass, PassContext&) override {
    record(pass);
    return PassStatus::ok();
  }
  void after_failed_pass(const PassInfo& pass, PassContext&) override { record(pass); }
  void after_pipeline() override { report(std::chrono::duration<double>(Clock::now() - start_).count()); }

 private:
  using Clock = std::chrono::steady_clock;

  void record(const PassInfo& pass) {
    times_.emplace_back(pass.name, std::chrono::duration<double>(Clock::now() - pass_start_).count());
  }

  void report(double total) {
    if (format_ == TimeFormat::kJson) {
      std::string out = "{\"passes\": [";
      for (std::size_t i = 0; i < times_.size(); ++i) {
        out += i ? ", {\"name\": " : "{\"name\": ";
        ir::append_json_string(out, times_[i].first);
        out += ", \"seconds\": " + seconds(times_[i].second) + "}";
      }
      out += "], \"total_seconds\": " + seconds(total) + "}\n";
      log_ << out;
      return;
    }
    log_ << "bbc pass timing:\n";
    char line[128];
    for (const auto& [name, s] : times_) {
      std::snprintf(line, sizeof line, "  %10.6f s  %5.1f%%  %.*s\n", s, total > 0 ? 100.0 * s / total : 0.0,
                    static_cast<int>(name.size()), name.data());
      log_ << line;
    }
    std::snprintf(line, sizeof line, "  %10.6f s  100.0%%  total\n", total);
    log_ << line;
  }

  TimeFormat format_;
  std::ostream& log_;
  Clock::time_point start_, pass_start_;
  std::vector<std::pair<std::string_view, double>> times_;
};

// The gates the gate passes recorded (gate_records.h) become nodes: for what must see the
// graph as it will be written.
void materialise_gates(PassContext& context) {
  if (auto* index = context.analyses.cached<WireIndex>()) index->materialise();
}

// --print-after PASS|all: the text dump of the model after the pass.
class IrPrinter final : public PassInstrumentation {
 public:
  IrPrinter(std::string pass, std::ostream& log) : pass_(std::move(pass)), log_(log) {}

  PassStatus after_pass(const PassInfo& pass, PassContext& context) override {
    if (pass_ != kAll && pass_ != pass.name) return PassStatus::ok();
    materialise_gates(context);
    settle_digest(context);  // the passport as it will be written, digest included
    log_ << "// ---- bbc: after pass " << pass.name << " ----\n";
    dump_model(context.model, log_);
    return PassStatus::ok();
  }

 private:
  std::string pass_;
  std::ostream& log_;
};

// --verify-each: the graph after a pass must still satisfy every structural rule (errors
// only), and the gate contracts of the gates inserted so far. A failure is a bug in bbc.
class Verifier final : public PassInstrumentation {
 public:
  PassStatus after_pass(const PassInfo& pass, PassContext& context) override {
    DiagnosticEngine found(context.diags.file());
    materialise_gates(context);
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
};

}  // namespace

void AnalysisManager::end_pass() {
  if (!preserve_all_) {
    std::erase_if(analyses_, [&](const auto& entry) {
      return std::find(preserved_.begin(), preserved_.end(), entry.first) == preserved_.end();
    });
  }
  preserved_.clear();
  preserve_all_ = false;
}

void AnalysisManager::erase(Id id) {
  std::erase_if(analyses_, [&](const auto& entry) { return entry.first == id; });
}

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

std::unique_ptr<PassInstrumentation> make_timing(TimeFormat format, std::ostream& log) {
  return std::make_unique<Timing>(format, log);
}

std::unique_ptr<PassInstrumentation> make_ir_printer(std::string pass_or_all, std::ostream& log) {
  return std::make_unique<IrPrinter>(std::move(pass_or_all), log);
}

std::unique_ptr<PassInstrumentation> make_verifier() { return std::make_unique<Verifier>(); }

PassManager::PassManager(PassOptions options, std::ostream& log) : options_(std::move(options)) {
#ifndef NDEBUG
  // Debug builds verify after every pass, but for a compile whose main graph stays bytes
  // (its walk is what the sanitizer builds must run: the verbatim tests and the fuzzer
  // hold its output to the verified whole compile's).
  if (options_.verbatim == nullptr) options_.verify_each = true;
#endif
  // After hooks run in reverse: timing (added last) measures the pass alone, and the dump
  // comes before the verification, so a graph that fails it is printed first.
  if (options_.verify_each) instrumentations_.push_back(make_verifier());
  if (options_.print_after) instrumentations_.push_back(make_ir_printer(*options_.print_after, log));
  if (options_.time != TimeFormat::kNone) instrumentations_.push_back(make_timing(options_.time, log));
}

void PassManager::add_instrumentation(std::unique_ptr<PassInstrumentation> instrumentation) {
  instrumentations_.push_back(std::move(instrumentation));
  added_ = true;
}

PassStatus PassManager::run(PassContext& context) {
  for (auto& i : instrumentations_) i->before_pipeline();
  std::vector<const PassInfo*> pipeline;
  for (const auto& info : registered_passes())
    if (!contains(options_.skip, info.name)) pipeline.push_back(&info);
  auto inserts_rx = [](const PassInfo* info) { return info->inserts && !gate_info(*info->inserts).tx; };
  PassStatus status;
  for (std::size_t p = 0; p < pipeline.size(); ++p) {
    context.rx_renames_may_wait =
        !shows_graph() && inserts_rx(pipeline[p]) && p + 1 < pipeline.size() && inserts_rx(pipeline[p + 1]);
    status = run_pass(*pipeline[p], context);
    if (status.kind != PassStatus::Kind::kOk) break;
  }
  context.rx_renames_may_wait = false;
  for (auto& i : instrumentations_) i->after_pipeline();
  return status;
}

PassStatus PassManager::run_pass(const PassInfo& info, PassContext& context) {
  if ((info.requires_properties & ~context.properties) != 0)
    return PassStatus::internal("pass " + std::string(info.name) + " runs on a graph that lacks what it requires");
  context.ran.emplace_back(info.name);
  if (info.inserts) context.gates.add(*info.inserts);
  for (auto& i : instrumentations_) i->before_pass(info, context);
  PassStatus status = info.create(info)->run(context);
  context.analyses.end_pass();
  if (status.kind != PassStatus::Kind::kOk) {
    for (auto it = instrumentations_.rbegin(); it != instrumentations_.rend(); ++it) (*it)->after_failed_pass(info, context);
    return status;
  }
  context.properties |= info.guarantees;
  for (auto it = instrumentations_.rbegin(); it != instrumentations_.rend(); ++it) {
    status = (*it)->after_pass(info, context);
    if (status.kind != PassStatus::Kind::kOk) return status;
  }
  return status;
}

}  // namespace bb::compiler
