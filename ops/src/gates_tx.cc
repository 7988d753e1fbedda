// Send-side gates (docs/compiler.md, docs/ops.md): PeerHealthGateTx asks the PeerGovernor who we may
// talk to, BackoffGateTx asks the BackoffTable when. Both are variadic pass-throughs:
// on allow every input is forwarded unchanged, on deny nothing is written. The static
// form checks the `peer` interned at load; the dynamic form filters the peer list (the
// last input) and denies when no peer remains.
#include <memory>
#include <vector>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::NetworkServices;
using runtime::OpResult;
using runtime::PeerIndex;
using runtime::Reason;
using runtime::Value;

struct BackoffCheck {
  static Reason check(NetworkServices& node, PeerIndex peer, std::int64_t now) {
    return peer == runtime::kNoPeer || node.backoff().should_retry(peer, now) ? Reason::kNone : Reason::kCooldown;
  }
};

struct HealthCheck {
  static Reason check(NetworkServices& node, PeerIndex peer, std::int64_t) { return node.governor().check_outbound(peer); }
};

template <class Check>
class TxGate final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<TxGate>, std::string> create(const runtime::KernelInit& init) {
    auto target = tx_target(init, DeclaredReader(init));
    if (!target) return unexpected(target.error());
    return std::make_unique<TxGate>(init.network, *target);
  }
  TxGate(NetworkServices& node, TxTarget target) : node_(node), target_(target) {}
  ~TxGate() override {
    if (target_.peer != runtime::kNoPeer) node_.peers().release(target_.peer);
  }

  OpResult compute(Invocation& inv) override {
    if (!target_.dynamic) {
      const Reason r = Check::check(node_, target_.peer, inv.now_ns());
      inv.decide(r);
      if (r != Reason::kNone) return OpResult::deny(r, target_.peer);
      forward(inv, inv.input_count());
      return OpResult::ok();
    }
    return filter(inv);
  }

 private:
  static void forward(Invocation& inv, std::uint32_t count) {
    for (std::uint32_t j = 0; j < count; ++j) inv.out(j) = inv.in(j);
  }

  OpResult filter(Invocation& inv) {
    const std::uint32_t last = inv.input_count() - 1;
    const Value& list = inv.in(last);
    if (list.kind() != runtime::ValueKind::kPeerList)
      return OpResult::fail(Reason::kBadInput, "the last input must be a peer list, got " +
                                                   std::string(runtime::to_string(list.kind())));
    const auto& peers = list.as_peer_list();
    if (peers.empty()) {
      inv.decide(Reason::kNoPeers);  // counted with the gate's other decisions, as it is traced
      return OpResult::deny(Reason::kNoPeers);
    }
    const std::int64_t now = inv.now_ns();
    std::vector<PeerId> kept;
    bool filtering = false;
    Reason first_denial = Reason::kNone;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const Reason r = Check::check(node_, node_.peers().find(peers[i].bytes()), now);
      if (r == Reason::kNone) {
        inv.decide(r);
        if (filtering) kept.push_back(peers[i]);
        continue;
      }
      inv.filtered(r, peers[i]);
      if (!filtering) kept.assign(peers.begin(), peers.begin() + static_cast<std::ptrdiff_t>(i));
      filtering = true;
      if (first_denial == Reason::kNone) first_denial = r;
    }
    if (filtering && kept.empty()) return OpResult::deny(first_denial);
    forward(inv, last);
    inv.out(last) = filtering ? Value::peer_list(std::move(kept)) : list;
    return OpResult::ok();
  }

  NetworkServices& node_;
  TxTarget target_;
};

const runtime::OpRegistrar kPeerHealthGateTx{ir::kSyscallDomain, ir::kPeerHealthGateTx, ir::OpKind::kGate,
                                             &runtime::make_kernel<TxGate<HealthCheck>>};
const runtime::OpRegistrar kBackoffGateTx{ir::kSyscallDomain, ir::kBackoffGateTx, ir::OpKind::kGate,
                                          &runtime::make_kernel<TxGate<BackoffCheck>>};

}  // namespace
}  // namespace bb::ops
