#include "bb/compiler/codes.h"

#include <array>

namespace bb::compiler {
namespace {

using S = Severity;

constexpr std::array kCodes{
    CodeInfo{kBB001, S::kError, "file is not a readable ONNX model",
             "The file exists but could not be parsed as an ONNX ModelProto (binary protobuf, or ONNX text "
             "syntax for .onnxtxt). The message says where parsing failed.",
             "Check that the file is an ONNX model; for .onnxtxt, fix the syntax at the reported line and column."},
    CodeInfo{kBB002, S::kError, "node domain has no opset_import entry",
             "A node uses a domain that neither the model (for graph nodes) nor its function (for function "
             "nodes) imports, so no ONNX tool can resolve it.",
             "Add the domain with its version to opset_import, e.g. \"ai.bytesandbrains.wire\" : 1."},
    CodeInfo{kBB003, S::kError, "unknown op",
             "The op is not in the ONNX schema registry for the imported opset version, not a bb op of the wire "
             "or syscall domain, and not a model-local function; or its custom domain is described by the op "
             "manifest (--ops FILE) and the manifest does not declare it. (Ops of custom domains without a "
             "manifest are accepted: BB031.)",
             "Fix the op type or domain, raise the imported opset version, or define the function in the model."},
    CodeInfo{kBB004, S::kError, "input value never produced",
             "A node reads a value that is not a graph input, an initializer, or the output of any node.",
             "Produce the value, declare it as a graph input, or fix the spelling of the input name."},
    CodeInfo{kBB005, S::kError, "value produced twice",
             "Two nodes (or a node and a graph input or initializer) define the same value name; ONNX graphs "
             "are in single-assignment form.",
             "Rename one of the outputs and update its consumers."},
    CodeInfo{kBB006, S::kError, "graph has a cycle",
             "Following inputs back to their producers returns to the same node: the graph cannot run.",
             "Break the cycle; feedback across executions goes through Send/Recv or a stateful op."},
    CodeInfo{kBB007, S::kError, "graph input without a type",
             "A graph input has no type, which onnx.checker rejects.",
             "Give the input a type, e.g. float[1] x."},
    CodeInfo{kBB008, S::kError, "bb op with wrong arity or attributes",
             "A wire or syscall op has a number of inputs or outputs outside its range in the bb op table, or "
             "lacks a required attribute, or has one of the wrong type, or not exactly one of a group of "
             "alternatives.",
             "Compare the node with docs/ops.md: fix the number of inputs/outputs and the attributes."},
    CodeInfo{kBB009, S::kError, "ir_version above 8",
             "onnx 1.12's checker accepts ir_version up to 8; a later version cannot produce a valid .bb.",
             "Export the model with ir_version 8 or lower."},
    CodeInfo{kBB010, S::kError, "Send without destination",
             "A Send has no inputs, or has no `peer` attribute and fewer than two inputs (a dynamic Send's last "
             "input is the peer list).",
             "Add peer = \"id:<name>\" (or a base58 PeerId), or pass a peer list as the last input."},
    CodeInfo{kBB011, S::kError, "malformed peer",
             "A `peer` attribute (or an entry of a Peers list) has the wrong attribute type, is empty, or is "
             "neither a valid multihash (code 0x00 or 0x12) nor a valid text form (id:<name> or base58btc).",
             "Write the peer as id:<name> or as the base58btc text libp2p prints (12D3KooW…, Qm…)."},
    CodeInfo{kBB012, S::kError, "Send not behind the full gate chain",
             "On compiled input: a Send with a destination is not fed, on all its inputs, by PeerHealthGateTx "
             "then BackoffGateTx (for the gates whose passes the passport lists).",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand."},
    CodeInfo{kBB013, S::kError, "gate chain out of order or peer mismatch",
             "On compiled input: the gates of a chain are in the wrong order, repeated, or a Tx gate carries a "
             "different peer (or destination form) than its Send.",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand."},
    CodeInfo{kBB014, S::kError, "Recv output consumed without the rx gate chain",
             "On compiled input: an output of a Recv (or of an incomplete rx chain) reaches a node or a graph "
             "output without passing DedupGateRx, PeerHealthGateRx and BackoffGateRx.",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand."},
    CodeInfo{kBB015, S::kWarning, "channel payload count matches no Recv",
             "A Send carries a number of payloads that no Recv of its channel in this model expects; such "
             "envelopes are dropped at the receiver (arity_mismatch).",
             "Make the payload count of the Send equal to the number of payload outputs of the Recv (all outputs "
             "but the last, the sender), or use another channel."},
    CodeInfo{kBB016, S::kWarning, "node order is not topological",
             "The graph is acyclic but a node appears before a producer of one of its inputs; onnx.checker "
             "rejects such graphs. bbc compile sorts the nodes stably.",
             "Reorder the nodes so producers come first (bbc compile does it for you)."},
    CodeInfo{kBB017, S::kError, "custom op does not match its op manifest",
             "An op of a custom domain that the op manifest (--ops FILE) describes has a number of inputs or "
             "outputs outside the declared range, lacks a required attribute, has one of the wrong type, or has "
             "an attribute the manifest does not declare.",
             "Compare the node with its entry in the op manifest: fix the node, or the manifest if the op changed."},
    CodeInfo{kBB020, S::kError, "bad or missing passport",
             "The model carries the passport with an unknown version, or its graph_sha256 does not match the "
             "graph (it was edited after compiling), or a .bb file has no passport.",
             "Recompile the source graph with bbc compile."},
    CodeInfo{kBB030, S::kNote, "node without a name",
             "A node has no name (reported only with --pedantic: the ONNX text syntax cannot name nodes). Wire "
             "ops get deterministic names when compiled.",
             "Name the node, e.g. with onnx.helper.make_node(..., name=...)."},
    CodeInfo{kBB031, S::kNote, "ops of custom domains",
             "The model uses ops of a domain that is neither ONNX's nor bb's (a team's own ops, run by kernels a "
             "bbrun plugin provides). They are checked for structure (single assignment, cycles, inputs that "
             "are produced) but not against a schema unless an op manifest (--ops FILE) describes them. The note "
             "lists each op with its node count.",
             "Nothing to fix. Pass --ops FILE to check their arity and attributes, and run the graph with "
             "bbrun --plugin LIB (or kernels linked in)."},
};

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

std::span<const CodeInfo> code_catalog() { return kCodes; }

const CodeInfo* find_code(std::string_view code) {
  for (const auto& info : kCodes)
    if (info.code == code) return &info;
  return nullptr;
}

}  // namespace bb::compiler
