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
