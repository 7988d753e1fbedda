// What every ai.onnx kernel needs: attributes read at load (with ONNX's defaults),
// tensor inputs checked at dispatch, and dispatch over element types.
//
// A kernel's create() reads its attributes once; compute() checks its inputs' kinds,
// types and shapes and fails with a stable reason (`bad_input` for a value that is not
// a tensor, `type_mismatch`, `shape_mismatch`, `invalid_value`) and a detail naming the
// input and both shapes or types; the engine adds the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "../attributes.h"
#include "bb/ir/expected.h"
#include "bb/runtime/kernel.h"
#include "bb/runtime/tensor.h"

namespace bb::ops::onnx_ops {

using runtime::DType;
using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Shape;
using runtime::Tensor;
using runtime::Value;

// ---- Attributes (load time) ----------------------------------------------------------

inline Expected<float, std::string> float_attr(const onnx::NodeProto& node, std::string_view name, float fallback) {
  auto a = typed_attribute(node, name, onnx::AttributeProto::FLOAT);
  if (!a) return unexpected(a.error());
  return *a == nullptr ? fallback : (*a)->f();
}
inline Expected<std::int64_t, std::string> int_attr(const onnx::NodeProto& node, std::string_view name,
                                                    std::int64_t fallback) {
  auto a = int_attribute(node, name);
  if (!a) return unexpected(a.error());
  return a->value_or(fallback);
}
inline Expected<std::optional<std::vector<std::int64_t>>, std::string> ints_attr(const onnx::NodeProto& node,
                                                                                 std::string_view name) {
  auto a = typed_attribute(node, name, onnx::AttributeProto::INTS);
  if (!a) return unexpected(a.error());
  if (*a == nullptr) return std::optional<std::vector<std::int64_t>>{};
  return std::optional<std::vector<std::int64_t>>{std::vector<std::int64_t>((*a)->ints().begin(), (*a)->ints().end())};
}
inline Expected<std::optional<std::vector<float>>, std::string> floats_attr(const onnx::NodeProto& node,
                                                                           std::string_view name) {
  auto a = typed_attribute(node, name, onnx::AttributeProto::FLOATS);
  if (!a) return unexpected(a.error());
  if (*a == nullptr) return std::optional<std::vector<float>>{};
  return std::optional<std::vector<float>>{std::vector<float>((*a)->floats().begin(), (*a)->floats().end())};
}
// A view into the node, or `fallback` (a literal: it outlives the kernel); no copy.
inline Expected<std::string_view, std::string> string_attr(const onnx::NodeProto& node, std::string_view name,
                                                           std::string_view fallback) {
  auto a = string_attribute(node, name);
  if (!a) return unexpected(a.error());
  return a->value_or(fallback);
}

// ---- Inputs (dispatch time) ------------------------------------------------------------

// Input `i` as a tensor, or null with `error` set (bad_input).
inline const Tensor* tensor_in(const Invocation& inv, std::uint32_t i, OpResult& error) {
  if (i >= inv.input_count() || !inv.in(i).has_value()) {
    error = OpResult::fail(Reason::kBadInput, "input " + std::to_string(i) + " is missing");
    return nullptr;
  }
  const Value& v = inv.in(i);
  if (v.kind() != runtime::ValueKind::kTensor) {
    error = OpResult::fail(Reason::kBadInput,
                           "input " + std::to_string(i) + " must be a tensor, got " + std::string(to_string(v.kind())));
    return nullptr;
  }
  return &v.as_tensor();
}
// An optional input: null when absent ("" in the graph), without an error.
inline const Tensor* optional_tensor_in(const Invocation& inv, std::uint32_t i, OpResult& error) {
  if (i >= inv.input_count() || !inv.in(i).has_value()) return nullptr;
  return tensor_in(inv, i, error);
}

inline OpResult type_mismatch(std::string_view what, DType got) {
  return OpResult::fail(Reason::kTypeMismatch,
                        std::string(what) + " has element type " + runtime::to_string(got) + ", which this op does not take");
}
inline OpResult shape_mismatch(std::string detail) { return OpResult::fail(Reason::kShapeMismatch, std::move(detail)); }
inline OpResult invalid_value(std::string detail) { return OpResult::fail(Reason::kInvalidValue, std::move(detail)); }

// A normalized axis in [0, rank), or nullopt for one outside [-rank, rank).
inline std::optional<std::size_t> normalize_axis(std::int64_t axis, std::size_t rank) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

// Reads an int64 (or int32) tensor's elements: shape, axes, pads, indices given as inputs.
inline Expected<std::vector<std::int64_t>, std::string> int_values(const Tensor& t, std::string_view what) {
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(t.size()));
  if (t.dtype() == DType::kInt64) {
    for (auto v : t.values<std::int64_t>()) out.push_back(v);
  } else if (t.dtype() == DType::kInt32) {
    for (auto v : t.values<std::int32_t>()) out.push_back(v);
  } else {
    return unexpected(std::string(what) + " must be int64, got " + runtime::to_string(t.dtype()));
  }
  return out;
}

// ---- Element-type dispatch ------------------------------------------------------------

// Calls f(T{}) with T the C++ type of `type` among the listed kinds; false when the
// type is not among them. Use: `if (!dispatch_numeric(t.dtype(), [&](auto tag) {...}))`.
template <class F>
bool dispatch_float(DType type, F&& f) {
  switch (type) {
    case DType::kFloat: f(float{}); return true;
    case DType::kDouble: f(double{}); return true;
    default: return false;
  }
}
template <class F>
bool dispatch_signed(DType type, F&& f) {
  switch (type) {
    case DType::kFloat: f(float{}); return true;
    case DType::kDouble: f(double{}); return true;
    case DType::kInt8: f(std::int8_t{}); return true;
    case DType::kInt16: f(std::int16_t{}); return true;
    case DType::kInt32: f(std::int32_t{}); return true;
    case DType::kInt64: f(std::int64_t{}); return true;
    default: return false;
  }
}
template <class F>
bool dispatch_numeric(DType type, F&& f) {
  switch (type) {
    case DType::kUint8: f(std::uint8_t{}); return true;
    case DType::kUint16: f(std::uint16_t{}); return true;
    case DType::kUint32: f(std::uint32_t{}); return true;
    case DType::kUint64: f(std::uint64_t{}); return true;
    default: return dispatch_signed(type, std::forward<F>(f));
  }
}
template <class F>
bool dispatch_all(DType type, F&& f) {
  switch (type) {
    case DType::kBool: f(bool{}); return true;
    case DType::kString: f(std::string{}); return true;
    default: return dispatch_numeric(type, std::forward<F>(f));
  }
}

// Calls f(T{}) with the C++ type of a numeric or bool element type.
template <class F>
bool dispatch_number(DType type, F&& f) {
  if (type == DType::kBool) {
    f(bool{});
    return true;
  }
  return dispatch_numeric(type, std::forward<F>(f));
}

// ---- Type sets ------------------------------------------------------------------------

// Which element types a kernel computes on: a dispatch (`run`) and its names as
// docs/ops.md shows them (`kNames`, the third argument of a kernel's registration).
// "all" means every element type the runtime holds. tests/ops/type_sets_test.cc checks
// each kNames against what its `run` accepts, so the docs cannot drift from the code.
struct FloatTypes {
  static constexpr std::string_view kNames = "float, double";
  template <class F>
  static bool run(DType type, F&& f) {
    return dispatch_float(type, std::forward<F>(f));
  }
};
struct SignedTypes {
  static constexpr std::string_view kNames = "float, double, int8, int16, int32, int64";
  template <class F>
  static bool run(DType type, F&& f) {
    return dispatch_signed(type, std::forward<F>(f));
  }
};
struct NumericTypes {
  static constexpr std::string_view kNames =
      "float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64";
  template <class F>
  static bool run(DType type, F&& f) {
    return dispatch_numeric(type, std::forward<F>(f));
  }
};
// Numeric and bool.
struct NumberTypes {
  static constexpr std::string_view kNames =
      "float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool";
  template <class F>
  static bool run(DType type, F&& f) {
    return dispatch_number(type, std::forward<F>(f));
  }
};
// Numeric, bool and string (not float16/bfloat16, which are not held as C++ types).
struct ValueTypes {
  static constexpr std::string_view kNames =
      "float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, string";
  template <class F>
  static bool run(DType type, F&& f) {
    return dispatch_all(type, std::forward<F>(f));
  }
};
// Unsigned integers only (BitShift).
struct UnsignedTypes {
  static constexpr std::string_view kNames = "uint8, uint16, uint32, uint64";
  template <class F>
  static bool run(DType type, F&& f) {
    switch (type) {
      case DType::kUint8: f(std::uint8_t{}); return true;
      case DType::kUint16: f(std::uint16_t{}); return true;
      case DType::kUint32: f(std::uint32_t{}); return true;
      case DType::kUint64: f(std::uint64_t{}); return true;
      default: return false;
    }
  }
};
// The element types ONNX's MatMul and Gemm take that are held as C++ types.
struct MatMulTypes {
  static constexpr std::string_view kNames = "float, double, int32, int64, uint32, uint64";
  template <class F>
  static bool run(DType type, F&& f) {
    switch (type) {
      case DType::kInt32: f(std::int32_t{}); return true;
      case DType::kInt64: f(std::int64_t{}); return true;
      case DType::kUint32: f(std::uint32_t{}); return true;
      case DType::kUint64: f(std::uint64_t{}); return true;
      default: return dispatch_float(type, std::forward<F>(f));
    }
  }
};
// MaxPool's element types.
struct PoolTypes {
  static constexpr std::string_view kNames = "float, double, int8, uint8";
  template <class F>
  static bool run(DType type, F&& f) {
    switch (type) {
      case DType::kInt8: f(std::int8_t{}); return true;
      case DType::kUint8: f(std::uint8_t{}); return true;
      default: return dispatch_float(type, std::forward<F>(f));
    }
  }
};
// Kernels that move, cast or create elements of any type (elements.h's dispatch_storage).
struct AnyTypes {
  static constexpr std::string_view kNames = "all";
};
// Kernels of one element type.
struct OnlyFloat {
  static constexpr std::string_view kNames = "float";
};
struct OnlyBool {
  static constexpr std::string_view kNames = "bool";
};

}  // namespace bb::ops::onnx_ops
