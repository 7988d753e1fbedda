// A compiler pass: a named, registered rewrite of the model (docs/compiler.md, "Passes").
// A pass only transforms: timing, IR printing and verification are instrumentations the
// PassManager runs around it (pass_manager.h); what a pass learns about the model and
// shares with later passes is an analysis it asks the context for by type.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/gate_contracts.h"
#include "bb/compiler/op_manifest.h"
#include "bb/ir/names.h"

namespace bb::compiler {

class VerbatimNodes;

// The pass names, in canonical order (docs/compiler.md). The gate passes' names are part
// of the passport and live in the gate catalogue (bb/ir/gates.h).
inline constexpr std::string_view kPassValidate = "validate";
inline constexpr std::string_view kPassCanonicalize = "canonicalize";
using ir::kPassInsertDedupGateRx;
using ir::kPassInsertPeerHealthGateRx;
using ir::kPassInsertBackoffGateRx;
using ir::kPassInsertPeerHealthGateTx;
using ir::kPassInsertBackoffGateTx;
inline constexpr std::string_view kPassVerifyGates = "verify-gates";
inline constexpr std::string_view kPassStampPassport = "stamp-passport";

// The largest compiled model written by default: the default --max-file-bytes, what
// bbrun reads. `--max-output-bytes` sets it, up to ir::kMaxModelFileBytes (bb/ir/limits.h),
// the largest message protobuf can represent. Over it: BB021.
inline constexpr std::uint64_t kDefaultMaxOutputBytes = std::uint64_t{1} << 30;
inline constexpr std::string_view kFlagMaxOutputBytes = "--max-output-bytes";

// Properties a pass requires of its input and guarantees of its output.
enum Property : std::uint32_t {
  kValidated = 1u << 0,    // validate found no error
  kCanonical = 1u << 1,    // peers are bytes, wire ops have unique names, order is topological
  kGatesVerified = 1u << 2,
  kStamped = 1u << 3,      // the passport is written
};

// The analyses of one compile, each requested by type (MLIR's getAnalysis): built by the
// first pass that asks for it, kept while the passes after it declare it preserved, and
// dropped after the first pass that does not. An analysis type `A` is built from the
// PassContext (`A(PassContext&)`); a result a pass computes on its way (validate's
// unordered graphs, stamp-passport's pending digest) is recorded with `put<A>(args…)`.
class AnalysisManager {
 public:
  template <class A>
  A* cached() const {
    for (const auto& [id, analysis] : analyses_)
      if (id == id_of<A>()) return static_cast<A*>(analysis.get());
    return nullptr;
  }

  template <class A, class... Args>
  A& put(Args&&... args) {
    erase(id_of<A>());
    auto owned = std::make_shared<A>(std::forward<Args>(args)...);
    A& ref = *owned;
    analyses_.emplace_back(id_of<A>(), std::move(owned));
    return ref;
  }

  // Called by a pass while it runs: `A` stays valid after it (it did not change what A
  // describes, or it updated A as it went).
  template <class A>
  void preserve() { preserved_.push_back(id_of<A>()); }
  // Forgets `A` (what it recorded no longer holds).
  template <class A>
  void erase() { erase(id_of<A>()); }
  void preserve_all() { preserve_all_ = true; }

  // Called by the PassManager after each pass: drops what the pass did not preserve.
  void end_pass();

 private:
  using Id = const void*;
  template <class A>
  static Id id_of() {
    static const char tag = 0;
    return &tag;
  }
  void erase(Id id);

  std::vector<std::pair<Id, std::shared_ptr<void>>> analyses_;
  std::vector<Id> preserved_;
  bool preserve_all_ = false;
};

struct PassContext {
  PassContext(onnx::ModelProto& m, DiagnosticEngine& d, std::string_view p) : model(m), diags(d), path(p) {}

  // The analysis `A` of the model as it is now, built on first request.
  template <class A>
  A& analysis() {
    if (auto* cached = analyses.cached<A>()) return *cached;
    return analyses.put<A>(*this);
  }

  onnx::ModelProto& model;
  DiagnosticEngine& diags;
  std::string_view path;                  // the input path as given
  const OpManifest* ops = nullptr;        // --ops FILE, for validate (or null)
  std::uint64_t max_output_bytes = kDefaultMaxOutputBytes;  // --max-output-bytes (BB021)
  // The main graph's nodes left as bytes (docs/compiler.md, "Verbatim nodes"), or null:
  // the model was parsed whole (or validate parsed the rest of it).
  VerbatimNodes* verbatim = nullptr;
  std::vector<std::string> ran;           // names of the passes run so far, in order
  GateSet gates;                          // gates whose insertion passes ran
  std::uint32_t properties = 0;           // established Property bits
  // Set by the PassManager for the pass it runs: an rx gate pass whose next pass is one
  // too, with nothing looking at the graph in between (no --print-after, --verify-each
  // or added instrumentation). Its rewiring of the Recvs' readers may then wait for that
  // pass, which moves each reader once for both (docs/compiler.md, "Gate records").
  bool rx_renames_may_wait = false;
  AnalysisManager analyses;
};

// Recorded by validate: the graphs (Finding::scope) whose node order is not topological,
// for canonicalize to sort.
struct UnorderedScopes {
  std::vector<int> scopes;
};

// A pass result: ok; input errors were reported (stop, exit 1); or an internal error
// (a bug in bbc, exit 3) with its message.
struct PassStatus {
  enum class Kind { kOk, kInputErrors, kInternal } kind = Kind::kOk;
  std::string message;

  static PassStatus ok() { return {}; }
  static PassStatus input_errors() { return {Kind::kInputErrors, {}}; }
  static PassStatus internal(std::string message) { return {Kind::kInternal, std::move(message)}; }
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual PassStatus run(PassContext& context) = 0;
};

// One registered pass.
struct PassInfo {
  std::string_view name;
  std::string description;  // one line, for `bbc passes`
  bool skippable;
  std::uint32_t requires_properties;
  std::uint32_t guarantees;
  std::optional<Gate> inserts;   // the gate an insertion pass inserts
  std::unique_ptr<Pass> (*create)(const PassInfo& info);
};

// Every pass, in canonical order.
const std::vector<PassInfo>& registered_passes();
const PassInfo* find_pass(std::string_view name);

// The version `bbc --version` prints, and the passport's `compiler` value (`bbc <version>`).
std::string_view compiler_version();
std::string compiler_id();

}  // namespace bb::compiler
