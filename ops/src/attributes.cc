#include "attributes.h"

#include "bb/ir/names.h"
#include "bb/ir/wire_shape.h"

namespace bb::ops {

using onnx::AttributeProto;

Expected<const AttributeProto*, std::string> typed_attribute(const onnx::NodeProto& node, std::string_view name,
                                                             AttributeProto::AttributeType type) {
  const auto* attr = ir::find_attribute(node, name);
  if (attr == nullptr) return static_cast<const AttributeProto*>(nullptr);
  if (attr->type() != type)
    return unexpected("attribute '" + std::string(name) + "' must be " + AttributeProto_AttributeType_Name(type) +
                      ", found " + AttributeProto_AttributeType_Name(attr->type()));
  return attr;
}

Expected<std::optional<std::int64_t>, std::string> int_attribute(const onnx::NodeProto& node, std::string_view name) {
  auto attr = typed_attribute(node, name, AttributeProto::INT);
  if (!attr) return unexpected(attr.error());
  if (*attr == nullptr) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{(*attr)->i()};
}

Expected<std::optional<std::string>, std::string> string_attribute(const onnx::NodeProto& node, std::string_view name) {
  auto attr = typed_attribute(node, name, AttributeProto::STRING);
  if (!attr) return unexpected(attr.error());
  if (*attr == nullptr) return std::optional<std::string>{};
  return std::optional<std::string>{(*attr)->s()};
}

Expected<std::int64_t, std::string> required_int(const onnx::NodeProto& node, std::string_view name, std::int64_t min,
                                                 std::int64_t max) {
  auto v = int_attribute(node, name);
  if (!v) return unexpected(v.error());
  if (!v->has_value()) return unexpected("attribute '" + std::string(name) + "' is required");
  const std::int64_t value = **v;
  if (value < min || value > max)
    return unexpected("attribute '" + std::string(name) + "' = " + std::to_string(value) + " is out of range [" +
                      std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

Expected<PeerId, std::string> peer_from_attribute(std::string_view value, std::string_view what) {
  auto peer = PeerId::from_attribute(value);
  if (!peer)
    return unexpected(std::string(what) + " is not a valid PeerId (" + std::string(describe(peer.error())) +
                      ") [hint: use multihash bytes, base58btc or id:<name>]");
  return *peer;
}

Expected<TxTarget, std::string> tx_target(const runtime::KernelInit& init) {
  auto peer = string_attribute(init.node, ir::kAttrPeer);
  if (!peer) return unexpected(peer.error());
  auto dynamic = int_attribute(init.node, ir::kAttrDynamicPeers);
  if (!dynamic) return unexpected(dynamic.error());
  const bool is_dynamic = dynamic->has_value() && **dynamic == 1;
  if (dynamic->has_value() && **dynamic != 1)
    return unexpected("attribute '" + std::string(ir::kAttrDynamicPeers) + "' must be 1 when present, found " +
                      std::to_string(**dynamic));
  if (peer->has_value() && is_dynamic)
    return unexpected("has both '" + std::string(ir::kAttrPeer) + "' and '" + std::string(ir::kAttrDynamicPeers) +
                      "': a Tx gate has one destination form [hint: recompile the graph with bbc]");
  if (!peer->has_value() && !is_dynamic)
    return unexpected("has neither '" + std::string(ir::kAttrPeer) + "' nor '" + std::string(ir::kAttrDynamicPeers) +
                      "' = 1: the gate does not know its destination [hint: recompile the graph with bbc]");
  if (is_dynamic) return TxTarget{runtime::kNoPeer, true};
  auto parsed = peer_from_attribute(**peer, "attribute '" + std::string(ir::kAttrPeer) + "'");
  if (!parsed) return unexpected(parsed.error());
  return TxTarget{init.network.peers().acquire(*parsed), false};
}

}  // namespace bb::ops
