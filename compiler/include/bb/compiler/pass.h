// A compiler pass: a named, registered rewrite of the model (SPEC §4.1). A pass only
// transforms; timing, IR printing and verification between passes live in the
// PassManager.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/gate_contracts.h"
#include "bb/compiler/op_manifest.h"

namespace bb::compiler {

// The pass names, in canonical order (SPEC §4.1).
inline constexpr std::string_view kPassValidate = "validate";
inline constexpr std::string_view kPassCanonicalize = "canonicalize";
inline constexpr std::string_view kPassInsertDedupGateRx = "insert-dedup-gate-rx";
inline constexpr std::string_view kPassInsertPeerHealthGateRx = "insert-peer-health-gate-rx";
inline constexpr std::string_view kPassInsertBackoffGateRx = "insert-backoff-gate-rx";
inline constexpr std::string_view kPassInsertPeerHealthGateTx = "insert-peer-health-gate-tx";
inline constexpr std::string_view kPassInsertBackoffGateTx = "insert-backoff-gate-tx";
inline constexpr std::string_view kPassVerifyGates = "verify-gates";
inline constexpr std::string_view kPassStampPassport = "stamp-passport";

// Properties a pass requires of its input and guarantees of its output.
enum Property : std::uint32_t {
  kValidated = 1u << 0,    // validate found no error
  kCanonical = 1u << 1,    // peers are bytes, wire ops have unique names, order is topological
  kGatesVerified = 1u << 2,
  kStamped = 1u << 3,      // the passport is written
};

class WireIndex;     // compiler/src/wire_index.h: an analysis the passes share
class OutputStream;  // compiler/src/model_bytes.h: the output file being written

// The compiled model's bytes as stamp-passport serialized them for the digest, for the
// writer to complete instead of serializing again (SPEC Appendix A tip).
struct OutputBytes {
  std::string head;               // the model's fields before `graph`, then `graph`
  std::size_t graph_offset = 0;   // where `graph` starts in `head`
  std::string functions;          // the `functions` fields
  // The head went straight into PassContext::output_stream (`head` is empty) and was
  // hashed on its way there, with the functions: `digest` is graph_sha256.
  bool streamed = false;
  std::string digest;
};

struct PassContext {
  PassContext(onnx::ModelProto& m, DiagnosticEngine& d, std::string_view p) : model(m), diags(d), path(p) {}

  onnx::ModelProto& model;
  DiagnosticEngine& diags;
  std::string_view path;                  // the input path as given
  const OpManifest* ops = nullptr;        // --ops FILE, for validate (or null)
  std::vector<std::string> ran;           // names of the passes run so far, in order
  GateSet gates;                          // gates whose insertion passes ran
  std::uint32_t properties = 0;           // established Property bits
  // Set by validate: the graphs (Finding::scope) whose node order is not topological.
  std::vector<int> unordered_scopes;
  // Set by stamp-passport: the bytes it hashed (graph and functions), with the fields
  // before `graph`; the writer appends the rest.
  std::optional<OutputBytes> output_bytes;
  // When the caller writes the output to a file: stamp-passport streams the head into
  // it instead of into OutputBytes::head (no buffer of the whole graph).
  OutputStream* output_stream = nullptr;
  // The wire ops, gates and readers of Recv values of every graph, built by the first
  // pass that asks for it and kept valid by the passes that declare so; the manager
  // drops it after any other pass.
  std::shared_ptr<WireIndex> wire_index;
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
  std::string_view description;  // one line, for `bbc passes`
  bool skippable;
  std::uint32_t requires_properties;
  std::uint32_t guarantees;
  std::optional<Gate> inserts;   // the gate an insertion pass inserts
  bool keeps_analyses;           // leaves PassContext::wire_index valid
  std::unique_ptr<Pass> (*create)();
};

// Every pass, in canonical order.
const std::vector<PassInfo>& registered_passes();
const PassInfo* find_pass(std::string_view name);

// The version `bbc --version` prints, and the passport's `compiler` value (`bbc <version>`).
std::string_view compiler_version();
std::string compiler_id();

}  // namespace bb::compiler
