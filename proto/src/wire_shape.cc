#include "bb/ir/wire_shape.h"

#include "bb/ir/gates.h"
#include "bb/ir/names.h"

namespace bb::ir {
namespace {

onnx::AttributeProto& upsert_attribute(onnx::NodeProto& node, std::string_view name) {
  if (auto* attr = find_attribute(node, name)) return *attr;
  auto* attr = node.add_attribute();
  attr->set_name(std::string(name));
  return *attr;
}

bool op_is(const onnx::NodeProto& node, std::string_view domain, std::string_view op_type) {
  return node.op_type() == op_type && node.domain() == domain;
}

bool op_is(std::string_view node_domain, std::string_view node_op_type, std::string_view domain,
           std::string_view op_type) {
  return node_op_type == op_type && node_domain == domain;
}

}  // namespace

bool is_onnx_domain(std::string_view domain) { return domain.empty() || domain == kOnnxDomainAlias; }
bool is_bb_domain(std::string_view domain) { return domain == kWireDomain || domain == kSyscallDomain; }

bool is_send(const onnx::NodeProto& node) { return op_is(node, kWireDomain, kSend); }
bool is_recv(const onnx::NodeProto& node) { return op_is(node, kWireDomain, kRecv); }
bool is_wire_op(const onnx::NodeProto& node) { return is_send(node) || is_recv(node); }

bool is_tx_gate(const onnx::NodeProto& node) {
  const auto* gate = gate_of(node);
  return gate != nullptr && gate->tx;
}

bool is_rx_gate(const onnx::NodeProto& node) {
  const auto* gate = gate_of(node);
  return gate != nullptr && !gate->tx;
}

bool is_gate(const onnx::NodeProto& node) { return gate_of(node) != nullptr; }
bool is_peers(const onnx::NodeProto& node) { return op_is(node, kSyscallDomain, kPeers); }
bool is_send(std::string_view domain, std::string_view op_type) { return op_is(domain, op_type, kWireDomain, kSend); }
bool is_recv(std::string_view domain, std::string_view op_type) { return op_is(domain, op_type, kWireDomain, kRecv); }
bool is_peers(std::string_view domain, std::string_view op_type) {
  return op_is(domain, op_type, kSyscallDomain, kPeers);
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, std::string_view name) {
  for (const auto& attr : node.attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

onnx::AttributeProto* find_attribute(onnx::NodeProto& node, std::string_view name) {
  for (auto& attr : *node.mutable_attribute())
    if (attr.name() == name) return &attr;
  return nullptr;
}

std::optional<std::string_view> read_string_attribute(const onnx::NodeProto& node, std::string_view name) {
  const auto* attr = find_attribute(node, name);
  if (attr == nullptr || attr->type() != onnx::AttributeProto::STRING) return std::nullopt;
  return std::string_view(attr->s());
}

std::optional<std::int64_t> read_int_attribute(const onnx::NodeProto& node, std::string_view name) {
  const auto* attr = find_attribute(node, name);
  if (attr == nullptr || attr->type() != onnx::AttributeProto::INT) return std::nullopt;
  return attr->i();
}

std::optional<std::string_view> read_peer_bytes(const onnx::NodeProto& node) {
  return read_string_attribute(node, kAttrPeer);
}

void set_string_attribute(onnx::NodeProto& node, std::string_view name, std::string_view value) {
  auto& attr = upsert_attribute(node, name);
  attr.Clear();
  attr.set_name(std::string(name));
  attr.set_type(onnx::AttributeProto::STRING);
  attr.set_s(std::string(value));
}

void set_int_attribute(onnx::NodeProto& node, std::string_view name, std::int64_t value) {
  auto& attr = upsert_attribute(node, name);
  attr.Clear();
  attr.set_name(std::string(name));
  attr.set_type(onnx::AttributeProto::INT);
  attr.set_i(value);
}

bool has_stamp(const onnx::NodeProto& node, std::string_view stamp) {
  return read_int_attribute(node, stamp).value_or(0) == 1;
}

bool send_is_dynamic(const onnx::NodeProto& send) { return find_attribute(send, kAttrPeer) == nullptr; }

int send_payload_count(const onnx::NodeProto& send) {
  const int n = send.input_size();
  return send_is_dynamic(send) ? (n > 0 ? n - 1 : 0) : n;
}

std::string_view channel_of(const onnx::NodeProto& node) {
  return read_string_attribute(node, kAttrChannel).value_or(std::string_view{});
}

std::string gate_node_name(std::string_view op_type, std::string_view key) {
  std::string name;
  name.reserve(op_type.size() + 1 + key.size());
  name.append(op_type).push_back(kGateNameSeparator);
  name.append(key);
  return name;
}

std::string gate_output_name(std::string_view key, std::string_view infix, int j) {
  std::string name;
  name.reserve(key.size() + infix.size() + 8);
  name.append(key).push_back(kGateOutputSeparator);
  name.append(infix).push_back('.');
  name.append(std::to_string(j));
  return name;
}

bool is_gate_output_name(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return false;
  for (const char c : name.substr(dot + 1))
    if (c < '0' || c > '9') return false;
  const auto hash = name.rfind(kGateOutputSeparator, dot);
  if (hash == std::string_view::npos) return false;
  const auto infix = name.substr(hash + 1, dot - hash - 1);
  for (const auto& gate : kGates)
    if (gate.out_infix == infix) return true;
  return false;
}

std::optional<std::string_view> get_metadata(const onnx::ModelProto& model, std::string_view key) {
  for (const auto& entry : model.metadata_props())
    if (entry.key() == key) return std::string_view(entry.value());
  return std::nullopt;
}

void set_metadata(onnx::ModelProto& model, std::string_view key, std::string_view value) {
  auto* props = model.mutable_metadata_props();
  bool found = false;
  int out = 0;
  for (int i = 0; i < props->size(); ++i) {
    auto& entry = props->at(i);
    if (entry.key() == key) {
      if (found) continue;  // drop duplicates
      found = true;
      entry.set_value(std::string(value));
    }
    if (out != i) props->SwapElements(out, i);
    ++out;
  }
  while (props->size() > out) props->RemoveLast();
  if (!found) {
    auto* entry = props->Add();
    entry->set_key(std::string(key));
    entry->set_value(std::string(value));
  }
}

std::optional<std::int64_t> opset_version(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports,
                                          std::string_view domain) {
  const bool onnx_domain = is_onnx_domain(domain);
  for (const auto& entry : imports) {
    if (onnx_domain ? is_onnx_domain(entry.domain()) : entry.domain() == domain) return entry.version();
  }
  return std::nullopt;
}

}  // namespace bb::ir
