#include "bb/compiler/codes.h"

#include <array>
#include <string>

namespace bb::compiler {
namespace {

using S = Severity;

constexpr std::array kCodes{
    CodeInfo{kBB001, S::kError, "file is not a readable ONNX model",
             "The file exists but could not be parsed as an ONNX ModelProto (binary protobuf, or ONNX text "
             "syntax for .onnxtxt). The message says where parsing failed.",
             "Check that the file is an ONNX model; for .onnxtxt, fix the syntax at the reported line and column.",
             R"md(**File is not a readable ONNX model.** The file exists but does not parse: binary
protobuf for `.onnx`/`.bb`, ONNX text syntax for `.onnxtxt`. The message says where, and
quotes no more of the file than the offending token (escaped): the input may be any file.
```
junk.onnx: error BB001: not a binary ONNX model: protobuf parsing failed near byte 8 of 8
ping.onnxtxt: error BB001: line 3, column 10: Expected character ( not found. (at 'x')
```
**Fix:** check the file is a model; for text, fix the syntax at the reported line. (A
file that does not exist or cannot be read is not BB001 but an I/O error: exit 2.)

A model over one of the limits of [security.md](security.md) is also BB001: this bbc will not read it
as it stands. No new code was added for it on purpose — for a CI gate both mean "this
input is refused before any check runs", and the message names which limit, the node,
the value and the flag that raises it ([security.md](security.md) lists the limits):
```
big.onnx: error BB001: file is 2000000000 bytes, over the limit of 1073741824 [hint: raise the limit with --max-file-bytes]
g.onnx: error BB001: node 'n3' (Identity #3): the model has at least 4 nodes (graph, subgraphs and functions), over the limit of 3 (raise it with --max-nodes) [hint: …]
g.onnx: error BB001: node 'c' (Constant #0) attribute 'value': tensor declares 1099511627776 elements, over the limit of 67108864 (raise it with --max-tensor-elements) [hint: …]
g.onnx: error BB001: initializer 'w': tensor dim 1 is negative (dims are sizes: 0 or more) [hint: …]
```)md"},
    CodeInfo{kBB002, S::kError, "node domain has no opset_import entry",
             "A node uses a domain that neither the model (for graph nodes) nor its function (for function "
             "nodes) imports, so no ONNX tool can resolve it.",
             "Add the domain with its version to opset_import, e.g. \"ai.bytesandbrains.wire\" : 1.",
             R"md(**A node's domain has no `opset_import` entry** (the model's for graph nodes, the
function's for function nodes).
```
g.onnx: node 'frob' (Frob #1): error BB002: domain 'com.example' of op 'Frob' has no opset_import entry [hint: add "com.example" : <version> to opset_import]
```
**Fix:** import the domain, e.g. `ai.bytesandbrains.wire` at version 1.)md"},
    CodeInfo{kBB003, S::kError, "unknown op",
             "The op is not in the ONNX schema registry for the imported opset version, not a bb op of the wire "
             "or syscall domain, and not a model-local function; or its custom domain is described by the op "
             "manifest (--ops FILE) and the manifest does not declare it. (Ops of custom domains without a "
             "manifest are accepted: BB031.)",
             "Fix the op type or domain, raise the imported opset version, or define the function in the model.",
             R"md(**Unknown op:** not in onnx's schema registry for the imported opset version, not a bb
op (`docs/ops.md`), not a model-local function; or
its custom domain has an op manifest (`--ops FILE`) that does not declare it (custom
domains without a manifest are accepted: BB031).
```
g.onnx: node 'frobnicate' (Frobnicate #2): error BB003: unknown op 'Frobnicate' in domain 'ai.onnx' (not in the ONNX schema registry for opset 13, not a bb op, not a model-local function)
g.onnx: node 'send0' (Send #1): error BB003: unknown op 'Send' in domain 'ai.bytesandbrains.syscall' (not a bb op) [hint: Send lives in domain 'ai.bytesandbrains.wire']
```
**Fix:** correct the op type or domain, raise the opset version (an op newer than the
imported opset is unknown there), or define the function in the model.)md"},
    CodeInfo{kBB004, S::kError, "input value never produced",
             "A node reads a value that is not a graph input, an initializer, or the output of any node.",
             "Produce the value, declare it as a graph input, or fix the spelling of the input name.",
             R"md(**An input value is never produced**: not a graph input, initializer, or node output
(for subgraphs: of the subgraph or any enclosing graph).
```
g.onnx: node 'send_ghost' (Send #3): error BB004: input 'ghost' is never produced
```
**Fix:** produce the value, declare it as an input, or fix the name.)md"},
    CodeInfo{kBB005, S::kError, "value produced twice",
             "Two nodes (or a node and a graph input or initializer) define the same value name; ONNX graphs "
             "are in single-assignment form.",
             "Rename one of the outputs and update its consumers.",
             R"md(**A value is produced twice** (two nodes, or a node and a graph input/initializer).
```
g.onnx: node 'tick2' (Interval #4): error BB005: value 'tick' is already produced by node 'tick'
```
**Fix:** rename one output and its consumers (ONNX graphs are single-assignment).)md"},
    CodeInfo{kBB006, S::kError, "graph has a cycle",
             "Following inputs back to their producers returns to the same node: the graph cannot run.",
             "Break the cycle; feedback across executions goes through Send/Recv or a stateful op.",
             R"md(**The graph has a cycle.** The message lists it, starting at its lowest-index node.
```
g.onnx: node 'join' (OnTrigger #13): error BB006: the graph has a cycle: 'join' -> 'loop' -> 'join'
```
**Fix:** break the cycle; state that crosses executions goes through Send/Recv or a
stateful op such as `Aggregate`.)md"},
    CodeInfo{kBB007, S::kError, "graph input without a type",
             "A graph input has no type, which onnx.checker rejects.",
             "Give the input a type, e.g. float[1] x.",
             R"md(**A main-graph input has no type** (onnx.checker requires one).
```
g.onnx: error BB007: graph input 'x' has no type [hint: give it a type, e.g. float[1] x]
```
**Fix:** give the input a type.)md"},
    CodeInfo{kBB008, S::kError, "bb op with wrong arity or attributes",
             "A wire or syscall op has a number of inputs or outputs outside its range in the bb op table, or "
             "lacks a required attribute, or has one of the wrong type, or not exactly one of a group of "
             "alternatives.",
             "Compare the node with docs/ops.md: fix the number of inputs/outputs and the attributes.",
             R"md(**A bb op breaks the bb op table**: number of inputs or outputs out of range, a
required attribute missing, an attribute of the wrong type, not exactly one attribute
of a one-of group (`Constant`'s value forms; a Tx gate's `peer`/`dynamic_peers`), or a
gate whose outputs do not match its inputs one to one.
```
g.onnx: node 'timer' (Interval #5): error BB008: Interval needs attribute 'period_ns' (INT) [hint: add period_ns: period in ns (> 0)]
g.onnx: node 'pt' (PassThrough #1): error BB008: PassThrough takes 1 inputs, this node has 2
```
**Fix:** see the op in `docs/ops.md`. (A bad `peer` is BB011; a Send's missing inputs
are BB010.))md"},
    CodeInfo{kBB009, S::kError, "ir_version above 8",
             "onnx 1.12's checker accepts ir_version up to 8; a later version cannot produce a valid .bb.",
             "Export the model with ir_version 8 or lower.",
             R"md(**`ir_version` above 8**: onnx 1.12's checker cannot accept the output.
```
g.onnx: error BB009: ir_version is 9, above 8: onnx 1.12's checker cannot accept the output
```
**Fix:** export with `ir_version` ≤ 8. (A text file without header has version 0,
which compile turns into 8.))md"},
    CodeInfo{kBB010, S::kError, "Send without destination",
             "A Send has no inputs, or has no `peer` attribute and fewer than two inputs (a dynamic Send's last "
             "input is the peer list).",
             "Add peer = \"id:<name>\" (or a base58 PeerId), or pass a peer list as the last input.",
             R"md(**A Send without destination**: no inputs, or no `peer` attribute and fewer than two
inputs (a dynamic Send's last input is the peer list).
```
g.onnx: node 'send_empty' (Send #6): error BB010: Send has no inputs: no payload and no destination
g.onnx: node #15 (Send): error BB010: Send has no 'peer' attribute and one input: a dynamic Send needs the payloads, then the peer list as last input
```
**Fix:** add `peer = "id:<name>"` (or a base58 PeerId), or pass a peer list
(`Peers`, `SamplePeers`) as the last input.)md"},
    CodeInfo{kBB011, S::kError, "malformed peer",
             "A `peer` attribute (or an entry of a Peers list) has the wrong attribute type, is empty, or is "
             "neither a valid multihash (code 0x00 or 0x12) nor a valid text form (id:<name> or base58btc).",
             "Write the peer as id:<name> or as the base58btc text libp2p prints (12D3KooW…, Qm…).",
             R"md(**A malformed peer**: a `peer` attribute (on a Send or Tx gate) or a `Peers` entry of
the wrong attribute type, empty, or neither a valid multihash (code 0x00 identity or
0x12 sha2-256, minimal varints, exact length) nor a valid text form (`id:<name>`,
base58btc). The reason is the stable PeerId error label.
```
g.onnx: node 'send0' (Send #7): error BB011: peer attribute "id:" is not a valid multihash nor a valid text form (empty name after 'id:')
g.onnx: node 'everyone' (Peers #8): error BB011: Peers entry 1 "not*base58" is not a valid multihash nor a valid text form (invalid base58btc character)
g.onnx: node 'send_int' (Send #1): error BB011: peer attribute has type INT, expected STRING (multihash bytes or a text form)
```
**Fix:** write peers as `id:<name>` or the base58btc text libp2p prints.)md"},
    CodeInfo{kBB012, S::kError, "Send not behind the full gate chain",
             "On compiled input: a Send with a destination is not fed, on all its inputs, by PeerHealthGateTx "
             "then BackoffGateTx. Lint requires every gate whatever the passport's pass list says (a .bb "
             "compiled with --skip is reported); compile, which inserts the gates a --skip left out, only those the "
             "list names.",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand.",
             R"md(**(Compiled input) A Send is not behind the full gate chain**: it is not fed, on all
its inputs in order, by `PeerHealthGateTx` then `BackoffGateTx` of its own name. Lint
requires every gate whatever the passport's pass list says — the list is a label, the
chain is the structure, so a `.bb` compiled with `--skip` or a forged list is reported;
`compile` of a `.bb` requires only the listed ones, as it inserts the others.
```
g.bb: node 'send0' (Send #3): error BB012: Send 'send0' is not behind BackoffGateTx
g.bb: node 'send0' (Send #3): error BB012: Send 'send0' is not behind PeerHealthGateTx, BackoffGateTx: input 1 'x' does not come from 'BackoffGateTx@send0' output 1
```
**Fix:** recompile the source graph with `bbc compile`; never edit a `.bb` by hand.)md"},
    CodeInfo{kBB013, S::kError, "gate chain out of order or peer mismatch",
             "On compiled input: the gates of a chain are in the wrong order, repeated, or a Tx gate carries a "
             "different peer (or destination form) than its Send.",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand.",
             R"md(**(Compiled input) The gate chain is out of order** (or repeats a gate), **or a Tx
gate's destination differs from its Send's** (another peer, or static vs dynamic).
```
g.bb: node 'send0' (Send #3): error BB013: gate chain of Send 'send0' is out of order: BackoffGateTx -> PeerHealthGateTx -> Send, expected PeerHealthGateTx -> BackoffGateTx -> Send
g.bb: node 'send0' (Send #3): error BB013: gate 'BackoffGateTx@send0' of Send 'send0': the gate's peer id:mallory differs from the Send's peer id:bob
```
**Fix:** recompile the source graph.)md"},
    CodeInfo{kBB014, S::kError, "Recv output consumed without the rx gate chain",
             "On compiled input: an output of a Recv (or of an incomplete rx chain) reaches a node or a graph "
             "output without passing DedupGateRx, PeerHealthGateRx and BackoffGateRx.",
             "Recompile the source graph with bbc compile; do not edit .bb files by hand.",
             R"md(**(Compiled input) A Recv output is consumed without the rx gate chain**: something
other than the next gate reads the Recv's outputs or an intermediate gate's outputs,
a graph output exposes them, or a gate is missing.
```
g.bb: node 'recv0' (Recv #4): error BB014: Recv 'recv0' is not behind DedupGateRx, PeerHealthGateRx, BackoffGateRx: its output is consumed by node 'log'
```
**Fix:** recompile the source graph.)md"},
    CodeInfo{kBB015, S::kWarning, "channel payload count matches no Recv",
             "A Send carries a number of payloads that no Recv of its channel in this model expects; such "
             "envelopes are dropped at the receiver (arity_mismatch).",
             "Make the payload count of the Send equal to the number of payload outputs of the Recv (all outputs "
             "but the last, the sender), or use another channel.",
             R"md(**(Warning) A Send carries a payload count that no Recv of its channel in this model
expects** (a Recv with N+1 outputs takes N payloads; the last output is the sender).
Such envelopes are dropped at the receiver (`arity_mismatch`). Channels with no Recv
in the model are not checked: their receivers run another program.
```
g.onnx: node 'send2' (Send #9): warning BB015: Send carries 2 payload(s) on channel "c", but the Recvs of that channel take 1
```
**Fix:** match the payload count, or use another channel.)md"},
    CodeInfo{kBB016, S::kWarning, "node order is not topological",
             "The graph is acyclic but a node appears before a producer of one of its inputs; onnx.checker "
             "rejects such graphs. bbc compile sorts the nodes stably.",
             "Reorder the nodes so producers come first (bbc compile does it for you).",
             R"md(**(Warning) Node order is not topological** (the graph is acyclic; with a cycle only
BB006 is reported). `bbc compile` sorts the graph stably, moving nodes only as far as
their producers require.
```
g.onnx: node 'early' (Send #0): warning BB016: node order is not topological: input 'late' is produced later, by node 'late_tick'
```
**Fix:** none needed for compile; reorder by hand to silence lint.)md"},
    CodeInfo{kBB017, S::kError, "custom op does not match its op manifest",
             "An op of a custom domain that the op manifest (--ops FILE) describes has a number of inputs or "
             "outputs outside the declared range, lacks a required attribute, has one of the wrong type, or has "
             "an attribute the manifest does not declare.",
             "Compare the node with its entry in the op manifest: fix the node, or the manifest if the op changed.",
             R"md(**Custom op does not match its op manifest** (`--ops FILE`, docs/extending.md): its
input or output count is outside the declared range, a required attribute is missing, one
has the wrong type, or it has an attribute the manifest does not declare.
**Fix:** fix the node, or the manifest if the op changed.)md"},
    CodeInfo{kBB018, S::kError, "name or stamp reserved for bbc's gates",
             "A source graph (one without a passport) defines a value named like a gate output "
             "(<key>#<infix>.<j>, e.g. send0#backoff_tx_gated.0), or has a Send or Recv that already carries a "
             "gate stamp (an INT attribute such as backoff_tx_gated = 1). Both belong to the gates bbc inserts: the gate would define the value a "
             "second time, or the stamp would make bbc skip the gate.",
             "Rename the value; remove the gate stamps from the Send or Recv (bbc stamps it when it inserts the "
             "gates).",
             R"md(**A name or stamp reserved for bbc's gates**, in a source graph (one without a
passport): a value named like a gate output (`<key>#<infix>.<j>`), which the gate would
define a second time; or a Send or Recv that already carries a gate stamp, which would
make bbc skip its gate and leave the wire op ungated.
```
g.onnx: node 'n' (Identity #2): error BB018: value 'send0#backoff_tx_gated.0' has the form of a gate output, reserved for the gates bbc inserts
g.onnx: node 'send0' (Send #1): error BB018: Send carries the gate stamp 'backoff_tx_gated' in a source graph: bbc would not insert its gate
```
**Fix:** rename the value; remove the stamps (bbc stamps a wire op when it gates it).)md"},
    CodeInfo{kBB019, S::kError, "subgraph redefines a value of an enclosing graph",
             "A subgraph (a branch of If, the body of Loop or Scan) declares an input or initializer, or has a "
             "node output, with the name of a value of a graph around it. Subgraphs read the values of "
             "enclosing graphs by name, so the name would mean two values at once (onnx.checker refuses it "
             "too).",
             "Rename the subgraph's value (and its readers inside the subgraph).",
             R"md(**A subgraph redefines a value of an enclosing graph**: an input, initializer or node
output of an `If` branch, a `Loop` or `Scan` body has the name of a value of a graph
around it. A subgraph reads outer values by name, so the name would mean two values.
```
g.onnx: node 'inner' (Identity #0): error BB019: value 'x' is already a value of an enclosing graph (in subgraph 'then' of node 'if0')
```
**Fix:** rename the subgraph's value and its readers inside the subgraph.)md"},
    CodeInfo{kBB020, S::kError, "bad or missing passport",
             "The model carries the passport with an unknown version, or its graph_sha256 does not match the "
             "graph (it was edited after compiling), or a .bb file has no passport.",
             "Recompile the source graph with bbc compile.",
             R"md(**Passport problems**: a compiled model whose `ai.bytesandbrains.compiled` is not `v1`;
a `graph_sha256` that does not match the graph and functions (edited after compiling);
or a `.bb` file without a passport.
```
g.bb: error BB020: graph_sha256 2f69…0659 does not match the graph (9a1c…): the graph was changed after compiling
g.bb: error BB020: passport version "v2" is unknown (this bbc reads v1)
plain.bb: error BB020: a .bb file without a passport: it was not written by bbc compile
```
**Fix:** recompile the source graph.)md"},
    CodeInfo{kBB021, S::kError, "compiled output over its limit",
             "The compiled model would be larger than --max-output-bytes (default 1 GiB, the largest file bbrun "
             "reads by default; at most 2 GiB - 1, the largest message protobuf can hold). The gates repeat the "
             "name of their Send or Recv in every value they define, so a wire op with many payloads or a long "
             "name multiplies the output.",
             "Shorten the names of the Sends and Recvs with many payloads, or raise --max-output-bytes (and "
             "bbrun's --max-file-bytes) if the model is meant to be that large.",
             R"md(**The compiled model would be larger than `--max-output-bytes`** (default 1 GiB, the
largest file `bbrun` reads by default; at most 2,147,483,647 bytes, the largest message
protobuf can represent). Every gate repeats the name of its Send or Recv in each value
it defines (`<key>#<infix>.<j>`), so a wire op with many payloads and a long name
multiplies the output. Nothing is written.
```
g.onnx: error BB021: the compiled model would be 401276940 bytes, over the limit of 268435456 (raise it with --max-output-bytes)
g.onnx: error BB021: the gates alone would add more than 1073741824 bytes, the limit of the compiled model (raise it with --max-output-bytes)
```
**Fix:** shorten the names of the wire ops with many payloads, or raise the limit.)md"},
    CodeInfo{kBB022, S::kError, "wire-op name too long to name its gates",
             "A Send or Recv has a name longer than 1024 bytes. The name is the key of its gates: it is repeated "
             "in the name of each gate and of every value the gates define.",
             "Give the Send or Recv a shorter name.",
             R"md(**A Send or Recv whose name is longer than 1024 bytes.** The name is its gates' key,
repeated in every gate's name and in each value the gates define (`<key>#<infix>.<j>`):
a long name times many payloads made outputs hundreds of times larger than the input.
```
g.onnx: node 'aaaa…' (Recv #1): error BB022: the name is 40000 bytes long; a wire op's name names its gates and their values, and may be at most 1024 bytes
```
**Fix:** give the wire op a shorter name.)md"},
    CodeInfo{kBB030, S::kNote, "node without a name",
             "A node has no name (reported only with --pedantic: the ONNX text syntax cannot name nodes). Wire "
             "ops get deterministic names when compiled.",
             "Name the node, e.g. with onnx.helper.make_node(..., name=...).",
             R"md(**(Note, `lint --pedantic` only) A node without a name.** The ONNX text syntax cannot
name nodes, so this is never an error; wire ops get `Send_<i>`/`Recv_<i>` when compiled.
```
g.onnx: node #15 (Send): note BB030: node has no name
```
**Fix:** name the node (`onnx.helper.make_node(..., name=...)`).)md"},
    CodeInfo{kBB031, S::kNote, "ops of custom domains",
             "The model uses ops of a domain that is neither ONNX's nor bb's (a team's own ops, run by kernels a "
             "bbrun plugin provides). They are checked for structure (single assignment, cycles, inputs that "
             "are produced) but not against a schema unless an op manifest (--ops FILE) describes them. The note "
             "lists each op with its node count.",
             "Nothing to fix. Pass --ops FILE to check their arity and attributes, and run the graph with "
             "bbrun --plugin LIB (or kernels linked in).",
             R"md(**(Note) Ops of custom domains.** Checked for structure (single assignment, cycles,
produced inputs) but not against a schema unless an op manifest (`--ops FILE`) describes
them; run them with `bbrun --plugin LIB` (docs/extending.md).
**Fix:** nothing to fix.)md"},
    CodeInfo{kBB032, S::kWarning, "Send on a channel no receiver listens on",
             "Linting graphs together (--together, or a deployment file): a Send's channel has no Recv in any of them "
             "(or, in a deployment, none in the graph of the Send's destination). Every envelope it sends ends "
             "`rejected` at the receiver.",
             "Use the channel the receiver's Recv listens on, or add a Recv of this channel.",
             R"md(**(Warning, graphs linted together or a deployment) A Send on a channel no receiver
listens on.** With `bbc lint --together a.onnxtxt b.onnxtxt` the channel has no Recv in any of
them; with a deployment file (`bbc lint deploy.toml`) none in the graph of the Send's
destination. The receiver rejects every envelope (`no_recv`). The message lists the
channels that are listened on, with the closest one.
```
alice.onnxtxt: node #1 (Send): warning BB032: Send to id:bob on channel "count", but the graph of id:bob has no Recv on that channel (it listens on 'cuont') (did you mean 'cuont'?): every envelope ends rejected
```
**Fix:** make the two channels the same.)md"},
    CodeInfo{kBB033, S::kWarning, "Recv nobody sends to",
             "Linting graphs together (--together, or a deployment file): no Send in any of them sends on the channel "
             "of this Recv, so it never fires.",
             "Fix the channel of the Recv or of the Send that should reach it.",
             R"md(**(Warning, graphs linted together or a deployment) A Recv nobody sends to:** no Send of the
graphs linted together sends on its channel, so it never fires.
```
receiver.onnxtxt: node #0 (Recv): warning BB033: Recv on channel "cuont", but no Send in the deployment sends on it (they send on 'count') (did you mean 'count'?)
```
**Fix:** fix the channel of the Recv or of the Send.)md"},
    CodeInfo{kBB034, S::kWarning, "Send to a peer outside the deployment",
             "Linting a deployment file: a Send's static peer is not a [[node]] of the deployment, so every "
             "attempt ends `unreachable`.",
             "Add the peer to the deployment, or fix the peer of the Send.",
             R"md(**(Warning, a deployment) A Send to a peer that is not in the deployment**: every attempt
ends `unreachable`.
```
alice.onnxtxt: node #1 (Send): warning BB034: Send to id:bbo, a peer that is not in the deployment: every attempt ends unreachable
```
**Fix:** add a `[[node]]` for the peer, or fix the Send's `peer`.)md"},
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

std::string diagnostics_markdown() {
  std::string out = R"md(# Diagnostics: the BBxxx codes

<!-- Generated by `bbc codes --markdown` from compiler/src/codes.cc; edit there. -->

`bbc compile` and `bbc lint` run the same validator (`compiler/src/validate.cc`) and the
same gate-contract checker (`compiler/src/gate_contracts.cc`); every finding is a value
`{code, severity, message, file, node, op_type, index, hint}` reported through one
diagnostics engine. Codes are stable; messages name the file, the node (name, op
type, index) and the value involved, and a hint says what to do.

Text form (stderr), one finding per line:

```
graph.onnx: node 'send0' (Send #12): error BB011: peer attribute "id:" is not a valid multihash nor a valid text form (empty name after 'id:') [hint: …]
graph.onnx: node #15 (Send): error BB010: …          # an unnamed node: its index and op type
graph.onnx: error BB009: …                           # a file-level finding: no node part
```

Findings inside a function or a subgraph say so in the message
(`… (in function 'Notify')`, `… (in subgraph 'then' of node 'if0')`); their index is the
node's index in that graph. Output is sorted by file, then graph, then node index.

)md";
  out += "| code | severity | meaning |\n|---|---|---|\n";
  for (const auto& info : kCodes) {
    std::string anchor(info.code);
    for (char& c : anchor) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    out += "| [" + std::string(info.code) + "](#" + anchor + ") | " + std::string(to_string(info.severity)) + " | " +
           std::string(info.title) + " |\n";
  }
  out += R"md(
Errors make `compile` stop after `validate` (exit 1, no output written) and make
`lint` exit 1. Warnings are shown; they fail only `lint --werror`. Notes never fail.
On compiled input (a model carrying `ai.bytesandbrains.compiled`), BB020 and
BB012–BB014 are checked first (by lint for every gate, whatever passes the passport
lists). In a source graph (no passport) BB018 guards the names and stamps of the gates.

---
)md";
  for (const auto& info : kCodes) {
    out += "\n### " + std::string(info.code) + "\n";
    out += info.doc;
    out += "\n";
  }
  return out;
}

const CodeInfo* find_code(std::string_view code) {
  for (const auto& info : kCodes)
    if (info.code == code) return &info;
  return nullptr;
}

}  // namespace bb::compiler
