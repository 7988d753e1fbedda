// Receive-side gates (docs/compiler.md, docs/ops.md), each a variadic pass-through after a Recv:
// DedupGateRx drops an envelope this gate has seen (source, incarnation, message id) or one
// older than its anti-replay window;
// PeerHealthGateRx asks the governor about the sender; BackoffGateRx sheds traffic from
// a sender we are backing off from. The sender is the envelope's source, or (outside an
// envelope frame) the last input when it is a PeerId.
#include <memory>

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

void forward_all(Invocation& inv) {
  for (std::uint32_t j = 0; j < inv.input_count(); ++j) inv.out(j) = inv.in(j);
}

// The sender's interned id, or kNoPeer when unknown to the node (or not given).
PeerIndex sender_of(Invocation& inv) {
  if (const auto* env = inv.envelope()) return env->sender;
  const auto& last = inv.in(inv.input_count() - 1);
  if (last.kind() != runtime::ValueKind::kPeer) return runtime::kNoPeer;
  return inv.network().peers().find(last.as_peer().bytes());
}

OpResult decided(Invocation& inv, Reason r, PeerIndex peer) {
  inv.decide(r);
  if (r != Reason::kNone) return OpResult::deny(r, peer);
  forward_all(inv);
  return OpResult::ok();
}

class DedupGateRx final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<DedupGateRx>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<DedupGateRx>();
  }
  OpResult compute(Invocation& inv) override {
    const auto* env = inv.envelope();
    if (env == nullptr) return decided(inv, Reason::kNone, runtime::kNoPeer);  // nothing to deduplicate
    NetworkServices& node = inv.network();
    const Reason reason =
        node.dedup().admit(inv.node_index(), env->sender, env->incarnation, env->message_id, inv.now_ns());
    return decided(inv, reason, env->sender);
  }
};

class PeerHealthGateRx final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<PeerHealthGateRx>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<PeerHealthGateRx>();
  }
  OpResult compute(Invocation& inv) override {
    const PeerIndex sender = sender_of(inv);
    // A sender the node never interned is on no list: check() treats kNoPeer that way.
    return decided(inv, inv.network().governor().check_inbound(sender), sender);
  }
};

class BackoffGateRx final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<BackoffGateRx>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<BackoffGateRx>();
  }
  OpResult compute(Invocation& inv) override {
    const PeerIndex sender = sender_of(inv);
    const bool cooling = sender != runtime::kNoPeer && !inv.network().backoff().should_retry(sender, inv.now_ns());
    return decided(inv, cooling ? Reason::kCooldown : Reason::kNone, sender);
  }
};

const runtime::OpRegistrar kDedupGateRx{ir::kSyscallDomain, ir::kDedupGateRx, ir::OpKind::kGate,
                                        &runtime::make_kernel<DedupGateRx>};
const runtime::OpRegistrar kPeerHealthGateRx{ir::kSyscallDomain, ir::kPeerHealthGateRx, ir::OpKind::kGate,
                                             &runtime::make_kernel<PeerHealthGateRx>};
const runtime::OpRegistrar kBackoffGateRx{ir::kSyscallDomain, ir::kBackoffGateRx, ir::OpKind::kGate,
                                          &runtime::make_kernel<BackoffGateRx>};

}  // namespace
}  // namespace bb::ops
