// The wire ops (docs/spec.md, docs/ops.md, docs/wire.md).
//
// Send: one envelope per destination handed to the node's transport. Async: the node
// completes when every attempt has its outcome — with its optional `delivered` trigger
// when at least one attempt was delivered, otherwise it fails with the first failure
// (`unreachable`, `timeout`, `rejected`, `advised`). The outcomes also feed the backoff
// table and the governor (the node does that).
//
// Recv: a trigger source fed by the transport. Node::deliver starts one execution per
// Recv of the envelope's channel (the channel routing); the kernel writes the N
// payloads and then the sender, reading the envelope through Invocation::envelope().
// An envelope with another payload count is dropped for this Recv (`arity_mismatch`).
#include <memory>

#include "attributes.h"
#include "bb/ir/envelope.h"
#include "bb/ir/json.h"
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

class Send final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Send>, std::string> create(const runtime::KernelInit& init) {
    const DeclaredReader attributes(init);
    auto peer = attributes.get_string(ir::kAttrPeer);
    if (!peer) return unexpected(peer.error());
    auto channel = attributes.get_string(ir::kAttrChannel);
    if (!channel) return unexpected(channel.error());
    // The envelope's channel is a protobuf string: UTF-8, or no receiver can parse it.
    if (channel->has_value() && !ir::valid_utf8(**channel))
      return unexpected("attribute '" + std::string(ir::kAttrChannel) + "' is not UTF-8 text");
    auto deadline = attributes.get_int(ir::kAttrDeadlineNs);
    if (!deadline) return unexpected(deadline.error());
    auto s = std::make_unique<Send>(init.network, channel->value_or(""), deadline->value_or(0));
    if (peer->has_value()) {
      auto parsed = peer_from_attribute(**peer, ir::kAttrPeer);
      if (!parsed) return unexpected(parsed.error());
      s->peer_ = init.network.peers().acquire(*parsed);
    } else if (init.node.input_size() < 2) {
      return unexpected("has no '" + std::string(ir::kAttrPeer) +
                        "' and fewer than two inputs: no destination (the last input must be a peer list)");
    }
    return s;
  }
  Send(NetworkServices& node, std::string_view channel, std::int64_t deadline)
      : node_(node), channel_(channel), deadline_(deadline) {}
  ~Send() override {
    if (peer_ != runtime::kNoPeer) node_.peers().release(peer_);
  }

  OpResult compute(Invocation& inv) override {
    const bool dynamic = peer_ == runtime::kNoPeer;
    const std::uint32_t payloads = dynamic ? inv.input_count() - 1 : inv.input_count();
    const Value* list = dynamic ? &inv.in(payloads) : nullptr;
    if (dynamic && list->kind() != runtime::ValueKind::kPeerList)
      return OpResult::fail(Reason::kBadInput, "the last input must be a peer list, got " +
                                                   std::string(runtime::to_string(list->kind())));
    if (dynamic && list->as_peer_list().empty()) return OpResult::fail(Reason::kNoPeers, "the peer list is empty");
    // The wire's string values are UTF-8: one that is not would fail every receiver's
    // parse (malformed). Refused here, where the graph can be told why.
    for (std::uint32_t k = 0; k < payloads; ++k) {
      const Value& v = inv.in(k);
      if (v.kind() == runtime::ValueKind::kString && !ir::valid_utf8(v.as_bytes()))
        return OpResult::fail(Reason::kInvalidValue,
                              "payload " + std::to_string(k) + " is a string that is not UTF-8: send it as bytes");
    }
    build_envelope(inv, payloads);
    const runtime::PendingId pending = inv.defer();
    if (!dynamic) {
      send_one(pending, peer_);
      return OpResult::pending();
    }
    for (const auto& dst : list->as_peer_list()) {
      const PeerIndex id = node_.peers().acquire(dst);
      send_one(pending, id);
      node_.peers().release(id);
    }
    return OpResult::pending();
  }

 private:
  // In the node's outgoing envelope, which holds the node's own fields already and the
  // last Send's channel (often this one's).
  void build_envelope(Invocation& inv, std::uint32_t payloads) {
    bb::Envelope& envelope = node_.outgoing();
    if (envelope.channel() != channel_) envelope.mutable_channel()->assign(channel_);
    envelope.set_deadline_ns(deadline_);
    envelope.mutable_payload()->Clear();  // keeps the Value objects for the next payloads
    for (std::uint32_t k = 0; k < payloads; ++k) runtime::to_wire(inv.in(k), *envelope.add_payload());
  }
  void send_one(runtime::PendingId pending, PeerIndex dst) {
    bb::Envelope& envelope = node_.outgoing();
    const auto bytes = node_.peers().bytes(dst);
    // Assigned in place: set_dst_peer(data, size) builds a temporary string and copies it.
    envelope.mutable_dst_peer()->assign(bytes.data(), bytes.size());
    envelope.set_message_id(node_.next_message_id());
    node_.send_attempt(pending, dst, envelope);
  }

  NetworkServices& node_;
  PeerIndex peer_ = runtime::kNoPeer;
  const std::string channel_;
  const std::int64_t deadline_;
};

class Recv final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Recv>, std::string> create(const runtime::KernelInit& init) {
    auto channel = DeclaredReader(init).get_string(ir::kAttrChannel);
    if (!channel) return unexpected(channel.error());
    if (init.node.output_size() < 1)
      return unexpected("has no outputs: a Recv writes its payloads and then the sender (at least one output)");
    return std::make_unique<Recv>(static_cast<std::uint32_t>(init.node.output_size() - 1));
  }
  explicit Recv(std::uint32_t payloads) : payloads_(payloads) {}

  OpResult compute(Invocation& inv) override {
    const runtime::EnvelopeMeta* meta = inv.envelope();
    if (meta == nullptr || meta->envelope == nullptr)
      return OpResult::fail(Reason::kInternal, "a Recv runs only for a delivered envelope");
    const bb::Envelope& env = *meta->envelope;
    if (static_cast<std::uint32_t>(env.payload_size()) != payloads_) {
      OpResult r = OpResult::deny(Reason::kArityMismatch, meta->sender);
      r.detail = "the envelope carries " + std::to_string(env.payload_size()) + " payload(s), this Recv has " +
                 std::to_string(payloads_);
      return r;
    }
    for (std::uint32_t k = 0; k < payloads_; ++k) {
      auto value = runtime::from_wire(env.payload(static_cast<int>(k)));
      if (!value) return OpResult::fail(Reason::kBadInput, "payload " + std::to_string(k) + ": " + value.error());
      inv.out(k) = std::move(*value);
    }
    inv.out(payloads_) = inv.network().peer_value(meta->sender);
    return OpResult::ok();
  }

 private:
  std::uint32_t payloads_;
};

const runtime::OpRegistrar kSend{ir::kWireDomain, ir::kSend, ir::OpKind::kEffect, &runtime::make_kernel<Send>};
const runtime::OpRegistrar kRecv{ir::kWireDomain, ir::kRecv, ir::OpKind::kSource, &runtime::make_kernel<Recv>};

}  // namespace
}  // namespace bb::ops
