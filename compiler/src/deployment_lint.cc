#include "deployment_lint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <toml++/toml.h>

#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"
#include "bb/ir/suggest.h"
#include "bb/ir/wire_shape.h"

namespace bb::compiler {
namespace {

void collect_nodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& nodes, int scope, ProgramWire& out) {
  for (int i = 0; i < nodes.size(); ++i) {
    const auto& node = nodes.Get(i);
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) collect_nodes(attr.g().node(), scope + 1, out);
      for (const auto& g : attr.graphs()) collect_nodes(g.node(), scope + 1, out);
    }
    const bool send = ir::is_send(node), recv = ir::is_recv(node);
    if (!send && !recv) continue;
    WireUse use;
    use.channel = std::string(ir::channel_of(node));
    if (!node.name().empty()) use.node = node.name();
    use.op_type = node.op_type();
    use.index = i;
    use.scope = scope;
    if (recv) {
      use.payloads = node.output_size() - 1;
      out.recvs.push_back(std::move(use));
      continue;
    }
    if (node.input_size() == 0) continue;  // BB010
    use.payloads = ir::send_payload_count(node);
    if (auto bytes = ir::read_peer_bytes(node))
      if (auto peer = PeerId::from_attribute(*bytes)) use.peer = peer->to_text();
    out.sends.push_back(std::move(use));
  }
}

std::string single_quoted(std::string_view s) { return "'" + printable(s) + "'"; }

Finding finding(std::string_view code, const std::string& file, const WireUse& at, std::string message,
                std::string hint) {
  DiagnosticEngine diags(file);
  Finding f = diags.report(code, std::move(message), std::move(hint));
  f.node = at.node;
  f.op_type = at.op_type;
  f.index = at.index;
  f.scope = at.scope;
  return f;
}

std::string listing(const std::set<std::string>& channels) {
  std::string out;
  for (const auto& c : channels) out += (out.empty() ? "" : ", ") + single_quoted(c);
  return out;
}

std::string closest(const std::string& channel, const std::set<std::string>& channels) {
  std::vector<std::string_view> names(channels.begin(), channels.end());
  return ir::did_you_mean(channel, names);
}

}  // namespace

ProgramWire collect_wire(const onnx::ModelProto& model, const std::string& file) {
  ProgramWire out;
  out.file = file;
  collect_nodes(model.graph().node(), 0, out);
  for (const auto& f : model.functions()) collect_nodes(f.node(), 1, out);
  return out;
}

Expected<std::vector<DeploymentEntry>, std::string> read_deployment(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return unexpected(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  const auto* nodes = root.get_as<toml::array>("node");
  if (nodes == nullptr) return unexpected(path + ": no [[node]] sections: not a deployment file");
  const auto folder = std::filesystem::path(path).parent_path();
  std::vector<DeploymentEntry> out;
  for (const auto& item : *nodes) {
    const auto* table = item.as_table();
    const auto line = item.source().begin.line;
    const auto* peer = table != nullptr ? table->get_as<std::string>("peer") : nullptr;
    const auto* graph = table != nullptr ? table->get_as<std::string>("graph") : nullptr;
    if (peer == nullptr || graph == nullptr)
      return unexpected(path + ":" + std::to_string(line) + ": a [[node]] needs peer and graph");
    auto id = PeerId::from_text(peer->get());
    if (!id)
      return unexpected(path + ":" + std::to_string(line) + ": peer \"" + printable(peer->get()) + "\": " +
                        std::string(describe(id.error())));
    out.push_back({id->to_text(), (folder / graph->get()).lexically_normal().string()});
  }
  return out;
}

std::vector<Finding> check_across(const std::vector<ProgramWire>& programs, bool deployment) {
  std::vector<Finding> out;
  std::set<std::string> listened, sent, peers;
  std::map<std::string, std::set<std::string>> listened_by_peer;  // peer → its graph's Recv channels
  for (const auto& p : programs) {
    for (const auto& r : p.recvs) listened.insert(r.channel);
    for (const auto& s : p.sends) sent.insert(s.channel);
    for (const auto& peer : p.peers) {
      peers.insert(peer);
      auto& channels = listened_by_peer[peer];
      for (const auto& r : p.recvs) channels.insert(r.channel);
    }
  }
  const std::string together = deployment ? "the deployment" : "the graphs linted together";
  for (const auto& p : programs) {
    for (const auto& s : p.sends) {
      const std::string chan = "channel \"" + printable(s.channel) + "\"";
      if (deployment && s.peer && !peers.contains(*s.peer)) {
        out.push_back(finding(kBB034, p.file, s,
                              "Send to " + *s.peer + ", a peer that is not in the deployment: every attempt ends "
                              "unreachable",
                              "add a [[node]] with peer = \"" + *s.peer + "\" to the deployment, or fix the peer"));
        continue;
      }
      if (deployment && s.peer) {
        const auto& channels = listened_by_peer[*s.peer];
        if (!channels.contains(s.channel)) {
          out.push_back(finding(kBB032, p.file, s,
                                "Send to " + *s.peer + " on " + chan + ", but the graph of " + *s.peer +
                                    " has no Recv on that channel" +
                                    (channels.empty() ? std::string(" (it has no Recv)")
                                                      : " (it listens on " + listing(channels) + ")") +
                                    closest(s.channel, channels) + ": every envelope ends rejected",
                                "use a channel its Recv listens on, or add a Recv of this channel to its graph"));
          continue;
        }
      } else if (!listened.contains(s.channel)) {
        out.push_back(finding(kBB032, p.file, s,
                              "Send on " + chan + ", but no Recv in " + together + " listens on it" +
                                  (listened.empty() ? std::string() : " (they listen on " + listing(listened) + ")") +
                                  closest(s.channel, listened) + ": every envelope ends rejected",
                              "use the channel of the receiver's Recv, or add a Recv of this channel"));
        continue;
      }
      // The payload count against the Recvs of the channel in other files (one file: BB015).
      std::set<int> counts;
      bool same_file = false;
      for (const auto& q : programs)
        for (const auto& r : q.recvs) {
          if (r.channel != s.channel) continue;
          if (q.file == p.file) same_file = true;
          if (!deployment || !s.peer || std::find(q.peers.begin(), q.peers.end(), *s.peer) != q.peers.end())
            counts.insert(r.payloads);
        }
      if (same_file || counts.empty() || counts.contains(s.payloads)) continue;
      std::string list;
      for (int c : counts) list += (list.empty() ? "" : ", ") + std::to_string(c);
      out.push_back(finding(kBB015, p.file, s,
                            "Send carries " + std::to_string(s.payloads) + " payload(s) on " + chan +
                                ", but the Recvs of that channel in " + together + " take " + list +
                                ": the receiver drops them (arity_mismatch)",
                            "give the Recv one output per payload, then one for the sender"));
    }
    for (const auto& r : p.recvs) {
      if (sent.contains(r.channel)) continue;
      out.push_back(finding(kBB033, p.file, r,
                            "Recv on channel \"" + printable(r.channel) + "\", but no Send in " + together +
                                " sends on it" + (sent.empty() ? std::string() : " (they send on " + listing(sent) + ")") +
                                closest(r.channel, sent),
                            "fix the channel of the Recv or of the Send that should reach it"));
    }
  }
  return out;
}

}  // namespace bb::compiler
