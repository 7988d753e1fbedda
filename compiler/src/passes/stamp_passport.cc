// stamp-passport (docs/compiler.md, docs/spec.md):
// - the syscall domain joins the opset_import of the model and of every function
//   that holds gates (the wire domain stays);
// - ir_version 0 (a text file without header) becomes 8; others are kept;
// - the four passport keys are written, overwriting existing ones: compiled = v1,
//   compiler = `bbc <version>`, passes = the passes that ran (this one included),
//   graph_sha256 = SHA-256 of the deterministic bytes of graph and functions. The digest
//   is left pending (empty, PendingDigest): the driver's writer fills it in from the
//   bytes it writes, so the graph is serialized once (model_bytes.h). The pass writes
//   nothing.
#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "model_bytes.h"
#include "passes.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

// Per body of the index: whether it, or a subgraph inside it, holds a gate.
std::vector<bool> gated_bodies(WireIndex& index) {
  const auto& bodies = index.bodies();
  std::vector<bool> gated(bodies.size(), false);
  for (std::size_t b = 0; b < bodies.size(); ++b) {
    const BodyIndex& body = index.body(b);
    if (body.tx_gates().empty() && body.rx_gates().empty() && !body.recorded()) continue;
    for (int at = static_cast<int>(b); at >= 0; at = bodies[static_cast<std::size_t>(at)].parent)
      gated[static_cast<std::size_t>(at)] = true;
  }
  return gated;
}

class StampPassportPass final : public Pass {
 public:
  PassStatus run(PassContext& context) override {
    auto& model = context.model;
    auto& index = context.analysis<WireIndex>();
    const auto gated = gated_bodies(index);
    bool any = gated[0];
    for (std::size_t b = 0; b < gated.size(); ++b) {
      const auto& body = index.bodies()[b];
      if (body.kind != Body::Kind::kFunction || !gated[b]) continue;
      any = true;
      import_syscall_domain(*body.function->mutable_opset_import());
    }
    if (any) import_syscall_domain(*model.mutable_opset_import());
    if (model.ir_version() == 0) model.set_ir_version(ir::kMaxIrVersion);

    ir::Passport passport;
    passport.compiled = std::string(ir::kPassportVersion);
    passport.compiler = compiler_id();
    passport.passes = context.ran;
    // passport.digest stays empty: the key takes its place among the metadata now, its
    // value when the writer has hashed the bytes.
    ir::write_passport(model, passport);
    context.analyses.put<PendingDigest>();
    context.analyses.preserve_all();  // the index still holds: only opset imports and metadata changed
    return PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_stamp_passport_pass(const PassInfo&) { return std::make_unique<StampPassportPass>(); }

}  // namespace bb::compiler
