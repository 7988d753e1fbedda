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

Expected<std::optional<std::string_view>, std::string> string_attribute(const onnx::NodeProto& node,
                                                                        std::string_view name) {
  auto attr = typed_attribute(node, name, AttributeProto::STRING);
  if (!attr) return unexpected(attr.error());
  if (*attr == nullptr) return std::optional<std::string_view>{};
  return std::optional<std::string_view>{(*attr)->s()};
}

namespace {

const ir::OpSpec* op_of(const runtime::KernelInit& init) {
  return init.spec != nullptr ? init.spec : ir::find_bb_op(init.node.domain(), init.node.op_type());
}

}  // namespace

DeclaredReader::DeclaredReader(const runtime::KernelInit& init) {
  const ir::OpSpec* op = op_of(init);
  if (op == nullptr) return;
  if (init.declared != nullptr && &init.declared->op() == op)
    found_.emplace(*init.declared);  // the loader's: the node's attribute list is not walked again
  else
    found_.emplace(*op, init.node);
}

namespace {

// The declaration's position of `name`, as DeclaredAttributes::position finds it. A kernel
// asks by the table's own constant (names.h: one inline object, so one address), found by
// its address without comparing characters; any other view of the same name by them.
std::size_t position_of(const ir::DeclaredAttributes& found, std::string_view name) {
  const auto& declared = found.op().attributes;
  for (std::size_t p = 0; p < declared.size(); ++p)
    if (declared[p].name.data() == name.data() && declared[p].name.size() == name.size()) return p;
  return found.position(name);
}

}  // namespace

Expected<ir::AttributeView, std::string> DeclaredReader::view(std::string_view name,
                                                               AttributeProto::AttributeType type) const {
  const std::size_t p = found_ ? position_of(*found_, name) : 0;
  const ir::AttrSpec* spec = found_ && p < found_->op().attributes.size() ? &found_->op().attributes[p] : nullptr;
  if (spec == nullptr || spec->type != type)
    return unexpected("attribute '" + std::string(name) + "' is not declared as " +
                      AttributeProto_AttributeType_Name(type) + " in the bb op table (a bug in the kernel)");
  // The loader's view: the attribute is not loaded again, and its value was checked
  // against the declaration (a node whose value breaks it gets no kernel).
  const ir::AttributeView* checked = found_->checked_view(p);
  const ir::AttributeView attr = checked != nullptr ? *checked : ir::view_of(found_->at(p));
  if (attr.proto == nullptr) return attr;
  if (attr.type != type)
    return unexpected("attribute '" + std::string(name) + "' must be " + AttributeProto_AttributeType_Name(type) +
                      ", found " + AttributeProto_AttributeType_Name(attr.type));
  if (checked == nullptr)
    if (auto wrong = ir::check_attribute_value(*spec, *attr.proto); !wrong.empty()) return unexpected("attribute " + wrong);
  return attr;
}

Expected<const AttributeProto*, std::string> DeclaredReader::get(std::string_view name,
                                                                 AttributeProto::AttributeType type) const {
  auto attr = view(name, type);
  if (!attr) return unexpected(std::move(attr.error()));
  return attr->proto;
}

Expected<std::optional<std::int64_t>, std::string> DeclaredReader::get_int(std::string_view name) const {
  auto attr = view(name, AttributeProto::INT);
  if (!attr) return unexpected(std::move(attr.error()));
  if (attr->proto == nullptr) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{attr->i()};
}

Expected<std::optional<std::string_view>, std::string> DeclaredReader::get_string(std::string_view name) const {
  auto attr = view(name, AttributeProto::STRING);
  if (!attr) return unexpected(std::move(attr.error()));
  if (attr->proto == nullptr) return std::optional<std::string_view>{};
  return std::optional<std::string_view>{attr->s()};
}

Expected<std::int64_t, std::string> DeclaredReader::required_int(std::string_view name) const {
  auto v = get_int(name);
  if (!v) return unexpected(std::move(v.error()));
  if (!v->has_value()) return unexpected("attribute '" + std::string(name) + "' is required");
  return **v;
}

Expected<std::string_view, std::string> DeclaredReader::required_string(std::string_view name) const {
  auto v = get_string(name);
  if (!v) return unexpected(std::move(v.error()));
  if (!v->has_value()) return unexpected("attribute '" + std::string(name) + "' is required");
  return **v;
}

Expected<PeerId, std::string> peer_from_attribute(std::string_view value, std::string_view name,
                                                  std::optional<int> entry) {
  auto peer = PeerId::from_attribute(value);
  if (!peer)
    return unexpected((entry ? "entry " + std::to_string(*entry) + " of '" + std::string(name) + "'"
                             : "attribute '" + std::string(name) + "'") +
                      " is not a valid PeerId (" + std::string(describe(peer.error())) +
                      ") [hint: use multihash bytes, base58btc or id:<name>]");
  return std::move(*peer);
}

Expected<TxTarget, std::string> tx_target(const runtime::KernelInit& init, const DeclaredReader& attributes) {
  auto peer = attributes.get_string(ir::kAttrPeer);
  if (!peer) return unexpected(peer.error());
  auto dynamic = attributes.get_int(ir::kAttrDynamicPeers);  // 1 when present, as the op table declares
  if (!dynamic) return unexpected(dynamic.error());
  const bool is_dynamic = dynamic->has_value();
  if (peer->has_value() && is_dynamic)
    return unexpected("has both '" + std::string(ir::kAttrPeer) + "' and '" + std::string(ir::kAttrDynamicPeers) +
                      "': a Tx gate has one destination form [hint: recompile the graph with bbc]");
  if (!peer->has_value() && !is_dynamic)
    return unexpected("has neither '" + std::string(ir::kAttrPeer) + "' nor '" + std::string(ir::kAttrDynamicPeers) +
                      "' = 1: the gate does not know its destination [hint: recompile the graph with bbc]");
  if (is_dynamic) return TxTarget{runtime::kNoPeer, true};
  auto parsed = peer_from_attribute(**peer, ir::kAttrPeer);
  if (!parsed) return unexpected(parsed.error());
  return TxTarget{init.network.peers().acquire(*parsed), false};
}

}  // namespace bb::ops
