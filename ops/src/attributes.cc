#include "attributes.h"

#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
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

namespace {

// The declaration of `name` on the node's op, and the attribute when present; a bad
// type or a value the declaration refuses is an error.
Expected<const AttributeProto*, std::string> declared(const runtime::KernelInit& init, std::string_view name,
                                                      AttributeProto::AttributeType type) {
  const ir::OpSpec* op = init.spec != nullptr ? init.spec : ir::find_bb_op(init.node.domain(), init.node.op_type());
  const ir::AttrSpec* spec = op != nullptr ? ir::find_attr_spec(*op, name) : nullptr;
  if (spec == nullptr || spec->type != type)
    return unexpected("attribute '" + std::string(name) + "' is not declared as " +
                      AttributeProto_AttributeType_Name(type) + " in the bb op table (a bug in the kernel)");
  auto attr = typed_attribute(init.node, name, type);
  if (!attr || *attr == nullptr) return attr;
  if (auto wrong = ir::check_attribute_value(*spec, **attr); !wrong.empty()) return unexpected("attribute " + wrong);
  return attr;
}

}  // namespace

Expected<std::optional<std::int64_t>, std::string> declared_int(const runtime::KernelInit& init, std::string_view name) {
  auto attr = declared(init, name, AttributeProto::INT);
  if (!attr) return unexpected(attr.error());
  if (*attr == nullptr) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{(*attr)->i()};
}

Expected<std::optional<std::string>, std::string> declared_string(const runtime::KernelInit& init,
                                                                  std::string_view name) {
  auto attr = declared(init, name, AttributeProto::STRING);
  if (!attr) return unexpected(attr.error());
  if (*attr == nullptr) return std::optional<std::string>{};
  return std::optional<std::string>{(*attr)->s()};
}

Expected<std::int64_t, std::string> required_int(const runtime::KernelInit& init, std::string_view name) {
  auto v = declared_int(init, name);
  if (!v) return unexpected(v.error());
  if (!v->has_value()) return unexpected("attribute '" + std::string(name) + "' is required");
  return **v;
}

Expected<std::string, std::string> required_string(const runtime::KernelInit& init, std::string_view name) {
  auto v = declared_string(init, name);
  if (!v) return unexpected(v.error());
  if (!v->has_value()) return unexpected("attribute '" + std::string(name) + "' is required");
  return **v;
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
  auto dynamic = declared_int(init, ir::kAttrDynamicPeers);  // 1 when present, as the op table declares
  if (!dynamic) return unexpected(dynamic.error());
  const bool is_dynamic = dynamic->has_value();
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
