#include "gate_records.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/names.h"
#include "bb/ir/peer_id.h"  // append_uvarint: protobuf varints are the same unsigned LEB128
#include "bb/ir/wire_format.h"
#include "bb/ir/wire_shape.h"

namespace bb::compiler {
namespace {

using google::protobuf::io::CodedOutputStream;

constexpr std::size_t kNameBlock = std::size_t{1} << 20;

// NodeProto and AttributeProto fields (onnx.proto), in the order protobuf writes them.
constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5, kNodeDomain = 7;
constexpr int kAttrName = 1, kAttrI = 3, kAttrS = 4, kAttrType = 20;

std::size_t varint_size(std::uint64_t value) { return CodedOutputStream::VarintSize64(value); }
std::size_t tag_size(int field) { return varint_size(ir::make_tag(field, ir::WireType::kLengthDelimited)); }

// A length-delimited field: tag, length, bytes.
std::size_t bytes_field_size(int field, std::size_t length) { return tag_size(field) + varint_size(length) + length; }

void append_tag(std::string& out, int field, ir::WireType type) { append_uvarint(out, ir::make_tag(field, type)); }

void append_bytes_field(std::string& out, int field, std::string_view bytes) {
  append_tag(out, field, ir::WireType::kLengthDelimited);
  append_uvarint(out, bytes.size());
  out.append(bytes);
}

// The attributes ir::set_string_attribute and ir::set_int_attribute write: name, the
// value (s or i), type.
std::size_t string_attribute_size(std::string_view name, std::string_view value) {
  return bytes_field_size(kAttrName, name.size()) + bytes_field_size(kAttrS, value.size()) +
         varint_size(ir::make_tag(kAttrType, ir::WireType::kVarint)) + varint_size(onnx::AttributeProto::STRING);
}

std::size_t int_attribute_size(std::string_view name, std::int64_t value) {
  return bytes_field_size(kAttrName, name.size()) + varint_size(ir::make_tag(kAttrI, ir::WireType::kVarint)) +
         varint_size(static_cast<std::uint64_t>(value)) + varint_size(ir::make_tag(kAttrType, ir::WireType::kVarint)) +
         varint_size(onnx::AttributeProto::INT);
}

void append_string_attribute(std::string& out, std::string_view name, std::string_view value) {
  append_tag(out, kNodeAttribute, ir::WireType::kLengthDelimited);
  append_uvarint(out, string_attribute_size(name, value));
  append_bytes_field(out, kAttrName, name);
  append_bytes_field(out, kAttrS, value);
  append_tag(out, kAttrType, ir::WireType::kVarint);
  append_uvarint(out, onnx::AttributeProto::STRING);
}

void append_int_attribute(std::string& out, std::string_view name, std::int64_t value) {
  append_tag(out, kNodeAttribute, ir::WireType::kLengthDelimited);
  append_uvarint(out, int_attribute_size(name, value));
  append_bytes_field(out, kAttrName, name);
  append_tag(out, kAttrI, ir::WireType::kVarint);
  append_uvarint(out, static_cast<std::uint64_t>(value));
  append_tag(out, kAttrType, ir::WireType::kVarint);
  append_uvarint(out, onnx::AttributeProto::INT);
}

std::size_t name_size(const GateSpelling& gate) { return gate.info->op_type.size() + 1 + gate.key.size(); }

}  // namespace

void append_gate_output_name(std::string& out, std::string_view key, std::string_view infix, std::size_t j) {
  out.append(key).push_back(ir::kGateOutputSeparator);
  out.append(infix).push_back('.');
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, j).ptr;
  out.append(digits, end);
}

void GateSpelling::spell_outputs(const ir::GateInfo& gate, std::string_view wire_op, std::size_t n) {
  info = &gate;
  key = wire_op;
  count = n;
  if (outputs.size() < n) outputs.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    outputs[j].clear();
    append_gate_output_name(outputs[j], key, info->out_infix, j);
  }
}

onnx::NodeProto* build_gate_node(const GateSpelling& gate, google::protobuf::Arena* arena) {
  auto* node = google::protobuf::Arena::CreateMessage<onnx::NodeProto>(arena);
  node->set_name(ir::gate_node_name(gate.info->op_type, gate.key));
  node->set_domain(std::string(ir::kSyscallDomain));
  node->set_op_type(std::string(gate.info->op_type));
  for (auto in : gate.inputs) node->add_input(std::string(in));
  for (std::size_t j = 0; j < gate.count; ++j) node->add_output(gate.outputs[j]);
  if (gate.dynamic) {
    ir::set_int_attribute(*node, ir::kAttrDynamicPeers, 1);
  } else if (gate.peer) {
    ir::stamp_peer(*node, *gate.peer);
  }
  ir::set_string_attribute(*node, ir::kAttrSource, gate.key);
  return node;
}

std::size_t gate_node_size(const GateSpelling& gate) {
  std::size_t size = 0;
  for (auto in : gate.inputs) size += bytes_field_size(kNodeInput, in.size());
  for (std::size_t j = 0; j < gate.count; ++j) size += bytes_field_size(kNodeOutput, gate.outputs[j].size());
  size += bytes_field_size(kNodeName, name_size(gate));
  size += bytes_field_size(kNodeOpType, gate.info->op_type.size());
  if (gate.dynamic) {
    size += bytes_field_size(kNodeAttribute, int_attribute_size(ir::kAttrDynamicPeers, 1));
  } else if (gate.peer) {
    size += bytes_field_size(kNodeAttribute, string_attribute_size(ir::kAttrPeer, *gate.peer));
  }
  size += bytes_field_size(kNodeAttribute, string_attribute_size(ir::kAttrSource, gate.key));
  size += bytes_field_size(kNodeDomain, ir::kSyscallDomain.size());
  return size;
}

void encode_gate_node(const GateSpelling& gate, std::string& out) {
  for (auto in : gate.inputs) append_bytes_field(out, kNodeInput, in);
  for (std::size_t j = 0; j < gate.count; ++j) append_bytes_field(out, kNodeOutput, gate.outputs[j]);
  append_tag(out, kNodeName, ir::WireType::kLengthDelimited);
  append_uvarint(out, name_size(gate));
  out.append(gate.info->op_type).push_back(ir::kGateNameSeparator);
  out.append(gate.key);
  append_bytes_field(out, kNodeOpType, gate.info->op_type);
  if (gate.dynamic) {
    append_int_attribute(out, ir::kAttrDynamicPeers, 1);
  } else if (gate.peer) {
    append_string_attribute(out, ir::kAttrPeer, *gate.peer);
  }
  append_string_attribute(out, ir::kAttrSource, gate.key);
  append_bytes_field(out, kNodeDomain, ir::kSyscallDomain);
}

std::size_t stamp_field_size(std::string_view stamp) {
  return bytes_field_size(kNodeAttribute, int_attribute_size(stamp, 1));
}

void encode_stamp_field(std::string_view stamp, std::string& out) { append_int_attribute(out, stamp, 1); }

std::string_view NameStore::add(std::string_view name) {
  if (blocks_.empty() || capacity_ - used_ < name.size()) {
    capacity_ = std::max(kNameBlock, name.size());
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(capacity_));
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  if (!name.empty()) std::memcpy(at, name.data(), name.size());
  used_ += name.size();
  return {at, name.size()};
}

void NameStore::clear() {
  blocks_.clear();
  used_ = capacity_ = 0;
}

}  // namespace bb::compiler
