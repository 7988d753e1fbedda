// Helpers for the compiler and lint tests: build or parse models, compile in memory,
// run the built bbc binary.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/compile.h"
#include "bb/compiler/diagnostics.h"
#include "bb/compiler/pass_manager.h"
#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "../support/temp_dir.h"

namespace bb::testing {

namespace fs = std::filesystem;

inline onnx::ModelProto parse_text(std::string_view text) {
  auto model = ir::parse_model(text, ir::ModelFormat::kText);
  if (!model) throw std::runtime_error("test model does not parse: " + model.error().message);
  return std::move(*model);
}

inline onnx::ModelProto parse_bytes(const std::string& bytes) {
  auto model = ir::parse_model(bytes, ir::ModelFormat::kBinary);
  if (!model) throw std::runtime_error("compiled bytes do not parse: " + model.error().message);
  return std::move(*model);
}

struct Compiled {
  compiler::PassStatus status;
  std::string bytes;
  std::vector<compiler::Finding> findings;
  std::string log;
  bool ok() const { return status.kind == compiler::PassStatus::Kind::kOk; }
  bool has(std::string_view code) const {
    for (const auto& f : findings)
      if (f.code == code) return true;
    return false;
  }
  const compiler::Finding* find(std::string_view code) const {
    for (const auto& f : findings)
      if (f.code == code) return &f;
    return nullptr;
  }
};

inline Compiled compile(onnx::ModelProto model, const compiler::PassOptions& options = {},
                        std::string_view path = "test.onnx") {
  compiler::DiagnosticEngine diags{std::string(path)};
  std::ostringstream log;
  auto result = compiler::compile_model(model, path, options, diags, log);
  return Compiled{result.status, std::move(result.bytes), diags.take(), log.str()};
}

// A model built node by node (the ONNX text syntax cannot name nodes).
class ModelBuilder {
 public:
  ModelBuilder() {
    model_.set_ir_version(8);
    import("", 13);
    import(ir::kWireDomain, 1);
    import(ir::kSyscallDomain, 1);
    model_.mutable_graph()->set_name("g");
  }
  ModelBuilder& import(std::string_view domain, std::int64_t version) {
    auto* o = model_.add_opset_import();
    o->set_domain(std::string(domain));
    o->set_version(version);
    return *this;
  }
  onnx::NodeProto& node(std::string_view domain, std::string_view op, std::initializer_list<std::string_view> inputs,
                        std::initializer_list<std::string_view> outputs, std::string_view name = {}) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_domain(std::string(domain));
    n->set_op_type(std::string(op));
    n->set_name(std::string(name));
    for (auto i : inputs) n->add_input(std::string(i));
    for (auto o : outputs) n->add_output(std::string(o));
    return *n;
  }
  onnx::NodeProto& sys(std::string_view op, std::initializer_list<std::string_view> in,
                       std::initializer_list<std::string_view> out, std::string_view name = {}) {
    return node(ir::kSyscallDomain, op, in, out, name);
  }
  onnx::NodeProto& send(std::initializer_list<std::string_view> in, std::string_view name = {},
                        std::string_view peer = "id:bob") {
    auto& n = node(ir::kWireDomain, ir::kSend, in, {}, name);
    if (!peer.empty()) str(n, ir::kAttrPeer, peer);
    return n;
  }
  onnx::NodeProto& recv(std::initializer_list<std::string_view> out, std::string_view name = {}) {
    return node(ir::kWireDomain, ir::kRecv, {}, out, name);
  }
  onnx::NodeProto& tick(std::string_view out = "tick", std::string_view name = "tick") {
    auto& n = sys(ir::kInterval, {}, {out}, name);
    integer(n, ir::kAttrPeriodNs, 1000);
    return n;
  }
  static void str(onnx::NodeProto& n, std::string_view name, std::string_view value) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(std::string(value));
  }
  static void integer(onnx::NodeProto& n, std::string_view name, std::int64_t value) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void strings(onnx::NodeProto& n, std::string_view name, std::initializer_list<std::string_view> values) {
    auto* a = n.add_attribute();
    a->set_name(std::string(name));
    a->set_type(onnx::AttributeProto::STRINGS);
    for (auto v : values) a->add_strings(std::string(v));
  }
  void input(std::string_view name, bool typed = true) {
    auto* v = model_.mutable_graph()->add_input();
    v->set_name(std::string(name));
    if (typed) {
      v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
      v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
    }
  }
  void output(std::string_view name) {
    auto* v = model_.mutable_graph()->add_output();
    v->set_name(std::string(name));
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
  }
  // A model-local function `domain.name` importing ai.onnx 13, its domain imported too.
  onnx::FunctionProto& function(std::string_view domain, std::string_view name,
                                std::initializer_list<std::string_view> inputs,
                                std::initializer_list<std::string_view> outputs) {
    import(domain, 1);
    auto* f = model_.add_functions();
    f->set_domain(std::string(domain));
    f->set_name(std::string(name));
    for (auto i : inputs) f->add_input(std::string(i));
    for (auto o : outputs) f->add_output(std::string(o));
    auto* onnx = f->add_opset_import();
    onnx->set_domain("");
    onnx->set_version(13);
    return *f;
  }
  onnx::ModelProto& model() { return model_; }

 private:
  onnx::ModelProto model_;
};


inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

struct Run {
  int exit_code = -1;
  std::string out, err;
};

// Runs a command line through the shell, capturing stdout and stderr.
inline Run run_shell(const std::string& command) {
  TempDir dir;
  const auto out = dir / "stdout", err = dir / "stderr";
  const std::string line = command + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(line.c_str());
  Run run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read_text(out);
  run.err = read_text(err);
  return run;
}

inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

}  // namespace bb::testing
