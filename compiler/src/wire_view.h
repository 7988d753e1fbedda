// How `bbc inspect` reads one body's wire ops: the gate chain a compiler pass put in
// front of a Send, and where a Send's destination comes from (a `peer` attribute, or a
// peer-list value followed back through gates and pass-throughs to its Peers or
// SamplePeers node). Shared by the text report and the Graphviz drawing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <onnx/onnx_pb.h>

#include "body.h"

namespace bb::compiler {

// A peer attribute in text form, or the quoted bytes marked malformed.
std::string peer_text(std::string_view value);

class WireView {
 public:
  explicit WireView(const Body& body);

  // Index of the node producing `value` in the body, -1 for none (graph input,
  // initializer, an enclosing scope's value).
  int producer_of(std::string_view value) const;
  // The op types of the Tx gates feeding `send`, first to last.
  std::vector<std::string_view> tx_chain(const onnx::NodeProto& send) const;
  // The op types of the Rx gates `recv`'s outputs pass through, first to last.
  std::vector<std::string_view> rx_chain(const onnx::NodeProto& recv) const;
  // "peer id:bob", "peers [id:a, id:b]", "peers 2 sampled of [...]", "peers from 'v'".
  std::string destination(const onnx::NodeProto& send) const;

 private:
  std::string peer_list(std::string_view value, int depth) const;

  const NodeList& nodes_;
  absl::flat_hash_map<std::string_view, int> producer_;
  absl::flat_hash_map<std::string_view, std::vector<int>> consumers_;
};

}  // namespace bb::compiler
