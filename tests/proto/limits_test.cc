// The model limits of docs/security.md (bb/ir/limits.h): one test per limit, at the limit and
// one past it, with the place, the value and the flag in the message.
#include "bb/ir/limits.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace bb::ir {
namespace {

onnx::ModelProto model_with_nodes(int n) {
  onnx::ModelProto m;
  for (int i = 0; i < n; ++i) {
    auto* node = m.mutable_graph()->add_node();
    node->set_op_type("Identity");
    node->set_name("n" + std::to_string(i));
  }
  return m;
}

LimitError error_of(const onnx::ModelProto& m, const ModelLimits& limits) {
  auto r = check_model_limits(m, limits);
  EXPECT_FALSE(r.has_value());
  return r ? LimitError{} : r.error();
}

onnx::AttributeProto& add_attribute(onnx::ModelProto& m, int node, const std::string& name) {
  auto* a = m.mutable_graph()->mutable_node(node)->add_attribute();
  a->set_name(name);
  return *a;
}

TEST(ModelLimits, DefaultsAcceptAnOrdinaryModel) { EXPECT_TRUE(check_model_limits(model_with_nodes(50), {})); }

TEST(ModelLimits, NodeCountOfTheGraph) {
  ModelLimits limits;
  limits.max_nodes = 3;
  EXPECT_TRUE(check_model_limits(model_with_nodes(3), limits));
  const LimitError e = error_of(model_with_nodes(4), limits);
  EXPECT_EQ(to_string(e.kind), "too_many_nodes");
  EXPECT_EQ(e.where, "node 'n3' (Identity #3)") << "the first node past the limit";
  EXPECT_EQ(e.limit, 3u);
  EXPECT_NE(describe(e).find("--max-nodes"), std::string::npos) << describe(e);
}

TEST(ModelLimits, NodeCountIncludesSubgraphsAndFunctions) {
  ModelLimits limits;
  limits.max_nodes = 3;
  onnx::ModelProto m = model_with_nodes(2);
  auto& branch = add_attribute(m, 0, "then_branch");
  branch.set_type(onnx::AttributeProto::GRAPH);
  branch.mutable_g()->add_node()->set_op_type("Identity");
  EXPECT_TRUE(check_model_limits(m, limits));
  branch.mutable_g()->add_node()->set_op_type("Identity");
  EXPECT_EQ(error_of(m, limits).kind, LimitError::Kind::kTooManyNodes);

  onnx::ModelProto f = model_with_nodes(2);
  auto* function = f.add_functions();
  function->set_name("helper");
  function->set_domain("com.example");
  function->add_node()->set_op_type("Relu");
  EXPECT_TRUE(check_model_limits(f, limits));
  function->add_node()->set_op_type("Relu");
  EXPECT_EQ(error_of(f, limits).kind, LimitError::Kind::kTooManyNodes);
}

TEST(ModelLimits, AttributeBytes) {
  ModelLimits limits;
  limits.max_attribute_bytes = 16;
  onnx::ModelProto m = model_with_nodes(1);
  auto& s = add_attribute(m, 0, "label");
  s.set_type(onnx::AttributeProto::STRING);
  s.set_s(std::string(16, 'x'));
  EXPECT_TRUE(check_model_limits(m, limits));
  s.set_s(std::string(17, 'x'));
  LimitError e = error_of(m, limits);
  EXPECT_EQ(to_string(e.kind), "attribute_too_large");
  EXPECT_EQ(e.where, "node 'n0' (Identity #0) attribute 'label'");
  EXPECT_EQ(e.value, 17u);
  EXPECT_NE(describe(e).find("--max-attribute-bytes"), std::string::npos) << describe(e);

  s.clear_s();
  s.set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 3; ++i) s.add_ints(i);  // 24 bytes
  EXPECT_EQ(error_of(m, limits).kind, LimitError::Kind::kAttributeTooLarge) << "ints count as 8 bytes each";

  s.clear_ints();
  s.set_type(onnx::AttributeProto::TENSOR);
  s.mutable_t()->add_dims(5);
  s.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  s.mutable_t()->set_raw_data(std::string(20, '\0'));
  EXPECT_EQ(error_of(m, limits).kind, LimitError::Kind::kAttributeTooLarge) << "tensor data";
}

TEST(ModelLimits, InitializerBytes) {
  ModelLimits limits;
  limits.max_attribute_bytes = 16;
  onnx::ModelProto m = model_with_nodes(1);
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->add_dims(4);
  for (int i = 0; i < 4; ++i) w->add_float_data(1.0f);
  EXPECT_TRUE(check_model_limits(m, limits));
  w->add_dims(2);
  for (int i = 0; i < 4; ++i) w->add_float_data(1.0f);
  const LimitError e = error_of(m, limits);
  EXPECT_EQ(e.kind, LimitError::Kind::kAttributeTooLarge);
  EXPECT_EQ(e.where, "initializer 'w'");
  EXPECT_EQ(e.value, 32u);
}

TEST(ModelLimits, TensorElementsAreCountedWithoutOverflow) {
  ModelLimits limits;
  limits.max_tensor_elements = 1000;
  onnx::ModelProto m = model_with_nodes(1);
  auto& v = add_attribute(m, 0, "value");
  v.set_type(onnx::AttributeProto::TENSOR);
  v.mutable_t()->add_dims(10);
  v.mutable_t()->add_dims(100);
  EXPECT_TRUE(check_model_limits(m, limits)) << "exactly the limit; no data needed to declare it";
  v.mutable_t()->set_dims(1, 101);
  LimitError e = error_of(m, limits);
  EXPECT_EQ(to_string(e.kind), "too_many_elements");
  EXPECT_EQ(e.value, 1010u);
  EXPECT_EQ(e.where, "node 'n0' (Identity #0) attribute 'value'");
  EXPECT_NE(describe(e).find("--max-tensor-elements"), std::string::npos) << describe(e);

  // 2^62 * 2^62 wraps to 0 in 64 bits: it must not pass as "no elements".
  v.mutable_t()->clear_dims();
  v.mutable_t()->add_dims(std::int64_t{1} << 62);
  v.mutable_t()->add_dims(std::int64_t{1} << 62);
  e = error_of(m, limits);
  EXPECT_EQ(e.kind, LimitError::Kind::kTooManyElements);
  EXPECT_EQ(e.value, UINT64_MAX);
  EXPECT_NE(describe(e).find("more than 2^64"), std::string::npos) << describe(e);

  // A zero dim means no elements, whatever follows.
  v.mutable_t()->clear_dims();
  v.mutable_t()->add_dims(0);
  v.mutable_t()->add_dims(std::int64_t{1} << 62);
  EXPECT_TRUE(check_model_limits(m, limits));
}

TEST(ModelLimits, NegativeDims) {
  onnx::ModelProto m = model_with_nodes(1);
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->add_dims(2);
  w->add_dims(-3);
  const LimitError e = error_of(m, {});
  EXPECT_EQ(to_string(e.kind), "negative_dim");
  EXPECT_EQ(e.value, 1u) << "the index of the dim";
  EXPECT_EQ(describe(e), "initializer 'w': tensor dim 1 is negative (dims are sizes: 0 or more)");
}

TEST(ModelLimits, TensorsInSubgraphsAndSparseTensors) {
  ModelLimits limits;
  limits.max_tensor_elements = 100;
  onnx::ModelProto m = model_with_nodes(1);
  auto& branch = add_attribute(m, 0, "body");
  branch.set_type(onnx::AttributeProto::GRAPH);
  auto* inner = branch.mutable_g()->add_node();
  inner->set_op_type("Constant");
  inner->set_name("c");
  auto* value = inner->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->add_dims(101);
  LimitError e = error_of(m, limits);
  EXPECT_EQ(e.kind, LimitError::Kind::kTooManyElements);
  EXPECT_EQ(e.where, "node 'n0' (Identity #0) attribute 'body': node 'c' (Constant #0) attribute 'value'");

  onnx::ModelProto s = model_with_nodes(1);
  auto* sparse = s.mutable_graph()->add_sparse_initializer();
  sparse->mutable_values()->set_name("sv");
  sparse->add_dims(1000);
  sparse->add_dims(1000);
  e = error_of(s, limits);
  EXPECT_EQ(e.kind, LimitError::Kind::kTooManyElements);
  EXPECT_EQ(e.where, "sparse initializer 'sv'");
}

TEST(ModelLimits, FileSizeIsCheckedBeforeReading) {
  const auto path = std::filesystem::temp_directory_path() / ("bb_limits_" + std::to_string(::getpid()) + ".onnx");
  {
    std::ofstream out(path, std::ios::binary);
    out << serialize_deterministic(model_with_nodes(3));
  }
  ModelLimits limits;
  EXPECT_TRUE(load_model(path, limits.load()));
  limits.max_file_bytes = std::filesystem::file_size(path) - 1;
  auto r = load_model(path, limits.load());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, IoError::Kind::kTooLarge);
  EXPECT_NE(r.error().message.find("over the limit of " + std::to_string(limits.max_file_bytes)), std::string::npos)
      << r.error().message;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bb::ir
