// bbc: compile, lint, list passes and inspect bb graphs (docs/compiler.md). A thin CLI over
// bb::compiler: parsing flags, reading and writing files, printing; no compiler logic.
//
// Exit codes (docs/spec.md): 0 success; 1 the input has errors; 2 usage or I/O
// error; 3 internal error (a bug in bbc).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <google/protobuf/arena.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bb/compiler/codes.h"
#include "bb/compiler/compile.h"
#include "cli_docs.h"
#include "escaped_log.h"
#include "bb/compiler/inspect.h"
#include "bb/compiler/lint.h"
#include "bb/compiler/op_manifest.h"
#include "bb/compiler/pass.h"
#include "bb/ir/escape.h"
#include "bb/ir/huge_pages.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/suggest.h"

namespace {

namespace bc = bb::compiler;

constexpr int kExitOk = 0;
constexpr int kExitInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 3;

void setup_logging(int verbosity, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(std::string(bb::ir::kCompilerName));
  spdlog::set_default_logger(logger);
  bb::tools::set_escaping_pattern(*logger, "%n: %l: %v");
  auto lvl = spdlog::level::warn;
  if (verbosity == 1) lvl = spdlog::level::info;
  if (verbosity == 2) lvl = spdlog::level::debug;
  if (verbosity >= 3) lvl = spdlog::level::trace;
  if (!level.empty()) lvl = spdlog::level::from_str(level);
  spdlog::set_level(lvl);
}

void print_findings(const bc::DiagnosticEngine& diags) {
  auto findings = diags.findings();
  bc::sort_findings(findings);
  for (const auto& f : findings) std::cerr << bc::format_text(f) << '\n';
}

// The limit flags (docs/security.md) of compile, lint and inspect: the same
// names and defaults as bbrun's.
void add_limit_flags(CLI::App& app, bb::ir::ModelLimits& limits) {
  const bb::ir::ModelLimits defaults;
  const auto* group = "limits (docs/security.md; a model over one is BB001)";
  app.add_option(std::string(bb::ir::kFlagMaxFileBytes), limits.max_file_bytes,
                 "largest model file read, in bytes (default " + std::to_string(defaults.max_file_bytes) + ")")
      ->check(CLI::Range(std::uint64_t{1}, bb::ir::kMaxModelFileBytes))
      ->group(group);
  app.add_option(std::string(bb::ir::kFlagMaxNodes), limits.max_nodes,
                 "most nodes (graph, subgraphs and functions) (default " + std::to_string(defaults.max_nodes) + ")")
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option(std::string(bb::ir::kFlagMaxAttributeBytes), limits.max_attribute_bytes,
                 "largest data of one attribute or initializer, in bytes (default " +
                     std::to_string(defaults.max_attribute_bytes) + ")")
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option(std::string(bb::ir::kFlagMaxTensorElements), limits.max_tensor_elements,
                 "most elements a tensor may declare (default " + std::to_string(defaults.max_tensor_elements) + ")")
      ->check(CLI::PositiveNumber)
      ->group(group);
}

// Loads a model for compile/inspect into `arena` and checks it against `limits`. On
// failure prints the diagnostic and sets `exit_code`.
onnx::ModelProto* load(const std::string& path, const bb::ir::ModelLimits& limits, google::protobuf::Arena& arena,
                       int& exit_code) {
  auto model = bb::ir::load_model(path, arena, limits.load());
  bc::DiagnosticEngine diags(path);
  if (model) {
    auto within = bb::ir::check_model_limits(**model, limits);
    if (within) return *model;
    bc::report_limit_error(diags, within.error());
  } else {
    const auto kind = model.error().kind;
    if (kind == bb::ir::IoError::Kind::kNotFound || kind == bb::ir::IoError::Kind::kUnreadable) {
      std::cerr << "bbc: error: " << bb::ir::escape_text(model.error().message) << '\n';
      exit_code = kExitUsage;
      return nullptr;
    }
    bc::report_load_error(diags, model.error(), path);
  }
  print_findings(diags);
  exit_code = kExitInput;
  return nullptr;
}

// `--ops FILE`: the op manifest, or an error printed (exit 2). Empty path: none.
bool load_manifest(const std::string& path, std::optional<bc::OpManifest>& out) {
  if (path.empty()) return true;
  auto manifest = bc::OpManifest::load(path);
  if (!manifest) {
    std::cerr << "bbc: error: " << bb::ir::escape_text(manifest.error()) << '\n';
    return false;
  }
  out.emplace(std::move(*manifest));
  return true;
}

struct CompileArgs {
  std::string input;
  std::string output;
  std::vector<std::string> skip;
  std::string print_after;
  std::string time_passes;
  bool verify_each = false;
  std::string ops;
  bb::ir::ModelLimits limits;
  std::uint64_t max_output_bytes = bc::kDefaultMaxOutputBytes;
};

int run_compile(const CompileArgs& args, bool time_given) {
  bc::PassOptions options;
  options.skip = args.skip;
  if (!args.print_after.empty()) options.print_after = args.print_after;
  options.verify_each = args.verify_each;
  options.max_output_bytes = args.max_output_bytes;
  std::optional<bc::OpManifest> manifest;
  if (!load_manifest(args.ops, manifest)) return kExitUsage;
  if (manifest) options.ops = &*manifest;
  if (time_given) {
    if (args.time_passes.empty() || args.time_passes == "text") {
      options.time = bc::TimeFormat::kText;
    } else if (args.time_passes == "json") {
      options.time = bc::TimeFormat::kJson;
    } else {
      std::cerr << "bbc: error: --time-passes takes no value or =json, not '" << bb::ir::escape_text(args.time_passes, 64)
                << "'\n";
      return kExitUsage;
    }
  }
  options.model_keeps_gates = false;  // the process ends after the write
  if (auto ok = bc::check_pass_options(options); !ok) {
    std::cerr << "bbc: error: " << bb::ir::escape_text(ok.error()) << '\n';
    return kExitUsage;
  }
  const std::string output = args.output.empty() ? bc::default_output_path(args.input) : args.output;
  // The output replaces what is at its path: never one of the inputs (after symlinks).
  for (const std::string* input : {&args.input, &args.ops}) {
    if (output == "-" || input->empty() || !bb::ir::same_file(output, *input)) continue;
    std::cerr << "bbc: error: the output " << bb::ir::escape_text(output) << " is the input "
              << bb::ir::escape_text(*input) << ": writing it would destroy the input; choose another path with -o\n";
    return kExitUsage;
  }
  if (std::error_code ec; !args.output.empty() && args.output != "-" && std::filesystem::is_directory(args.output, ec)) {
    std::cerr << "bbc: error: -o " << args.output << ": is a folder; give the path of the .bb file to write (e.g. "
              << (std::filesystem::path(args.output) / std::filesystem::path(bc::default_output_path(args.input)).filename())
                     .string()
              << ")\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  // The model lives on an arena that is deliberately never freed (like LLVM's
  // -disable-free): the process ends after the write, and the OS reclaims the arena's
  // blocks at once. A static pointer keeps it reachable, so LeakSanitizer does not
  // report it (make test-asan).
  static google::protobuf::Arena* arena = new google::protobuf::Arena(bb::ir::large_model_arena_options());
  // The main graph's nodes stay the file's bytes but for those a pass needs (docs/
  // compiler.md, "Verbatim nodes"), unless the graph is shown between the passes.
  std::optional<bc::VerbatimModel> verbatim;
  if (!options.print_after && !options.verify_each) verbatim = bc::load_verbatim(args.input, *arena, args.limits);
  onnx::ModelProto* model = verbatim ? verbatim->model : load(args.input, args.limits, *arena, exit_code);
  if (model == nullptr) return exit_code;
  options.verbatim = verbatim ? verbatim->nodes.get() : nullptr;
  spdlog::info("compiling {} ({} nodes)", args.input, verbatim ? verbatim->node_count() : model->graph().node_size());

  bc::DiagnosticEngine diags(args.input);
  // A file is written as it is serialized (compile_model_to_file); stdout gets the bytes.
  auto result = output == "-" ? bc::compile_model(*model, args.input, options, diags, std::cerr)
                              : bc::compile_model_to_file(*model, args.input, options, diags, std::cerr, output);
  print_findings(diags);
  if (verbatim)
    spdlog::debug("{} of {} nodes of the main graph parsed, the others copied as read", verbatim->parsed_node_count(),
                  verbatim->node_count());
  switch (result.status.kind) {
    case bc::PassStatus::Kind::kOk: break;
    case bc::PassStatus::Kind::kInputErrors: return kExitInput;
    case bc::PassStatus::Kind::kInternal:
      std::cerr << "bbc: internal error (a bug in bbc, please report it): " << bb::ir::escape_text(result.status.message)
                << '\n';
      return kExitInternal;
  }
  if (output == "-") {
    std::cout.write(result.bytes.data(), static_cast<std::streamsize>(result.bytes.size()));
    std::cout.flush();
    return std::cout ? kExitOk : kExitUsage;
  }
  if (result.write_error) {
    std::cerr << "bbc: error: " << bb::ir::escape_text(result.write_error->message) << '\n';
    return kExitUsage;
  }
  spdlog::info("wrote {} ({} bytes)", output, result.size);
  return kExitOk;
}

int run_passes() {
  for (const auto& pass : bc::registered_passes()) std::cout << pass.name << '\t' << pass.description << '\n';
  return kExitOk;
}

int run_inspect(const std::string& path, const std::string& format, const bb::ir::ModelLimits& limits) {
  int exit_code = kExitOk;
  google::protobuf::Arena arena(bb::ir::large_model_arena_options());
  auto* model = load(path, limits, arena, exit_code);
  if (model == nullptr) return exit_code;
  if (format == "dot")
    bc::write_dot(*model, std::cout);
  else
    bc::inspect_model(*model, std::cout);
  std::cout.flush();
  return std::cout ? kExitOk : kExitUsage;
}

struct LintArgs {
  std::vector<std::string> inputs;
  std::string format = "text";
  bool werror = false;
  bool pedantic = false;
  bool together = false;
  std::string ops;
  bb::ir::ModelLimits limits;
};

int run_lint(const LintArgs& args) {
  bc::LintOptions options;
  options.werror = args.werror;
  options.pedantic = args.pedantic;
  options.together = args.together;
  options.limits = args.limits;
  std::optional<bc::OpManifest> manifest;
  if (!load_manifest(args.ops, manifest)) return kExitUsage;
  if (manifest) options.ops = &*manifest;
  options.format = args.format == "json" ? bc::LintFormat::kJson
                   : args.format == "sarif" ? bc::LintFormat::kSarif
                                            : bc::LintFormat::kText;
  if (args.inputs.size() == 1 && !args.inputs.front().ends_with(".toml")) {
    // One model: on an arena never freed (as compile's; the process ends after the report).
    static google::protobuf::Arena* arena = new google::protobuf::Arena(bb::ir::large_model_arena_options());
    options.arena = arena;
  }
  const auto report = bc::lint_files(args.inputs, options);
  switch (options.format) {
    case bc::LintFormat::kText: bc::write_lint_text(report, std::cerr); break;
    case bc::LintFormat::kJson:
      for (const auto& e : report.io_errors) std::cerr << "bbc: error: " << bb::ir::escape_text(e) << '\n';
      bc::write_lint_json(report, std::cout);
      std::cerr << bc::lint_summary(report) << '\n';
      break;
    case bc::LintFormat::kSarif:
      for (const auto& e : report.io_errors) std::cerr << "bbc: error: " << bb::ir::escape_text(e) << '\n';
      bc::write_lint_sarif(report, std::cout);
      std::cerr << bc::lint_summary(report) << '\n';
      break;
  }
  return bc::lint_exit_code(report, options);
}

int run_codes(bool markdown) {
  if (markdown) {
    std::cout << bc::diagnostics_markdown();
    return kExitOk;
  }
  for (const auto& info : bc::code_catalog())
    std::cout << info.code << '\t' << bc::to_string(info.severity) << '\t' << info.title << '\n';
  return kExitOk;
}

// "unknown command 'compil' (did you mean 'compile'?)" when the first word that is not
// an option names no subcommand; nullopt otherwise (CLI11's message is then the right one).
std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string_view> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  for (int a = 1; a < argc; ++a) {
    const std::string_view word = argv[a];
    if (word == "--log-level") {
      ++a;  // its value
      continue;
    }
    if (word.starts_with("-")) continue;
    if (std::find(names.begin(), names.end(), word) != names.end()) return std::nullopt;
    std::string list;
    for (const auto name : names) list += (list.empty() ? "" : ", ") + std::string(name);
    const std::string suggestion = bb::ir::did_you_mean(word, names);
    return "unknown command '" + std::string(word) + "'" + suggestion + "; the commands are " + list;
  }
  return std::nullopt;
}

int run(int argc, char** argv) {
  CLI::App app{"bbc: the bb compiler. Validates an ONNX graph, gates every Send and Recv, stamps a passport.", "bbc"};
  app.set_version_flag("--version", bc::compiler_id(), "Print the version and exit");
  bb::cli_docs::add_print_flag(app, bc::compiler_id());
  app.require_subcommand(1);
  int verbosity = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbosity, "More log output on stderr (repeatable)");
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  CompileArgs compile;
  auto* c = app.add_subcommand("compile", "Compile a graph (.onnx, .onnxtxt, .bb) to a .bb file");
  c->add_option("IN", compile.input, "Input model")->required();
  c->add_option("-o,--output", compile.output, "Output path (default: IN with extension .bb; - for stdout)");
  // One value per --skip, so `--skip PASS IN` leaves IN to the positional.
  c->add_option("--skip", compile.skip, "Skip a pass (repeatable); see `bbc passes`")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--print-after", compile.print_after, "Print the graph to stderr after PASS, or after all");
  // A flag that takes its value only as --time-passes=json: `--time-passes IN` leaves IN
  // to the positional.
  auto* time = c->add_flag("--time-passes{text}", compile.time_passes, "Per-pass wall time on stderr (=json for JSON)");
  c->add_flag("--verify-each", compile.verify_each, "Verify the graph after every pass");
  c->add_option("--ops", compile.ops, "Op manifest (TOML) describing custom-domain ops (docs/extending.md)");
  add_limit_flags(*c, compile.limits);
  c->add_option(std::string(bc::kFlagMaxOutputBytes), compile.max_output_bytes,
                "largest compiled model written, in bytes (default " +
                    std::to_string(bc::kDefaultMaxOutputBytes) + ", at most " +
                    std::to_string(bb::ir::kMaxModelFileBytes) + ": protobuf's ceiling); a larger one is BB021")
      ->check(CLI::Range(std::uint64_t{1}, bb::ir::kMaxModelFileBytes))
      ->group("limits (docs/security.md; a model over one is BB001)");

  LintArgs lint;
  auto* l = app.add_subcommand("lint", "Report every finding of one or more graphs without writing anything");
  // No inputs (an empty `git ls-files`) is an empty report, a valid empty SARIF log.
  l->add_option("IN", lint.inputs, "Input models, or deployment files (.toml); none: an empty report");
  l->add_option("--format", lint.format, "text (stderr), json or sarif (stdout)")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  l->add_flag("--werror", lint.werror, "Warnings fail the run (exit 1)");
  l->add_flag("--pedantic", lint.pedantic, "Also report notes (BB030: unnamed nodes)");
  l->add_flag("--together", lint.together,
              "The graphs run together: check their Sends and Recvs against each other (a deployment file always is)");
  l->add_option("--ops", lint.ops, "Op manifest (TOML) describing custom-domain ops (docs/extending.md)");
  add_limit_flags(*l, lint.limits);

  auto* p = app.add_subcommand("passes", "List the passes in canonical order: name<TAB>description");
  bool codes_markdown = false;
  auto* k = app.add_subcommand("codes", "List the diagnostic codes: code<TAB>severity<TAB>title");
  k->add_flag("--markdown", codes_markdown, "The reference docs/diagnostics.md instead");
  std::string inspect_path;
  auto* i = app.add_subcommand("inspect", "Op counts, every Send with its gate chain and peers, the passport");
  i->add_option("IN", inspect_path, "Input model")->required();
  std::string inspect_format = "text";
  i->add_option("--format", inspect_format, "text, or dot (Graphviz: `bbc inspect --format dot g.bb | dot -Tsvg`)")
      ->check(CLI::IsMember({"text", "dot"}))
      ->capture_default_str();
  bb::ir::ModelLimits inspect_limits;
  add_limit_flags(*i, inspect_limits);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto typo = e.get_exit_code() != 0 ? unknown_subcommand(app, argc, argv) : std::nullopt) {
      std::cerr << "bbc: error: " << *typo << '\n';
      return kExitUsage;
    }
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  setup_logging(verbosity, log_level);
  // compile, lint and inspect build one large model on one core: the other faults in
  // its memory meanwhile (bb/ir/huge_pages.h).
  std::optional<bb::ir::HugePagePrefault> prefault;
  if (c->parsed() || l->parsed() || i->parsed()) prefault.emplace();
  if (c->parsed()) return run_compile(compile, time->count() > 0);
  if (l->parsed()) return run_lint(lint);
  if (p->parsed()) return run_passes();
  if (k->parsed()) return run_codes(codes_markdown);
  if (i->parsed()) return run_inspect(inspect_path, inspect_format, inspect_limits);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bbc: internal error (a bug in bbc, please report it): " << e.what() << '\n';
    return kExitInternal;
  }
}
