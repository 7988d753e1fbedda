#include "bb/runtime/gate_audit.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <absl/container/flat_hash_map.h>

#include "bb/ir/escape.h"
#include "bb/ir/gates.h"
#include "bb/ir/names.h"
#include "bb/ir/wire_shape.h"

namespace bb::runtime {
namespace {

using NodeList = google::protobuf::RepeatedPtrField<onnx::NodeProto>;

struct Producer {
  int node = -1;
  int output = -1;
};

// Every name the node's subgraphs read (a subgraph reads outer values by name).
void subgraph_reads(const onnx::NodeProto& node, std::vector<std::string_view>& out) {
  for (const auto& attr : node.attribute()) {
    auto walk = [&](const onnx::GraphProto& g) {
      for (const auto& n : g.node()) {
        for (const auto& in : n.input()) out.push_back(in);
        subgraph_reads(n, out);
      }
      for (const auto& o : g.output()) out.push_back(o.name());
    };
    if (attr.has_g()) walk(attr.g());
    for (const auto& g : attr.graphs()) walk(g);
  }
}

std::string_view source_of(const onnx::NodeProto& node) {
  return ir::read_string_attribute(node, ir::kAttrSource).value_or(std::string_view{});
}

bool is_gate(const onnx::NodeProto& node, const ir::GateInfo& info, std::string_view key) {
  const ir::GateInfo* gate = ir::gate_of(node);
  return gate != nullptr && gate->gate == info.gate && source_of(node) == key;
}

class Audit {
 public:
  Audit(const NodeList& nodes, std::string where, std::vector<std::string>& out)
      : nodes_(nodes), where_(std::move(where)), out_(out) {
    std::vector<std::string_view> reads;
    for (int i = 0; i < nodes.size(); ++i) {
      const auto& node = nodes.Get(i);
      for (int j = 0; j < node.output_size(); ++j)
        if (!node.output(j).empty()) producers_[node.output(j)] = Producer{i, j};
      reads.assign(node.input().begin(), node.input().end());
      subgraph_reads(node, reads);
      for (auto name : reads)
        if (!name.empty()) consumers_[name].push_back(i);
    }
  }

  void run() {
    for (int i = 0; i < nodes_.size(); ++i) {
      const auto& node = nodes_.Get(i);
      if (ir::is_send(node)) check_send(node);
      if (ir::is_recv(node)) check_recv(node);
    }
  }

 private:
  static std::vector<const ir::GateInfo*> chain(bool tx) {
    std::vector<const ir::GateInfo*> out;
    for (const auto& g : ir::kGates)
      if (g.tx == tx) out.push_back(&g);
    std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->rank < b->rank; });
    return out;
  }

  void report(const onnx::NodeProto& node, const ir::GateInfo& missing, std::string_view where_in_chain) {
    out_.push_back(node.op_type() + " '" + ir::escape_text(node.name(), 256) + "'" + where_ +
                   " is not behind its full gate chain (no " + std::string(missing.op_type) + " " +
                   std::string(where_in_chain) + " it)");
  }

  // Each input j of the Send comes from the chain's last gate's output j, whose input j
  // comes from the gate before it, and so on.
  void check_send(const onnx::NodeProto& send) {
    if (send.input_size() == 0 || (ir::send_is_dynamic(send) && send.input_size() < 2)) return;  // no destination
    const auto gates = chain(true);
    for (int j = 0; j < send.input_size(); ++j) {
      std::string_view value = send.input(j);
      for (auto it = gates.rbegin(); it != gates.rend(); ++it) {
        auto p = producers_.find(value);
        if (p == producers_.end() || p->second.output != j || !is_gate(nodes_.Get(p->second.node), **it, send.name())) {
          report(send, **it, "before");
          return;
        }
        value = nodes_.Get(p->second.node).input(j);
      }
    }
  }

  // Every reader of the Recv's outputs is its first rx gate, every reader of that
  // gate's outputs the next one, and so on.
  void check_recv(const onnx::NodeProto& recv) {
    const onnx::NodeProto* from = &recv;
    for (const auto* gate : chain(false)) {
      const onnx::NodeProto* next = nullptr;
      for (int j = 0; j < from->output_size(); ++j) {
        auto c = consumers_.find(from->output(j));
        if (c == consumers_.end()) continue;
        for (const int reader : c->second) {
          const auto& node = nodes_.Get(reader);
          if (!is_gate(node, *gate, recv.name()) || node.input_size() <= j || node.input(j) != from->output(j)) {
            report(recv, *gate, "after");
            return;
          }
          next = &node;
        }
      }
      if (next == nullptr) return;  // nothing reads what comes out: nothing ungated either
      from = next;
    }
  }

  const NodeList& nodes_;
  std::string where_;
  std::vector<std::string>& out_;
  absl::flat_hash_map<std::string_view, Producer> producers_;
  absl::flat_hash_map<std::string_view, std::vector<int>> consumers_;
};

}  // namespace

std::vector<std::string> ungated_wire_ops(const onnx::ModelProto& model) {
  std::vector<std::string> out;
  Audit(model.graph().node(), "", out).run();
  for (const auto& f : model.functions())
    Audit(f.node(), " (in function '" + ir::escape_text(f.name(), 256) + "')", out).run();
  return out;
}

}  // namespace bb::runtime
