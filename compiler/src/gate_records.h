// A gate kept as a record (docs/compiler.md, "Gate records"): the gate passes of a fresh
// compile do not build the ~350k gate NodeProtos of a large graph; they record which
// gates each wire op of the main graph gets, and the writer emits the gates' bytes
// between the original nodes'. A recorded gate is spelled out (GateSpelling: every field
// its node holds) and then either built as a node (materialisation, for whoever must see
// the graph) or encoded as the bytes protobuf's deterministic serialization of that node
// gives. Both renderings live here, side by side, and a test holds them equal.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/arena.h>
#include <onnx/onnx_pb.h>

#include "bb/ir/gates.h"

namespace bb::compiler {

// One recorded gate, spelled out: name `<OpType>@<key>`, the syscall domain, the inputs
// it takes over, outputs `<key>#<infix>.<j>`, then (tx) `peer` = the Send's bytes or
// `dynamic_peers` = 1, then `source` = key.
struct GateSpelling {
  const ir::GateInfo* info = nullptr;
  std::string_view key;
  std::vector<std::string_view> inputs;
  std::vector<std::string> outputs;       // outputs.size() of them are in use: see count
  std::size_t count = 0;                  // outputs in use (the buffers are reused)
  std::optional<std::string_view> peer;   // tx with a static destination
  bool dynamic = false;                   // tx with a dynamic destination

  // Sets info, key and the outputs' names for `count` outputs (reusing the buffers).
  void spell_outputs(const ir::GateInfo& gate, std::string_view wire_op, std::size_t n);
};

// Appends `<key>#<infix>.<j>` to `out` (ir::gate_output_name without a new string).
void append_gate_output_name(std::string& out, std::string_view key, std::string_view infix, std::size_t j);

// The node, as the gate passes build it (on `arena`, or the heap without one).
onnx::NodeProto* build_gate_node(const GateSpelling& gate, google::protobuf::Arena* arena);

// The size of the node's serialization, and the serialization itself appended to `out`
// (the NodeProto's bytes, without the tag and length of the field that holds it).
// The pointer form writes the gate_node_size(gate) bytes at `at` and returns their end.
std::size_t gate_node_size(const GateSpelling& gate);
void encode_gate_node(const GateSpelling& gate, std::string& out);
char* encode_gate_node(const GateSpelling& gate, char* at);

// The same size from lengths alone, for sizing a graph without spelling its gates: the
// gate's key, the bytes of its `input` fields and of its `output` fields (a name's field
// is name_field_size of its length, whichever of the two it is in), its peer's length.
std::size_t gate_node_size(const ir::GateInfo& info, std::size_t key, std::size_t input_fields,
                           std::size_t output_fields, std::optional<std::size_t> peer, bool dynamic);
std::size_t name_field_size(std::size_t name);
// The length of `<key>#<infix>.<j>` for a key of `key` bytes (append_gate_output_name's).
std::size_t gate_output_name_size(std::size_t key, std::string_view infix, std::size_t j);
// A node of `node` bytes as a graph's `node` field: tag, length, bytes.
std::size_t node_field_size(std::size_t node);

// A wire op's stamp (`stamp` = 1, as BodyIndex::stamp adds it) as a NodeProto
// `attribute` field: its size (tag and length included), and its bytes appended to `out`.
std::size_t stamp_field_size(std::string_view stamp);
void encode_stamp_field(std::string_view stamp, std::string& out);

// Output names of recorded rx gates, the keys of the WireIndex's readers map: kept in
// large blocks, so the views stay valid as the store grows.
class NameStore {
 public:
  std::string_view add(std::string_view name);
  void clear();

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0, capacity_ = 0;
};

}  // namespace bb::compiler
