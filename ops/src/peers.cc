// Peer lists (docs/ops.md): Peers is a literal list parsed at load; SamplePeers draws k
// peers with the node's seeded RNG (afresh per execution when it has a trigger input).
#include <algorithm>
#include <memory>
#include <vector>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Value;

class Peers final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Peers>, std::string> create(const runtime::KernelInit& init) {
    auto attr = DeclaredReader(init).get(ir::kAttrPeers, onnx::AttributeProto::STRINGS);
    if (!attr) return unexpected(attr.error());
    if (*attr == nullptr) return unexpected("attribute '" + std::string(ir::kAttrPeers) + "' is required");
    std::vector<PeerId> peers;
    peers.reserve(static_cast<std::size_t>((*attr)->strings_size()));
    for (int i = 0; i < (*attr)->strings_size(); ++i) {
      auto peer = peer_from_attribute((*attr)->strings(i), ir::kAttrPeers, i);
      if (!peer) return unexpected(peer.error());
      peers.push_back(std::move(*peer));
    }
    return std::make_unique<Peers>(Value::peer_list(std::move(peers)));
  }
  explicit Peers(Value list) : list_(std::move(list)) {}
  OpResult compute(Invocation& inv) override {
    inv.out(0) = list_;
    return OpResult::ok();
  }

 private:
  Value list_;
};

class SamplePeers final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<SamplePeers>, std::string> create(const runtime::KernelInit& init) {
    auto k = DeclaredReader(init).required_int(ir::kAttrK);
    if (!k) return unexpected(k.error());
    return std::make_unique<SamplePeers>(static_cast<std::size_t>(*k));
  }
  explicit SamplePeers(std::size_t k) : k_(k) {}

  OpResult compute(Invocation& inv) override {
    const Value& list = inv.in(0);
    if (list.kind() != runtime::ValueKind::kPeerList)
      return OpResult::fail(Reason::kBadInput,
                            "input 0 must be a peer list, got " + std::string(runtime::to_string(list.kind())));
    const auto& peers = list.as_peer_list();
    if (k_ >= peers.size()) {
      inv.out(0) = list;
      return OpResult::ok();
    }
    // Partial Fisher–Yates over indices, then the chosen peers in list order.
    index_.resize(peers.size());
    for (std::size_t i = 0; i < index_.size(); ++i) index_[i] = i;
    auto& rng = inv.rng();
    for (std::size_t i = 0; i < k_; ++i) std::swap(index_[i], index_[i + rng.below(index_.size() - i)]);
    std::sort(index_.begin(), index_.begin() + static_cast<std::ptrdiff_t>(k_));
    std::vector<PeerId> chosen;
    chosen.reserve(k_);
    for (std::size_t i = 0; i < k_; ++i) chosen.push_back(peers[index_[i]]);
    inv.out(0) = Value::peer_list(std::move(chosen));
    return OpResult::ok();
  }

 private:
  std::size_t k_;
  std::vector<std::size_t> index_;
};

const runtime::OpRegistrar kPeers{ir::kSyscallDomain, ir::kPeers, ir::OpKind::kCompute, &runtime::make_kernel<Peers>};
const runtime::OpRegistrar kSamplePeers{ir::kSyscallDomain, ir::kSamplePeers, ir::OpKind::kCompute,
                                        &runtime::make_kernel<SamplePeers>};

}  // namespace
}  // namespace bb::ops
