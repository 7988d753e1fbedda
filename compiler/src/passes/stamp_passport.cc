// stamp-passport (SPEC §4.1, Appendix A):
// - the syscall domain joins the opset_import of the model and of every function
//   that holds gates (the wire domain stays);
// - ir_version 0 (a text file without header) becomes 8; others are kept;
// - the four passport keys are written, overwriting existing ones: compiled = v1,
//   compiler = `bbc <version>`, passes = the passes that ran (this one included),
//   graph_sha256 = SHA-256 of the deterministic bytes of graph and functions. Those
//   bytes are kept for the writer, which splices them instead of serializing again.
#include <string>

#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/sha256.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "passes.h"

namespace bb::compiler {
namespace {

bool holds_gates(const onnx::GraphProto& graph);

bool holds_gates(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes) {
  for (const auto& node : nodes) {
    if (ir::is_gate(node)) return true;
    for (const auto& attr : node.attribute()) {
      if (attr.has_g() && holds_gates(attr.g())) return true;
      for (const auto& g : attr.graphs())
        if (holds_gates(g)) return true;
    }
  }
  return false;
}

bool holds_gates(const onnx::GraphProto& graph) { return holds_gates(graph.node()); }

void import_syscall(google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports) {
  if (ir::opset_version(imports, ir::kSyscallDomain)) return;
  auto* entry = imports.Add();
  entry->set_domain(std::string(ir::kSyscallDomain));
  entry->set_version(ir::kSyscallDomainVersion);
}

class StampPassportPass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    auto& model = context.model;
    bool any = holds_gates(model.graph());
    for (auto& function : *model.mutable_functions()) {
      if (!holds_gates(function.node())) continue;
      any = true;
      import_syscall(*function.mutable_opset_import());
    }
    if (any) import_syscall(*model.mutable_opset_import());
    if (model.ir_version() == 0) model.set_ir_version(ir::kMaxIrVersion);

    std::string bytes = ir::graph_and_functions_bytes(model);
    ir::Passport passport;
    passport.compiled = std::string(ir::kPassportVersion);
    passport.compiler = compiler_id();
    passport.passes = context.ran;
    passport.digest = sha256_hex(bytes);
    ir::write_passport(model, passport);
    context.graph_and_functions_bytes = std::move(bytes);
    return PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_stamp_passport_pass() { return std::make_unique<StampPassportPass>(); }

}  // namespace bb::compiler
