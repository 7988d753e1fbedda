#include "wire_view.h"

#include "bb/compiler/diagnostics.h"
#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"

namespace bb::compiler {

std::string peer_text(std::string_view value) {
  auto peer = PeerId::from_attribute(value);
  return peer ? peer->to_text() : "\"" + printable(value) + "\" (malformed)";
}

WireView::WireView(const Body& body) : nodes_(body.nodes()) {
  for (int i = 0; i < nodes_.size(); ++i) {
    for (const auto& o : nodes_.Get(i).output())
      if (!o.empty()) producer_.emplace(o, i);
    for (const auto& in : nodes_.Get(i).input())
      if (!in.empty()) consumers_[in].push_back(i);
  }
}

int WireView::producer_of(std::string_view value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? -1 : it->second;
}

std::vector<std::string_view> WireView::tx_chain(const onnx::NodeProto& send) const {
  std::vector<std::string_view> gates;
  const onnx::NodeProto* cur = &send;
  while (cur->input_size() > 0 && gates.size() < 8) {
    const int at = producer_of(cur->input(0));
    if (at < 0) break;
    const auto& p = nodes_.Get(at);
    if (!ir::is_tx_gate(p) || ir::read_string_attribute(p, ir::kAttrSource).value_or("") != send.name()) break;
    gates.push_back(p.op_type());
    cur = &p;
  }
  return {gates.rbegin(), gates.rend()};
}

std::vector<std::string_view> WireView::rx_chain(const onnx::NodeProto& recv) const {
  std::vector<std::string_view> gates;
  const onnx::NodeProto* cur = &recv;
  while (cur->output_size() > 0 && gates.size() < 8) {
    auto it = consumers_.find(cur->output(0));
    if (it == consumers_.end()) break;
    const onnx::NodeProto* next = nullptr;
    for (const int at : it->second) {
      const auto& c = nodes_.Get(at);
      if (ir::is_rx_gate(c) && ir::read_string_attribute(c, ir::kAttrSource).value_or("") == recv.name()) {
        next = &c;
        break;
      }
    }
    if (next == nullptr) break;
    gates.push_back(next->op_type());
    cur = next;
  }
  return gates;
}

std::string WireView::destination(const onnx::NodeProto& send) const {
  if (auto peer = ir::read_peer_bytes(send)) return "peer " + peer_text(*peer);
  if (send.input_size() < 2) return "no destination";
  return "peers " + peer_list(send.input(send.input_size() - 1), 0);
}

std::string WireView::peer_list(std::string_view value, int depth) const {
  const int at = producer_of(value);
  if (at < 0 || depth > 16) return "from '" + std::string(value) + "'";
  const auto& p = nodes_.Get(at);
  if (ir::is_tx_gate(p) || (p.domain() == ir::kSyscallDomain && p.op_type() == ir::kPassThrough)) {
    for (int j = 0; j < p.output_size(); ++j)
      if (p.output(j) == value && j < p.input_size()) return peer_list(p.input(j), depth + 1);
  }
  if (p.domain() == ir::kSyscallDomain && p.op_type() == ir::kSamplePeers && p.input_size() > 0) {
    const auto k = ir::read_int_attribute(p, ir::kAttrK).value_or(0);
    return std::to_string(k) + " sampled of " + peer_list(p.input(0), depth + 1);
  }
  if (ir::is_peers(p)) {
    std::string out = "[";
    if (const auto* attr = ir::find_attribute(p, ir::kAttrPeers)) {
      for (int k = 0; k < attr->strings_size(); ++k) out += (k ? ", " : "") + peer_text(attr->strings(k));
    }
    return out + "]";
  }
  return "computed by '" + p.name() + "' (" + p.op_type() + ")";
}

}  // namespace bb::compiler
