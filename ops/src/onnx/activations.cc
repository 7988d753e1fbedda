// ai.onnx activations: Relu Sigmoid Tanh LeakyRelu Elu Selu Celu HardSigmoid HardSwish
// Softplus Softsign ThresholdedRelu Shrink (one input, attributes read at load) and
// PRelu (a slope broadcast to the input). Celu and HardSwish are also ONNX function
// ops; these kernels win over their bodies.
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>

#include "bb/runtime/registry.h"
#include "broadcast.h"
#include "kernel_util.h"
#include "unary.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
using runtime::make_kernel;
constexpr auto kCompute = ir::OpKind::kCompute;

// Reads float attribute `name` (default `fallback`) into `out`; false with `error` set.
bool read_float(const onnx::NodeProto& node, std::string_view name, float fallback, float& out, std::string& error) {
  auto v = float_attr(node, name, fallback);
  if (!v) {
    error = std::move(v.error());
    return false;
  }
  out = *v;
  return true;
}

struct ReluOp {
  using Types = SignedTypes;
  static Expected<ReluOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<ReluOp>(n); }
  template <class T>
  T operator()(T x) const {
    return x > T{0} ? x : T{0};
  }
};
struct SigmoidOp {
  using Types = FloatTypes;
  static Expected<SigmoidOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<SigmoidOp>(n); }
  template <class T>
  T operator()(T x) const {
    // Stable on both sides: exp of a non-positive number only.
    if (x >= T{0}) return T{1} / (T{1} + std::exp(-x));
    const T e = std::exp(x);
    return e / (T{1} + e);
  }
};
struct TanhOp {
  using Types = FloatTypes;
  static Expected<TanhOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<TanhOp>(n); }
  template <class T>
  T operator()(T x) const {
    return std::tanh(x);
  }
};
struct SoftplusOp {
  using Types = FloatTypes;
  static Expected<SoftplusOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<SoftplusOp>(n); }
  template <class T>
  T operator()(T x) const {
    // log(1 + e^x) without overflow for large x.
    return x > T{0} ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
};
struct SoftsignOp {
  using Types = FloatTypes;
  static Expected<SoftsignOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<SoftsignOp>(n); }
  template <class T>
  T operator()(T x) const {
    return x / (T{1} + std::abs(x));
  }
};
struct HardSwishOp {
  using Types = FloatTypes;
  static Expected<HardSwishOp, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<HardSwishOp>(n); }
  template <class T>
  T operator()(T x) const {
    const T h = x / T{6} + T{0.5};
    return x * (h < T{0} ? T{0} : (h > T{1} ? T{1} : h));
  }
};

// Ops with one float attribute `alpha` (LeakyRelu, Elu, Celu, ThresholdedRelu).
template <class Derived>
struct AlphaOp {
  using Types = FloatTypes;
  float alpha = 0.0f;
  static Expected<Derived, std::string> parse(const onnx::NodeProto& node) {
    Derived op;
    std::string error;
    if (!read_float(node, "alpha", Derived::kDefaultAlpha, op.alpha, error)) return unexpected(std::move(error));
    return op;
  }
};
struct LeakyReluOp : AlphaOp<LeakyReluOp> {
  static constexpr float kDefaultAlpha = 0.01f;
  template <class T>
  T operator()(T x) const {
    return x >= T{0} ? x : static_cast<T>(alpha) * x;
  }
};
struct EluOp : AlphaOp<EluOp> {
  static constexpr float kDefaultAlpha = 1.0f;
  template <class T>
  T operator()(T x) const {
    return x >= T{0} ? x : static_cast<T>(alpha) * std::expm1(x);
  }
};
struct CeluOp : AlphaOp<CeluOp> {
  static constexpr float kDefaultAlpha = 1.0f;
  template <class T>
  T operator()(T x) const {
    const T a = static_cast<T>(alpha);
    return x >= T{0} ? x : a * std::expm1(x / a);
  }
};
struct ThresholdedReluOp : AlphaOp<ThresholdedReluOp> {
  static constexpr float kDefaultAlpha = 1.0f;
  template <class T>
  T operator()(T x) const {
    return x > static_cast<T>(alpha) ? x : T{0};
  }
};

struct SeluOp {
  using Types = FloatTypes;
  float alpha = 0.0f, gamma = 0.0f;
  static Expected<SeluOp, std::string> parse(const onnx::NodeProto& node) {
    SeluOp op;
    std::string error;
    if (!read_float(node, "alpha", 1.67326319217681884765625f, op.alpha, error) ||
        !read_float(node, "gamma", 1.05070102214813232421875f, op.gamma, error))
      return unexpected(std::move(error));
    return op;
  }
  template <class T>
  T operator()(T x) const {
    const T g = static_cast<T>(gamma);
    return x > T{0} ? g * x : g * static_cast<T>(alpha) * std::expm1(x);
  }
};
struct HardSigmoidOp {
  using Types = FloatTypes;
  float alpha = 0.0f, beta = 0.0f;
  static Expected<HardSigmoidOp, std::string> parse(const onnx::NodeProto& node) {
    HardSigmoidOp op;
    std::string error;
    if (!read_float(node, "alpha", 0.2f, op.alpha, error) || !read_float(node, "beta", 0.5f, op.beta, error))
      return unexpected(std::move(error));
    return op;
  }
  template <class T>
  T operator()(T x) const {
    const T v = static_cast<T>(alpha) * x + static_cast<T>(beta);
    return v < T{0} ? T{0} : (v > T{1} ? T{1} : v);
  }
};
// Shrink: x - bias above lambd, x + bias below -lambd, 0 between.
struct ShrinkOp {
  using Types = NumericTypes;
  float bias = 0.0f, lambd = 0.0f;
  static Expected<ShrinkOp, std::string> parse(const onnx::NodeProto& node) {
    ShrinkOp op;
    std::string error;
    if (!read_float(node, "bias", 0.0f, op.bias, error) || !read_float(node, "lambd", 0.5f, op.lambd, error))
      return unexpected(std::move(error));
    return op;
  }
  template <class T>
  T operator()(T x) const {
    const double v = static_cast<double>(x);
    if (v < -lambd) return static_cast<T>(v + bias);
    if (v > lambd) return static_cast<T>(v - bias);
    return T{0};
  }
};

const OpRegistrar kRelu{"", "Relu", OpsetRange{6}, kCompute, &make_kernel<Map<ReluOp>>, SignedTypes::kNames};
const OpRegistrar kSigmoid{"", "Sigmoid", OpsetRange{6}, kCompute, &make_kernel<Map<SigmoidOp>>, FloatTypes::kNames};
const OpRegistrar kTanh{"", "Tanh", OpsetRange{6}, kCompute, &make_kernel<Map<TanhOp>>, FloatTypes::kNames};
const OpRegistrar kSoftplus{"", "Softplus", OpsetRange{1}, kCompute, &make_kernel<Map<SoftplusOp>>, FloatTypes::kNames};
const OpRegistrar kSoftsign{"", "Softsign", OpsetRange{1}, kCompute, &make_kernel<Map<SoftsignOp>>, FloatTypes::kNames};
const OpRegistrar kHardSwish{"", "HardSwish", OpsetRange{14}, kCompute, &make_kernel<Map<HardSwishOp>>, FloatTypes::kNames};
const OpRegistrar kLeakyRelu{"", "LeakyRelu", OpsetRange{6}, kCompute, &make_kernel<Map<LeakyReluOp>>, FloatTypes::kNames};
const OpRegistrar kElu{"", "Elu", OpsetRange{6}, kCompute, &make_kernel<Map<EluOp>>, FloatTypes::kNames};
const OpRegistrar kCelu{"", "Celu", OpsetRange{12}, kCompute, &make_kernel<Map<CeluOp>>, FloatTypes::kNames};
const OpRegistrar kThresholdedRelu{"", "ThresholdedRelu", OpsetRange{10}, kCompute,
                                   &make_kernel<Map<ThresholdedReluOp>>, FloatTypes::kNames};
const OpRegistrar kSelu{"", "Selu", OpsetRange{6}, kCompute, &make_kernel<Map<SeluOp>>, FloatTypes::kNames};
const OpRegistrar kHardSigmoid{"", "HardSigmoid", OpsetRange{6}, kCompute, &make_kernel<Map<HardSigmoidOp>>, FloatTypes::kNames};
const OpRegistrar kShrink{"", "Shrink", OpsetRange{9}, kCompute, &make_kernel<Map<ShrinkOp>>, NumericTypes::kNames};

// PRelu: y = x < 0 ? slope · x : x, the slope broadcast to x (unidirectionally).
class PRelu final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<PRelu>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<PRelu>();
  }

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    const Tensor* slope = tensor_in(inv, 1, result);
    if (slope == nullptr) return result;
    if (x->dtype() != slope->dtype())
      return OpResult::fail(Reason::kTypeMismatch, "input slope has element type " +
                                                       runtime::to_string(slope->dtype()) + ", input X " +
                                                       runtime::to_string(x->dtype()));
    auto joint = broadcast_shapes(x->shape(), slope->shape());
    if (!joint || *joint != x->shape())
      return shape_mismatch("input slope of shape " + runtime::shape_text(slope->shape()) +
                            " does not broadcast to input X of shape " + runtime::shape_text(x->shape()));
    Tensor out;
    const bool known = dispatch_signed(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      auto made = binary<T, T, T>(*x, *slope, x->dtype(), [](T v, T s) { return v < T{0} ? static_cast<T>(s * v) : v; });
      if (made) out = std::move(*made);
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

const OpRegistrar kPRelu{"", "PRelu", OpsetRange{7}, kCompute, &make_kernel<PRelu>, SignedTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
