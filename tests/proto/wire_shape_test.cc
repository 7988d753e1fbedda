#include "bb/ir/wire_shape.h"

#include <gtest/gtest.h>

#include "bb/ir/names.h"

namespace bb::ir {
namespace {

onnx::NodeProto make_send() {
  onnx::NodeProto node;
  node.set_domain(std::string(kWireDomain));
  node.set_op_type(std::string(kSend));
  node.add_input("x");
  return node;
}

TEST(WireShape, ClassifiesNodes) {
  auto send = make_send();
  EXPECT_TRUE(is_send(send));
  EXPECT_FALSE(is_recv(send));
  EXPECT_TRUE(is_wire_op(send));
  send.set_domain(std::string(kSyscallDomain));
  EXPECT_FALSE(is_send(send));  // op type alone is not enough
  onnx::NodeProto gate;
  gate.set_domain(std::string(kSyscallDomain));
  gate.set_op_type(std::string(kBackoffGateTx));
  EXPECT_TRUE(is_tx_gate(gate));
  EXPECT_TRUE(is_gate(gate));
  EXPECT_FALSE(is_rx_gate(gate));
  EXPECT_TRUE(is_onnx_domain(""));
  EXPECT_TRUE(is_onnx_domain(kOnnxDomainAlias));
}

TEST(WireShape, PeerAttributeIsStringBytes) {
  auto send = make_send();
  EXPECT_FALSE(read_peer_bytes(send));
  EXPECT_TRUE(send_is_dynamic(send));
  const std::string peer("\x00\x03" "bob", 5);
  stamp_peer(send, peer);
  ASSERT_TRUE(read_peer_bytes(send));
  EXPECT_EQ(*read_peer_bytes(send), peer);
  EXPECT_EQ(send.attribute(0).type(), onnx::AttributeProto::STRING);
  EXPECT_FALSE(send_is_dynamic(send));
  EXPECT_EQ(send_payload_count(send), 1);
  // Restamping replaces, never duplicates.
  stamp_peer(send, "id:carol");
  EXPECT_EQ(send.attribute_size(), 1);
  EXPECT_EQ(*read_peer_bytes(send), "id:carol");
}

TEST(WireShape, WrongAttributeTypeIsNotAPeer) {
  auto send = make_send();
  auto* attr = send.add_attribute();
  attr->set_name(std::string(kAttrPeer));
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(3);
  EXPECT_FALSE(read_peer_bytes(send));
}

TEST(WireShape, StampsAreIntAttributes) {
  auto send = make_send();
  EXPECT_FALSE(has_stamp(send, kStampBackoffTx));
  set_int_attribute(send, kStampBackoffTx, 1);
  set_int_attribute(send, kStampBackoffTx, 1);
  EXPECT_TRUE(has_stamp(send, kStampBackoffTx));
  EXPECT_EQ(send.attribute_size(), 1);
}

TEST(WireShape, GateNames) {
  EXPECT_EQ(gate_node_name(kBackoffGateTx, "send0"), "BackoffGateTx@send0");
  EXPECT_EQ(gate_output_name("send0", kOutBackoffTx, 2), "send0#backoff_tx_gated.2");
}

TEST(WireShape, MetadataOverwritesAndDropsDuplicates) {
  onnx::ModelProto model;
  set_metadata(model, "a", "1");
  auto* dup = model.add_metadata_props();
  dup->set_key("a");
  dup->set_value("stale");
  set_metadata(model, "b", "2");
  set_metadata(model, "a", "3");
  ASSERT_EQ(model.metadata_props_size(), 2);
  EXPECT_EQ(*get_metadata(model, "a"), "3");
  EXPECT_EQ(model.metadata_props(0).key(), "a");
  EXPECT_EQ(*get_metadata(model, "b"), "2");
  EXPECT_FALSE(get_metadata(model, "c"));
}

TEST(WireShape, OpsetVersionTreatsOnnxAliasesAsOne) {
  onnx::ModelProto model;
  auto* entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(13);
  EXPECT_EQ(opset_version(model.opset_import(), kOnnxDomainAlias), 13);
  EXPECT_FALSE(opset_version(model.opset_import(), kWireDomain));
}

}  // namespace
}  // namespace bb::ir
