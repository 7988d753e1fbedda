// Reading and writing the shape of wire ops and gates on ONNX protos: is this node a
// Send, what peer does it name, stamp it, read and write model metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/ir/names.h"

namespace bb::ir {

// The default ONNX domain is spelled "" or "ai.onnx".
bool is_onnx_domain(std::string_view domain);
bool is_bb_domain(std::string_view domain);

bool is_send(const onnx::NodeProto& node);
bool is_recv(const onnx::NodeProto& node);
// The same, for a node's domain and op type (bbc's verbatim nodes are views of bytes).
bool is_send(std::string_view domain, std::string_view op_type);
bool is_recv(std::string_view domain, std::string_view op_type);
bool is_peers(std::string_view domain, std::string_view op_type);
bool is_wire_op(const onnx::NodeProto& node);
bool is_tx_gate(const onnx::NodeProto& node);
bool is_rx_gate(const onnx::NodeProto& node);
bool is_gate(const onnx::NodeProto& node);
// A Peers node: a literal peer list, whose `peers` entries canonicalize turns into bytes.
bool is_peers(const onnx::NodeProto& node);

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, std::string_view name);
onnx::AttributeProto* find_attribute(onnx::NodeProto& node, std::string_view name);

// The `peer` attribute's bytes (`.s`) when present and of type STRING.
std::optional<std::string_view> read_peer_bytes(const onnx::NodeProto& node);
// A STRING/INT attribute's value when present with that type.
std::optional<std::string_view> read_string_attribute(const onnx::NodeProto& node, std::string_view name);
std::optional<std::int64_t> read_int_attribute(const onnx::NodeProto& node, std::string_view name);

// Replace-or-add, keeping the position of an existing attribute.
void set_string_attribute(onnx::NodeProto& node, std::string_view name, std::string_view value);
void set_int_attribute(onnx::NodeProto& node, std::string_view name, std::int64_t value);
inline void stamp_peer(onnx::NodeProto& node, std::string_view peer_bytes);

// An INT stamp = 1 on a wire op (e.g. kStampBackoffTx).
bool has_stamp(const onnx::NodeProto& node, std::string_view stamp);

// Send destination: the static `peer` attribute, or dynamic (peer list as last input).
bool send_is_dynamic(const onnx::NodeProto& send);
// The payload inputs of a Send: all inputs, or all but the last for a dynamic Send.
int send_payload_count(const onnx::NodeProto& send);
// The `channel` attribute, "" by default.
std::string_view channel_of(const onnx::NodeProto& node);

// Gate naming (docs/compiler.md): node `<OpType>@<key>`, outputs `<key>#<infix>.<j>`.
// The key is the wire op's name, at most kMaxGateKeyBytes long (bbc refuses longer ones:
// every gate value repeats it).
inline constexpr std::size_t kMaxGateKeyBytes = 1024;
std::string gate_node_name(std::string_view op_type, std::string_view key);
std::string gate_output_name(std::string_view key, std::string_view infix, int j);
// Whether `name` has the form of a gate output, `<key>#<infix>.<j>` with an infix of the
// gate catalogue: in a source graph such a name is reserved (the gate would define it).
bool is_gate_output_name(std::string_view name);

// Model metadata_props: the value of the first entry with `key`.
std::optional<std::string_view> get_metadata(const onnx::ModelProto& model, std::string_view key);
// Overwrites: the first entry with `key` gets `value`, later duplicates are removed.
void set_metadata(onnx::ModelProto& model, std::string_view key, std::string_view value);

// The opset version a model imports for `domain` ("" and "ai.onnx" are one domain).
std::optional<std::int64_t> opset_version(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& imports,
                                          std::string_view domain);

inline void stamp_peer(onnx::NodeProto& node, std::string_view peer_bytes) {
  set_string_attribute(node, kAttrPeer, peer_bytes);
}

}  // namespace bb::ir
