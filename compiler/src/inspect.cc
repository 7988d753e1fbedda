#include "bb/compiler/inspect.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/compiler/diagnostics.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/wire_shape.h"
#include "body.h"

namespace bb::compiler {
namespace {

std::string peer_text(std::string_view value) {
  auto peer = PeerId::from_attribute(value);
  return peer ? peer->to_text() : "\"" + printable(value) + "\" (malformed)";
}

class SendReport {
 public:
  SendReport(const Body& body, std::ostream& out) : nodes_(body.nodes()), out_(out) {
    for (int i = 0; i < nodes_.size(); ++i)
      for (const auto& o : nodes_.Get(i).output())
        if (!o.empty()) producer_.emplace(o, i);
  }

  void run(std::string_view where) {
    for (const auto& node : nodes_) {
      if (!ir::is_send(node)) continue;
      out_ << "  Send '" << node.name() << "'" << where << ": " << chain(node) << ", " << destination(node) << '\n';
    }
  }

 private:
  const onnx::NodeProto* producer_of(std::string_view value) const {
    auto it = producer_.find(value);
    return it == producer_.end() ? nullptr : &nodes_.Get(it->second);
  }

  // The tx gates feeding the Send, first to last, then the Send.
  std::string chain(const onnx::NodeProto& send) const {
    std::vector<std::string_view> gates;
    const onnx::NodeProto* cur = &send;
    while (cur->input_size() > 0 && gates.size() < 8) {
      const auto* p = producer_of(cur->input(0));
      if (p == nullptr || !ir::is_tx_gate(*p) ||
          ir::read_string_attribute(*p, ir::kAttrSource).value_or("") != send.name())
        break;
      gates.push_back(p->op_type());
      cur = p;
    }
    std::string out;
    for (auto it = gates.rbegin(); it != gates.rend(); ++it) out += std::string(*it) + " -> ";
    return out + std::string(ir::kSend);
  }

  std::string destination(const onnx::NodeProto& send) const {
    if (auto peer = ir::read_peer_bytes(send)) return "peer " + peer_text(*peer);
    if (send.input_size() < 2) return "no destination";
    return "peers " + peer_list(send.input(send.input_size() - 1), 0);
  }

  // Follows a peer-list value back through gates and pass-throughs to its Peers node.
  std::string peer_list(std::string_view value, int depth) const {
    const auto* p = producer_of(value);
    if (p == nullptr || depth > 16) return "from '" + std::string(value) + "'";
    if (ir::is_tx_gate(*p) || (p->domain() == ir::kSyscallDomain && p->op_type() == ir::kPassThrough)) {
      for (int j = 0; j < p->output_size(); ++j)
        if (p->output(j) == value && j < p->input_size()) return peer_list(p->input(j), depth + 1);
    }
    if (p->domain() == ir::kSyscallDomain && p->op_type() == ir::kSamplePeers && p->input_size() > 0) {
      const auto k = ir::read_int_attribute(*p, ir::kAttrK).value_or(0);
      return std::to_string(k) + " sampled of " + peer_list(p->input(0), depth + 1);
    }
    if (p->domain() == ir::kSyscallDomain && p->op_type() == ir::kPeers) {
      std::string out = "[";
      if (const auto* attr = ir::find_attribute(*p, ir::kAttrPeers)) {
        for (int k = 0; k < attr->strings_size(); ++k) out += (k ? ", " : "") + peer_text(attr->strings(k));
      }
      return out + "]";
    }
    return "computed by '" + p->name() + "' (" + p->op_type() + ")";
  }

  const NodeList& nodes_;
  std::ostream& out_;
  absl::flat_hash_map<std::string_view, int> producer_;
};

}  // namespace

void inspect_model(const onnx::ModelProto& model, std::ostream& out) {
  const auto bodies = collect_bodies(model);
  std::map<std::string, std::size_t> counts;
  std::size_t total = 0;
  for (const auto& body : bodies) {
    for (const auto& node : body.nodes()) {
      ++counts[ir::is_onnx_domain(node.domain()) ? std::string(ir::kOnnxDomainAlias) : node.domain()];
      ++total;
    }
  }
  out << "ops (" << total << " nodes):\n";
  for (const auto& [domain, n] : counts) out << "  " << domain << ' ' << n << '\n';
  out << "sends:\n";
  for (const auto& body : bodies) SendReport(body, out).run(body.where);
  out << "passport:\n";
  if (!ir::read_passport(model)) {
    out << "  none (not compiled)\n";
    return;
  }
  for (auto key : {ir::kPassportCompiled, ir::kPassportCompiler, ir::kPassportPasses, ir::kPassportDigest})
    out << "  " << key << " = " << printable(ir::get_metadata(model, key).value_or(""), 1024) << '\n';
}

}  // namespace bb::compiler
