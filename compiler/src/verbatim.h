// Verbatim nodes (docs/compiler.md, "Verbatim nodes"). `bbc compile` of a binary model
// parses into the main graph only the nodes a pass changes or reads whole after
// validate: the wire ops and the readers of a Recv's outputs. Every other node stays the
// bytes of its entry in the input file, which validate reads as views (NodeView) and the
// writer copies into the output, where protobuf's serialization of the parsed node would
// have put the same bytes; a peer list canonicalize changes is written as the entry it
// replaces it with. The main graph's node list holds the parsed nodes in order;
// VerbatimNodes says where each stood among all of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/ir/limits.h"
#include "bb/ir/model_io.h"
#include "bb/ir/model_stream.h"

namespace bb::compiler {

// A node entry's fields, viewing its bytes.
struct NodeView {
  std::string_view name, op_type, domain;
  std::vector<std::string_view> inputs, outputs;
  bool has_attributes = false;
  // The entry is exactly protobuf's deterministic serialization of the node it parses
  // to: its fields in field order, each singular one once, minimal varints, and no
  // attribute (a node with attributes is compared with its serialization instead).
  bool canonical = false;
};

// Decodes a graph's node entry (its tag, length and bytes). False when the entry holds a
// field other than a NodeProto's string and attribute fields (an unknown field, another
// wire type), or is malformed: such a node is for protobuf's parse.
bool decode_node_entry(std::string_view entry, NodeView& view);

class VerbatimNodes {
 public:
  // `file`: the input's bytes, which `parsed` views; `limits`: those it was loaded within.
  VerbatimNodes(ir::FileBytes file, ir::ModelWithoutNodes parsed, const ir::ModelLimits& limits);

  int size() const { return static_cast<int>(begin_.size()); }  // every node of the main graph
  std::string_view file() const { return bytes_; }  // the whole input, which every entry views
  const ir::ModelLimits& limits() const { return limits_; }
  // Node `position`'s entry: tag, length and bytes (the NodeProto's bytes after the header).
  std::string_view entry(int position) const {
    return body_.substr(begin_[static_cast<std::size_t>(position)],
                        end_[static_cast<std::size_t>(position)] - begin_[static_cast<std::size_t>(position)]);
  }
  // The NodeProto bytes of node `position`, after its entry's tag and length.
  std::string_view node_bytes(int position) const;
  std::string_view name(int position) const;  // the name the entry parses to

  // `node`, parsed from entry `position`, is the next node of the main graph's list.
  void keep(const onnx::NodeProto* node, int position);
  const std::vector<const onnx::NodeProto*>& kept() const { return kept_; }
  // Where the list's `index`th parsed node stood (before any gate was inserted).
  int position_of(int index) const { return kept_position_[static_cast<std::size_t>(index)]; }
  const std::vector<int>& kept_positions() const { return kept_position_; }
  // Parses node `position` into `node` (cleared first), nesting no deeper than the
  // whole model's parse would allow there; false when it does not parse.
  bool parse(int position, onnx::NodeProto& node) const;

  // Node `position` is `node` from now on in the output: its entry is written as the
  // deterministic serialization of `node` instead of the bytes read (canonicalize's peer
  // lists, left as bytes by validate). Positions ascending, each once, after the walk;
  // parse() and name() go on reading the input's bytes.
  void replace(int position, const onnx::NodeProto& node);
  // replace() without the parse: node `position`'s first attribute named `attribute`,
  // when it holds strings (type STRINGS), gets each string s replaced by rewrite(s),
  // unless that is nullopt. The entry must be protobuf's serialization of its node (as
  // validate leaves a node as bytes only then), and the new entry is the serialization of
  // the rewritten node: the same fields in the same order, only the strings and the
  // lengths around them changed. kUndecodable: the bytes are not laid out so (then
  // parse and replace).
  enum class Rewrite { kUnchanged, kReplaced, kUndecodable };
  Rewrite rewrite_strings(int position, std::string_view attribute,
                          const std::function<std::optional<std::string>(std::string_view)>& rewrite);
  // The replaced positions, ascending, and the kth one's entry (tag, length, bytes).
  const std::vector<int>& replaced_positions() const { return replaced_position_; }
  std::string_view replacement(std::size_t k) const {
    const std::size_t begin = k == 0 ? 0 : replaced_end_[k - 1];
    return std::string_view(replaced_).substr(begin, replaced_end_[k] - begin);
  }

  // Parses every node into the main graph of `model` (the one loaded with these nodes as
  // bytes), dropping the ones kept so far: the model the whole file parses to. Then
  // checks the model's limits. False with BB001 in `diags` when a node does not parse or
  // the model is over a limit, as loading the file whole would have said.
  bool parse_whole(onnx::ModelProto& model, DiagnosticEngine& diags, std::string_view path);

 private:
  ir::FileBytes file_;
  std::string_view bytes_;  // the whole file
  ir::ModelLimits limits_;
  std::string_view body_;
  std::vector<std::uint32_t> begin_, end_;
  std::vector<const onnx::NodeProto*> kept_;
  std::vector<int> kept_position_;
  // The entry just appended to replaced_ replaces node `position`'s.
  void end_replacement(int position);

  std::string replaced_;  // the replaced entries, back to back
  std::vector<int> replaced_position_;
  std::vector<std::size_t> replaced_end_;
};

}  // namespace bb::compiler
