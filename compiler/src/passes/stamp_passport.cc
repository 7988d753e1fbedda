// stamp-passport (docs/compiler.md, docs/spec.md):
// - the syscall domain joins the opset_import of the model and of every function
//   that holds gates (the wire domain stays);
// - ir_version 0 (a text file without header) becomes 8; others are kept;
// - the four passport keys are written, overwriting existing ones: compiled = v1,
//   compiler = `bbc <version>`, passes = the passes that ran (this one included),
//   graph_sha256 = SHA-256 of the deterministic bytes of graph and functions. Those
//   bytes, behind the fields that precede `graph`, are kept for the writer, which
//   appends the rest instead of serializing again (model_bytes.h); when the output
//   goes to a file, they are streamed into it instead of kept.
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
    if (index.body(b).tx_gates().empty() && index.body(b).rx_gates().empty()) continue;
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

    // Unknown fields are serialized last, behind the functions: such a model (rare) is
    // not streamed.
    const bool stream = context.output_stream != nullptr && model.unknown_fields().empty();
    const std::uint64_t max = context.max_output_bytes;
    auto head = stream ? stream_head(model, *context.output_stream, max) : serialize_head(model, max);
    if (!head) return output_too_large(context.diags, head.error(), max);
    OutputBytes bytes = std::move(*head);
    // A file that cannot be written hashed only part of the graph: the digest comes from
    // the buffer then (the writer reports the error).
    if (stream && context.output_stream->failed()) bytes = std::move(*serialize_head(model, max));
    ir::Passport passport;
    passport.compiled = std::string(ir::kPassportVersion);
    passport.compiler = compiler_id();
    passport.passes = context.ran;
    passport.digest = digest_of(bytes);
    ir::write_passport(model, passport);
    context.analyses.put<OutputBytes>(std::move(bytes));
    context.analyses.preserve_all();  // the index still holds: only opset imports and metadata changed
    return PassStatus::ok();
  }
};

}  // namespace

std::unique_ptr<Pass> create_stamp_passport_pass(const PassInfo&) { return std::make_unique<StampPassportPass>(); }

}  // namespace bb::compiler
