#include "gate_records.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/names.h"
#include "bb/ir/passport.h"
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

// Writes encodings at `p`, into room sized beforehand (gate_node_size, stamp_field_size):
// a gate is ~200 bytes of a dozen small fields, which appending to a string grew and
// bounds-checked one byte at a time.
struct Cursor {
  char* p;
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      *p++ = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    *p++ = static_cast<char>(value);
  }
  void raw(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    p += bytes.size();
  }
  void tag(int field, ir::WireType type) { varint(ir::make_tag(field, type)); }
  void bytes_field(int field, std::string_view bytes) {
    tag(field, ir::WireType::kLengthDelimited);
    varint(bytes.size());
    raw(bytes);
  }
};

// The attributes ir::set_string_attribute and ir::set_int_attribute write: name, the
// value (s or i), type.
std::size_t string_attribute_size(std::string_view name, std::size_t value) {
  return bytes_field_size(kAttrName, name.size()) + bytes_field_size(kAttrS, value) +
         varint_size(ir::make_tag(kAttrType, ir::WireType::kVarint)) + varint_size(onnx::AttributeProto::STRING);
}

std::size_t int_attribute_size(std::string_view name, std::int64_t value) {
  return bytes_field_size(kAttrName, name.size()) + varint_size(ir::make_tag(kAttrI, ir::WireType::kVarint)) +
         varint_size(static_cast<std::uint64_t>(value)) + varint_size(ir::make_tag(kAttrType, ir::WireType::kVarint)) +
         varint_size(onnx::AttributeProto::INT);
}

void put_string_attribute(Cursor& out, std::string_view name, std::string_view value) {
  out.tag(kNodeAttribute, ir::WireType::kLengthDelimited);
  out.varint(string_attribute_size(name, value.size()));
  out.bytes_field(kAttrName, name);
  out.bytes_field(kAttrS, value);
  out.tag(kAttrType, ir::WireType::kVarint);
  out.varint(onnx::AttributeProto::STRING);
}

void put_int_attribute(Cursor& out, std::string_view name, std::int64_t value) {
  out.tag(kNodeAttribute, ir::WireType::kLengthDelimited);
  out.varint(int_attribute_size(name, value));
  out.bytes_field(kAttrName, name);
  out.tag(kAttrI, ir::WireType::kVarint);
  out.varint(static_cast<std::uint64_t>(value));
  out.tag(kAttrType, ir::WireType::kVarint);
  out.varint(onnx::AttributeProto::INT);
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

std::size_t gate_output_name_size(std::size_t key, std::string_view infix, std::size_t j) {
  std::size_t digits = 1;
  for (; j >= 10; j /= 10) ++digits;
  return key + 1 + infix.size() + 1 + digits;
}

std::size_t name_field_size(std::size_t name) { return bytes_field_size(kNodeInput, name); }

std::size_t node_field_size(std::size_t node) { return bytes_field_size(ir::kGraphNodeField, node); }

std::size_t gate_node_size(const ir::GateInfo& info, std::size_t key, std::size_t input_fields,
                           std::size_t output_fields, std::optional<std::size_t> peer, bool dynamic) {
  std::size_t size = input_fields + output_fields;
  size += bytes_field_size(kNodeName, info.op_type.size() + 1 + key);
  size += bytes_field_size(kNodeOpType, info.op_type.size());
  if (dynamic) {
    size += bytes_field_size(kNodeAttribute, int_attribute_size(ir::kAttrDynamicPeers, 1));
  } else if (peer) {
    size += bytes_field_size(kNodeAttribute, string_attribute_size(ir::kAttrPeer, *peer));
  }
  size += bytes_field_size(kNodeAttribute, string_attribute_size(ir::kAttrSource, key));
  size += bytes_field_size(kNodeDomain, ir::kSyscallDomain.size());
  return size;
}

std::size_t gate_node_size(const GateSpelling& gate) {
  std::size_t inputs = 0, outputs = 0;
  for (auto in : gate.inputs) inputs += bytes_field_size(kNodeInput, in.size());
  for (std::size_t j = 0; j < gate.count; ++j) outputs += bytes_field_size(kNodeOutput, gate.outputs[j].size());
  const auto peer = gate.peer ? std::optional<std::size_t>(gate.peer->size()) : std::nullopt;
  return gate_node_size(*gate.info, gate.key.size(), inputs, outputs, peer, gate.dynamic);
}

char* encode_gate_node(const GateSpelling& gate, char* at) {
  Cursor out{at};
  for (auto in : gate.inputs) out.bytes_field(kNodeInput, in);
  for (std::size_t j = 0; j < gate.count; ++j) out.bytes_field(kNodeOutput, gate.outputs[j]);
  out.tag(kNodeName, ir::WireType::kLengthDelimited);
  out.varint(name_size(gate));
  out.raw(gate.info->op_type);
  *out.p++ = ir::kGateNameSeparator;
  out.raw(gate.key);
  out.bytes_field(kNodeOpType, gate.info->op_type);
  if (gate.dynamic) {
    put_int_attribute(out, ir::kAttrDynamicPeers, 1);
  } else if (gate.peer) {
    put_string_attribute(out, ir::kAttrPeer, *gate.peer);
  }
  put_string_attribute(out, ir::kAttrSource, gate.key);
  out.bytes_field(kNodeDomain, ir::kSyscallDomain);
  return out.p;
}

void encode_gate_node(const GateSpelling& gate, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + gate_node_size(gate));
  encode_gate_node(gate, out.data() + start);
}

std::size_t stamp_field_size(std::string_view stamp) {
  return bytes_field_size(kNodeAttribute, int_attribute_size(stamp, 1));
}

void encode_stamp_field(std::string_view stamp, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + stamp_field_size(stamp));
  Cursor cursor{out.data() + start};
  put_int_attribute(cursor, stamp, 1);
}

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
