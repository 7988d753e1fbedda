#include "type_inference.h"

#include <exception>
#include <unordered_map>

#include <onnx/shape_inference/implementation.h>

#include "bb/runtime/registry.h"

namespace bb::runtime {

std::optional<std::string> infer_types(onnx::GraphProto& graph, const onnx::ModelProto& model) {
  std::unordered_map<std::string, int> opsets;
  for (const auto& import : model.opset_import())
    opsets[std::string(canonical_domain(import.domain()))] = static_cast<int>(import.version());
  // Model-local functions are not handed over: libonnx follows a function that calls
  // itself until the stack runs out. Their calls are expanded before the types that
  // matter are inferred.
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*enable_data_propagation=*/true);
    onnx::shape_inference::InferShapes(&graph, opsets, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

bool UntypedNodeTrials::types_something(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute())
    if (attr.type() == onnx::AttributeProto::GRAPH || attr.type() == onnx::AttributeProto::GRAPHS) return true;
  // The kind: domain, op type, which inputs and outputs are present, and the attributes.
  key_.assign(node.domain());
  key_ += '\0';
  key_ += node.op_type();
  key_ += '\0';
  for (const auto& in : node.input()) key_ += in.empty() ? '0' : '1';
  key_ += '|';
  for (const auto& out : node.output()) key_ += out.empty() ? '0' : '1';
  for (const auto& attr : node.attribute()) {
    const std::string bytes = attr.SerializeAsString();
    key_ += '|';
    key_ += std::to_string(bytes.size());
    key_ += ':';
    key_ += bytes;
  }
  if (auto it = tried_.find(key_); it != tried_.end()) return it->second;
  if (tried_.size() >= kMaxKinds) return true;
  onnx::GraphProto alone;
  *alone.add_node() = node;
  const bool failed = infer_types(alone, model_).has_value();
  const bool typed = failed || alone.value_info_size() > 0;
  tried_.emplace(key_, typed);
  return typed;
}

std::optional<UntypedNodeTrials::PlainKind> UntypedNodeTrials::plain_kind(const onnx::NodeProto& node,
                                                                          const void* op) {
  constexpr int kBits = 64;
  if (node.attribute_size() > 0 || node.input_size() > kBits || node.output_size() > kBits) return std::nullopt;
  PlainKind kind{op, 0, 0, node.input_size(), node.output_size()};
  for (int k = 0; k < node.input_size(); ++k)
    if (!node.input(k).empty()) kind.inputs |= std::uint64_t{1} << k;
  for (int k = 0; k < node.output_size(); ++k)
    if (!node.output(k).empty()) kind.outputs |= std::uint64_t{1} << k;
  return kind;
}

bool UntypedNodeTrials::types_something(std::uint32_t kind, const onnx::NodeProto& node) {
  if (kind >= by_plain_kind_.size()) by_plain_kind_.resize(kind + 1, -1);
  if (by_plain_kind_[kind] < 0) by_plain_kind_[kind] = types_something(node) ? 1 : 0;
  return by_plain_kind_[kind] == 1;
}

TensorInfo info_of(const onnx::TypeProto& type) {
  TensorInfo info;
  if (!type.has_tensor_type()) return info;
  const auto& t = type.tensor_type();
  if (is_supported(t.elem_type())) info.type = static_cast<DType>(t.elem_type());
  if (!t.has_shape()) return info;
  info.has_shape = true;
  for (const auto& d : t.shape().dim()) info.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  return info;
}

TensorInfo info_of(const onnx::TensorProto& initializer) {
  TensorInfo info;
  if (is_supported(initializer.data_type())) info.type = static_cast<DType>(initializer.data_type());
  info.has_shape = true;
  for (const auto d : initializer.dims()) info.dims.push_back(d >= 0 ? d : -1);
  return info;
}

}  // namespace bb::runtime
