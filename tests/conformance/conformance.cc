#include "conformance.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <onnx/onnx_pb.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "bb/compiler/compile.h"
#include "bb/compiler/diagnostics.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/tensor_proto.h"

namespace bb::conformance {
namespace fs = std::filesystem;
namespace {

CaseResult fail(std::string reason, std::string category) { return {false, std::move(reason), std::move(category)}; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The op type in a message naming a node: "node 'n' (Conv #3)" or "(Conv #3)".
std::string op_in(const std::string& message) {
  const auto close = message.find(" #");
  if (close == std::string::npos) return {};
  const auto open = message.rfind('(', close);
  return open == std::string::npos ? std::string() : message.substr(open + 1, close - open - 1);
}

// A load error as a reason and a category: an unresolved op names the op; another
// finding keeps the op and what follows "error: " up to its first quote or colon.
CaseResult load_failure(const std::string& message) {
  const std::string line = first_line(message);
  const auto at = line.find("no kernel for '");
  if (at != std::string::npos) {
    const auto end = line.find('\'', at + 15);
    return fail("load: " + line.substr(at), line.substr(at, end + 1 - at));
  }
  const auto err = line.find("error: ");
  std::string what = err == std::string::npos ? line : line.substr(err + 7);
  std::string category = what.substr(0, what.find_first_of("':0123456789"));
  while (!category.empty() && category.back() == ' ') category.pop_back();
  const std::string op = op_in(line);
  return fail("load: " + line, "load: " + (op.empty() ? "" : op + ": ") + category);
}

// A static node's failure logged by the engine: "…(Gather #1): static node failed: reason: detail".
CaseResult run_failure(const std::string& log) {
  const std::string line = first_line(log);
  const std::string op = op_in(line);
  const auto at = line.find("static node failed: ");
  if (at == std::string::npos) return fail("run: " + line, "run: " + op + ": " + line.substr(line.rfind(": ") + 2, 40));
  const std::string rest = line.substr(at + 20);
  return fail("run: " + op + ": " + rest, "run: " + op + " failed: " + rest.substr(0, rest.find(':')));
}

Expected<onnx::TensorProto, std::string> read_tensor_file(const fs::path& file) {
  auto bytes = ir::read_file(file, std::uint64_t{1} << 31);
  if (!bytes) return unexpected(bytes.error().message);
  onnx::TensorProto proto;
  if (!proto.ParseFromString(*bytes)) return unexpected(file.string() + ": not a serialized onnx.TensorProto");
  return proto;
}

std::size_t count_files(const fs::path& dir, const std::string& prefix) {
  std::size_t n = 0;
  while (fs::exists(dir / (prefix + std::to_string(n) + ".pb"))) ++n;
  return n;
}

std::string type_kind(const onnx::TypeProto& type) {
  switch (type.value_case()) {
    case onnx::TypeProto::kTensorType: return "tensor";
    case onnx::TypeProto::kSequenceType: return "sequence";
    case onnx::TypeProto::kMapType: return "map";
    case onnx::TypeProto::kOptionalType: return "optional";
    case onnx::TypeProto::kSparseTensorType: return "sparse tensor";
    default: return "untyped";
  }
}

// Logs of the run go to a string while a case runs (its failure reason), then the
// previous logger is back.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("conformance", sink);
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace

std::vector<fs::path> case_dirs(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (fs::exists(it->path() / "model.onnx")) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

CaseResult run_case(const fs::path& dir) {
  const fs::path model_path = dir / "model.onnx";
  auto model = ir::load_model(model_path);
  if (!model) return fail("parse: " + model.error().message, "parse");
  for (const auto& input : model->graph().input())
    if (!input.type().has_tensor_type())
      return fail("input '" + input.name() + "' is a " + type_kind(input.type()), type_kind(input.type()) + " values");
  for (const auto& output : model->graph().output())
    if (!output.type().has_tensor_type())
      return fail("output '" + output.name() + "' is a " + type_kind(output.type()), type_kind(output.type()) + " values");

  // Compile in process: the passes `bbc compile` runs (validation, gates, passport).
  compiler::DiagnosticEngine diags{model_path.string()};
  std::ostringstream compile_log;
  const auto compiled = compiler::compile_model(*model, model_path.string(), {}, diags, compile_log);
  if (compiled.status.kind != compiler::PassStatus::Kind::kOk) {
    for (const auto& f : diags.findings())
      if (f.severity == compiler::Severity::kError) return fail("compile: " + compiler::format_text(f), "compile: " + f.code);
    return fail("compile: " + compiled.status.message, "compile");
  }

  CapturedLog log;
  auto program = runtime::Program::build(std::move(*model), model_path.string());
  if (!program) return load_failure(program.error().message);

  const fs::path data = dir / "test_data_set_0";
  const auto& inputs = (*program)->graph_inputs();
  const std::size_t n_inputs = count_files(data, "input_");
  if (n_inputs > inputs.size())
    return fail("test data has " + std::to_string(n_inputs) + " inputs, the graph " + std::to_string(inputs.size()),
                "input count");
  runtime::NodeConfig config;
  config.peer = *PeerId::identity("conformance");
  for (std::size_t k = 0; k < n_inputs; ++k) {
    auto proto = read_tensor_file(data / ("input_" + std::to_string(k) + ".pb"));
    if (!proto) return fail("input " + std::to_string(k) + ": " + proto.error(), "input file");
    auto tensor = runtime::from_proto(*proto);
    if (!tensor) return fail("input " + std::to_string(k) + ": " + tensor.error(), "input tensor: unsupported");
    config.inputs.emplace_back(inputs[k].first, runtime::Value::tensor(std::move(*tensor)));
  }
  runtime::VirtualClock clock;
  runtime::Scheduler scheduler(clock);
  auto node = runtime::Node::create(*program, scheduler, std::move(config));
  if (!node) return load_failure(node.error().message);
  (*node)->start();

  const auto& outputs = (*program)->graph_outputs();
  const std::size_t n_outputs = count_files(data, "output_");
  if (n_outputs > outputs.size())
    return fail("test data has " + std::to_string(n_outputs) + " outputs, the graph " + std::to_string(outputs.size()),
                "output count");
  for (std::size_t k = 0; k < n_outputs; ++k) {
    const auto& name = outputs[k].first;
    const runtime::Value& value = (*node)->output(k);
    if (!value.has_value()) {
      if (const std::string text = log.text(); !text.empty()) return run_failure(text);
      return fail("output '" + name + "' has no value", "output without a value");
    }
    if (value.kind() != runtime::ValueKind::kTensor)
      return fail("output '" + name + "' is " + runtime::describe(value), "output not a tensor");
    auto proto = read_tensor_file(data / ("output_" + std::to_string(k) + ".pb"));
    if (!proto) return fail("output " + std::to_string(k) + ": " + proto.error(), "output file");
    auto expected = runtime::from_proto(*proto);
    if (!expected) return fail("output " + std::to_string(k) + ": " + expected.error(), "output tensor: unsupported");
    if (auto diff = compare(*expected, value.as_tensor())) {
      const std::string kind = diff->substr(0, diff->find(':'));
      return fail("output '" + name + "': " + *diff, "wrong " + kind);
    }
  }
  return {true, {}, {}};
}

CaseResult run_case_isolated(const fs::path& dir, int timeout_seconds) {
  int fds[2];
  if (::pipe(fds) != 0) return fail("pipe: " + std::string(std::strerror(errno)), "harness");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return fail("fork: " + std::string(std::strerror(errno)), "harness");
  }
  if (pid == 0) {
    ::close(fds[0]);
    const CaseResult r = run_case(dir);
    const std::string message = std::string(r.passed ? "1" : "0") + '\x1f' + r.reason + '\x1f' + r.category;
    std::size_t written = 0;
    while (written < message.size()) {
      const ssize_t n = ::write(fds[1], message.data() + written, message.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string message;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) return fail("timed out after " + std::to_string(timeout_seconds) + " s", "timed out");
  if (WIFSIGNALED(status))
    return fail("crashed: signal " + std::to_string(WTERMSIG(status)), "crashed");
  const auto a = message.find('\x1f'), b = message.find('\x1f', a == std::string::npos ? 0 : a + 1);
  if (a == std::string::npos || b == std::string::npos)
    return fail("the child exited (status " + std::to_string(WEXITSTATUS(status)) + ") without a result", "crashed");
  return {message[0] == '1', message.substr(a + 1, b - a - 1), message.substr(b + 1)};
}

namespace {

double half_to_double(std::uint16_t h) {
  const int sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0)
    v = std::ldexp(mantissa, -24);
  else if (exponent == 31)
    v = mantissa == 0 ? INFINITY : NAN;
  else
    v = std::ldexp(mantissa + 1024, exponent - 25);
  return sign ? -v : v;
}

double bfloat16_to_double(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

bool close_enough(double e, double a) {
  if (std::isnan(e) || std::isnan(a)) return std::isnan(e) && std::isnan(a);
  if (std::isinf(e) || std::isinf(a)) return e == a;
  return std::fabs(a - e) <= kAtol + kRtol * std::fabs(e);
}

template <class T, class Eq, class Show>
std::optional<std::string> compare_elements(const runtime::Tensor& e, const runtime::Tensor& a, Eq eq, Show show) {
  const T* x = static_cast<const T*>(e.raw());
  const T* y = static_cast<const T*>(a.raw());
  std::int64_t first = -1, differ = 0;
  for (std::int64_t i = 0; i < e.size(); ++i)
    if (!eq(x[i], y[i])) {
      if (first < 0) first = i;
      ++differ;
    }
  if (first < 0) return std::nullopt;
  return "values: element " + std::to_string(first) + " expected " + show(x[first]) + ", got " + show(y[first]) +
         " (" + std::to_string(differ) + " of " + std::to_string(e.size()) + " differ)";
}

template <class T>
std::optional<std::string> compare_exact(const runtime::Tensor& e, const runtime::Tensor& a) {
  return compare_elements<T>(e, a, [](const T& x, const T& y) { return x == y; }, [](const T& v) {
    if constexpr (std::is_same_v<T, std::string>)
      return "\"" + v + "\"";
    else
      return std::to_string(v);
  });
}

template <class T, class ToDouble>
std::optional<std::string> compare_float(const runtime::Tensor& e, const runtime::Tensor& a, ToDouble to_double) {
  return compare_elements<T>(e, a, [&](T x, T y) { return close_enough(to_double(x), to_double(y)); }, [&](T v) {
    std::ostringstream s;
    s.precision(9);
    s << to_double(v);
    return s.str();
  });
}

}  // namespace

std::optional<std::string> compare(const runtime::Tensor& expected, const runtime::Tensor& actual) {
  using runtime::DType;
  if (expected.dtype() != actual.dtype())
    return "type: expected " + runtime::to_string(expected.dtype()) + ", got " + runtime::to_string(actual.dtype());
  if (expected.shape() != actual.shape())
    return "shape: expected " + runtime::shape_text(expected.shape()) + ", got " + runtime::shape_text(actual.shape());
  switch (expected.dtype()) {
    case DType::kFloat: return compare_float<float>(expected, actual, [](float v) { return double{v}; });
    case DType::kDouble: return compare_float<double>(expected, actual, [](double v) { return v; });
    case DType::kFloat16: return compare_float<std::uint16_t>(expected, actual, half_to_double);
    case DType::kBfloat16: return compare_float<std::uint16_t>(expected, actual, bfloat16_to_double);
    case DType::kInt8: return compare_exact<std::int8_t>(expected, actual);
    case DType::kInt16: return compare_exact<std::int16_t>(expected, actual);
    case DType::kInt32: return compare_exact<std::int32_t>(expected, actual);
    case DType::kInt64: return compare_exact<std::int64_t>(expected, actual);
    case DType::kUint8: return compare_exact<std::uint8_t>(expected, actual);
    case DType::kUint16: return compare_exact<std::uint16_t>(expected, actual);
    case DType::kUint32: return compare_exact<std::uint32_t>(expected, actual);
    case DType::kUint64: return compare_exact<std::uint64_t>(expected, actual);
    case DType::kBool: return compare_exact<bool>(expected, actual);
    case DType::kString: return compare_exact<std::string>(expected, actual);
    case DType::kUndefined: break;
  }
  return "type: " + runtime::to_string(expected.dtype()) + " cannot be compared";
}

std::set<std::string> read_expected(const fs::path& file) {
  std::set<std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.insert(line);
  }
  return out;
}

bool write_expected(const fs::path& file, const std::set<std::string>& names) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << "# ONNX backend tests (libonnx-testdata) that bbrun passes: <folder>/<test>, sorted.\n"
           "# Only ever grows: a listed test that fails fails ctest (bb_conformance_tests).\n"
           "# Regenerate with tests/conformance/update_expected.sh BUILD_DIR.\n";
    for (const auto& name : names) out << name << '\n';
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  return !ec;
}

}  // namespace bb::conformance
