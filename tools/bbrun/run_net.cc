// The two ways to put a node on the real network (docs/wire.md):
//   bbrun graph.bb --listen HOST:PORT --peers PEERS.toml [--key KEY.pem | --insecure] [--peer PEER]
//   bbrun --deploy DEPLOY.toml --node PEER   (the deployment of --sim; the node runs
//                                            for real, the other [[node]]s are its address book)
// Both make a NetPlan and run the node as a single-node run with the gRPC transport.
#include <spdlog/spdlog.h>

#include "bb/net/peers.h"
#include "bb/runtime/plugin_loader.h"
#include "bb/runtime/toml_reader.h"
#include "bb/sim/deployment.h"
#include "bb/sim/host.h"
#include "options.h"

namespace bb::bbrun {
namespace {

// The node's security, and its PeerId: with TLS the key's (a PeerId named besides must
// be that one), else `named`. `what` names where `named` came from in errors.
Expected<PeerId, std::string> secure(NetPlan& plan, std::string_view mode, const std::string& key, const PeerId& named,
                                     bool named_given, const std::string& what) {
  auto security = net::make_security(mode, key);
  if (!security) return unexpected(security.error());
  for (const std::string& w : security->warnings) spdlog::warn("{}", w);
  plan.security = std::move(*security);
  if (!plan.security.identity) return named;
  const PeerId& proved = *plan.security.identity;
  if (named_given && named != proved)
    return unexpected(what + " is " + named.to_text() + ", but the key " + key + " proves " + proved.to_text() +
                      " [hint: a node's PeerId is its key's: name " + proved.to_text() + ", or use that node's key]");
  return proved;
}

}  // namespace

int run_listen(const Options& o) {
  if (const std::string why = runtime::host_port_problem(o.listen); !why.empty()) {
    spdlog::error("--listen '{}': {}", o.listen, why);
    return kExitUsage;
  }
  NetPlan plan;
  plan.graph = o.file;
  plan.listen = o.listen;
  auto named = PeerId::from_text(o.peer);
  if (!named) {
    spdlog::error("--peer '{}': not a peer ({}) [hint: id:<name> or base58btc]", o.peer, describe(named.error()));
    return kExitUsage;
  }
  auto self = secure(plan, o.insecure ? runtime::kSecurityInsecure : runtime::kSecurityTls, o.key, *named,
                     o.peer_given, "--peer");
  if (!self) {
    spdlog::error("{}", self.error());
    return kExitUsage;
  }
  plan.self = *self;
  if (!o.peers.empty()) {
    auto peers = net::load_peers(o.peers);
    if (!peers) {
      spdlog::error("{}", runtime::describe(peers.error()));
      return kExitUsage;
    }
    for (net::PeerAddress& p : *peers) plan.peers.emplace_back(std::move(p.peer), std::move(p.address));
  }
  return run_single(o, &plan);
}

int run_deploy(const std::string& path, const std::string& node, const Options& o) {
  auto deployment = sim::load_deployment(path);
  if (!deployment) {
    spdlog::error("{}", sim::describe(deployment.error()));
    return kExitUsage;
  }
  const sim::Deployment& d = *deployment;
  auto self = PeerId::from_text(node);
  if (!self) {
    spdlog::error("--node '{}': not a peer ({}) [hint: a peer of a [[node]] in {}]", node, describe(self.error()), path);
    return kExitUsage;
  }
  const sim::NodeSpec* mine = nullptr;
  for (const sim::NodeSpec& spec : d.nodes)
    if (spec.peer == *self) mine = &spec;
  if (mine == nullptr) {
    spdlog::error("{}: no [[node]] has peer = \"{}\" [hint: --node names one of the deployment's nodes]", path, node);
    return kExitUsage;
  }
  if (mine->address.empty()) {
    spdlog::error("{}:{}: node {}: no address [hint: add address = \"HOST:PORT\" to its [[node]]]", path, mine->line,
                  node);
    return kExitUsage;
  }
  // Kernels are process-wide: the node's plugins load before its graph does.
  for (const auto& lib : mine->plugins)
    if (auto ok = runtime::load_plugin(lib.string()); !ok) {
      spdlog::error("{}:{}: node {}: {}", path, mine->line, node, ok.error());
      return kExitLoad;
    }
  NetPlan plan;
  plan.graph = mine->graph.string();
  plan.listen = mine->address;
  plan.deployment = &d;
  plan.node = static_cast<std::size_t>(mine - d.nodes.data());
  const std::string key = !o.key.empty() ? o.key : mine->key.string();
  auto proved = secure(plan, o.insecure ? std::string(runtime::kSecurityInsecure) : d.security, key, *self, true,
                       path + ":" + std::to_string(mine->line) + ": the [[node]]'s peer");
  if (!proved) {
    spdlog::error("{}", proved.error());
    return kExitUsage;
  }
  plan.self = *proved;
  plan.settings = d.settings;
  plan.settings_from_file = true;
  for (const sim::NodeSpec& spec : d.nodes) {
    if (&spec == mine) continue;
    if (spec.address.empty()) {
      spdlog::warn("{}:{}: node {} has no address: sends to it end as unreachable", path, spec.line,
                   spec.peer.to_text());
      continue;
    }
    plan.peers.emplace_back(spec.peer, spec.address);
  }
  // [run] as in --sim, the flags winning: the node's seed is the one the simulator gives
  // its first instance; the duration is real time here.
  Options run = o;
  run.seed = sim::node_seed(o.seed_given ? o.seed : d.seed.value_or(0), plan.self, 1);
  if (!run.duration_ns) run.duration_ns = d.duration_ns;
  return run_single(run, &plan);
}

}  // namespace bb::bbrun
