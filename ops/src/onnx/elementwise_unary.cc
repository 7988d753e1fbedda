// ai.onnx element-wise math of one input: Neg Abs Sqrt Exp Log Reciprocal Floor Ceil
// Sign Round Erf, the trigonometric and hyperbolic functions, and the IsNaN / IsInf
// predicates. Each op is registered from the opset where its current signature begins
// (later versions only added element types).
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "bb/runtime/registry.h"
#include "kernel_util.h"
#include "unary.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
using runtime::make_kernel;
constexpr auto kCompute = ir::OpKind::kCompute;

// Applies a floating-point function to any element type (integers through double).
template <class T, class F>
T via_double(T x, F f) {
  if constexpr (std::is_floating_point_v<T>) {
    return f(x);
  } else {
    return static_cast<T>(f(static_cast<double>(x)));
  }
}

#define BB_UNARY_OP(Name, TypesTag, expr)                                              \
  struct Name {                                                                        \
    using Types = TypesTag;                                                            \
    static Expected<Name, std::string> parse(const onnx::NodeProto& n) { return parse_nothing<Name>(n); } \
    template <class T>                                                                 \
    T operator()(T x) const {                                                          \
      return expr;                                                                     \
    }                                                                                  \
  };

BB_UNARY_OP(NegOp, SignedTypes, static_cast<T>(-x))
BB_UNARY_OP(AbsOp, NumericTypes, std::is_unsigned_v<T> ? x : static_cast<T>(x < T{0} ? -x : x))
BB_UNARY_OP(SqrtOp, FloatTypes, std::sqrt(x))
BB_UNARY_OP(ExpOp, FloatTypes, std::exp(x))
BB_UNARY_OP(LogOp, FloatTypes, std::log(x))
BB_UNARY_OP(ReciprocalOp, FloatTypes, T{1} / x)
BB_UNARY_OP(FloorOp, FloatTypes, std::floor(x))
BB_UNARY_OP(CeilOp, FloatTypes, std::ceil(x))
// Round half to even, as numpy: nearbyint under the default rounding mode.
BB_UNARY_OP(RoundOp, FloatTypes, std::nearbyint(x))
BB_UNARY_OP(SignOp, NumericTypes, static_cast<T>((T{0} < x) - (x < T{0})))
BB_UNARY_OP(ErfOp, NumericTypes, via_double(x, [](auto v) { return std::erf(v); }))
BB_UNARY_OP(SinOp, FloatTypes, std::sin(x))
BB_UNARY_OP(CosOp, FloatTypes, std::cos(x))
BB_UNARY_OP(TanOp, FloatTypes, std::tan(x))
BB_UNARY_OP(AsinOp, FloatTypes, std::asin(x))
BB_UNARY_OP(AcosOp, FloatTypes, std::acos(x))
BB_UNARY_OP(AtanOp, FloatTypes, std::atan(x))
BB_UNARY_OP(SinhOp, FloatTypes, std::sinh(x))
BB_UNARY_OP(CoshOp, FloatTypes, std::cosh(x))
BB_UNARY_OP(AsinhOp, FloatTypes, std::asinh(x))
BB_UNARY_OP(AcoshOp, FloatTypes, std::acosh(x))
BB_UNARY_OP(AtanhOp, FloatTypes, std::atanh(x))

#undef BB_UNARY_OP

const OpRegistrar kNeg{"", "Neg", OpsetRange{6}, kCompute, &make_kernel<Map<NegOp>>, SignedTypes::kNames};
const OpRegistrar kAbs{"", "Abs", OpsetRange{6}, kCompute, &make_kernel<Map<AbsOp>>, NumericTypes::kNames};
const OpRegistrar kSqrt{"", "Sqrt", OpsetRange{6}, kCompute, &make_kernel<Map<SqrtOp>>, FloatTypes::kNames};
const OpRegistrar kExp{"", "Exp", OpsetRange{6}, kCompute, &make_kernel<Map<ExpOp>>, FloatTypes::kNames};
const OpRegistrar kLog{"", "Log", OpsetRange{6}, kCompute, &make_kernel<Map<LogOp>>, FloatTypes::kNames};
const OpRegistrar kReciprocal{"", "Reciprocal", OpsetRange{6}, kCompute, &make_kernel<Map<ReciprocalOp>>, FloatTypes::kNames};
const OpRegistrar kFloor{"", "Floor", OpsetRange{6}, kCompute, &make_kernel<Map<FloorOp>>, FloatTypes::kNames};
const OpRegistrar kCeil{"", "Ceil", OpsetRange{6}, kCompute, &make_kernel<Map<CeilOp>>, FloatTypes::kNames};
const OpRegistrar kRound{"", "Round", OpsetRange{11}, kCompute, &make_kernel<Map<RoundOp>>, FloatTypes::kNames};
const OpRegistrar kSign{"", "Sign", OpsetRange{9}, kCompute, &make_kernel<Map<SignOp>>, NumericTypes::kNames};
const OpRegistrar kErf{"", "Erf", OpsetRange{9}, kCompute, &make_kernel<Map<ErfOp>>, NumericTypes::kNames};
const OpRegistrar kSin{"", "Sin", OpsetRange{7}, kCompute, &make_kernel<Map<SinOp>>, FloatTypes::kNames};
const OpRegistrar kCos{"", "Cos", OpsetRange{7}, kCompute, &make_kernel<Map<CosOp>>, FloatTypes::kNames};
const OpRegistrar kTan{"", "Tan", OpsetRange{7}, kCompute, &make_kernel<Map<TanOp>>, FloatTypes::kNames};
const OpRegistrar kAsin{"", "Asin", OpsetRange{7}, kCompute, &make_kernel<Map<AsinOp>>, FloatTypes::kNames};
const OpRegistrar kAcos{"", "Acos", OpsetRange{7}, kCompute, &make_kernel<Map<AcosOp>>, FloatTypes::kNames};
const OpRegistrar kAtan{"", "Atan", OpsetRange{7}, kCompute, &make_kernel<Map<AtanOp>>, FloatTypes::kNames};
const OpRegistrar kSinh{"", "Sinh", OpsetRange{9}, kCompute, &make_kernel<Map<SinhOp>>, FloatTypes::kNames};
const OpRegistrar kCosh{"", "Cosh", OpsetRange{9}, kCompute, &make_kernel<Map<CoshOp>>, FloatTypes::kNames};
const OpRegistrar kAsinh{"", "Asinh", OpsetRange{9}, kCompute, &make_kernel<Map<AsinhOp>>, FloatTypes::kNames};
const OpRegistrar kAcosh{"", "Acosh", OpsetRange{9}, kCompute, &make_kernel<Map<AcoshOp>>, FloatTypes::kNames};
const OpRegistrar kAtanh{"", "Atanh", OpsetRange{9}, kCompute, &make_kernel<Map<AtanhOp>>, FloatTypes::kNames};

// IsNaN and IsInf: a float tensor in, a bool tensor of the same shape out.
class Classify final : public runtime::Kernel {
 public:
  enum class Test { kNaN, kInf };
  Classify(Test test, bool positive, bool negative) : test_(test), positive_(positive), negative_(negative) {}

  static Expected<std::unique_ptr<Classify>, std::string> create_isnan(const runtime::KernelInit&) {
    return std::make_unique<Classify>(Test::kNaN, false, false);
  }
  static Expected<std::unique_ptr<Classify>, std::string> create_isinf(const runtime::KernelInit& init) {
    auto pos = int_attr(init.node, "detect_positive", 1);
    if (!pos) return unexpected(std::move(pos.error()));
    auto neg = int_attr(init.node, "detect_negative", 1);
    if (!neg) return unexpected(std::move(neg.error()));
    return std::make_unique<Classify>(Test::kInf, *pos != 0, *neg != 0);
  }

  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    Tensor out = Tensor::allocate(DType::kBool, x->shape());
    bool* y = out.mutable_data<bool>();
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* in = x->data<T>();
      for (std::int64_t i = 0; i < x->size(); ++i) y[i] = test(in[i]);
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  template <class T>
  bool test(T v) const {
    if (test_ == Test::kNaN) return std::isnan(v);
    return std::isinf(v) && (v > 0 ? positive_ : negative_);
  }

  Test test_;
  bool positive_, negative_;
};

Expected<std::unique_ptr<runtime::Kernel>, std::string> make_isnan(const runtime::KernelInit& init) {
  auto k = Classify::create_isnan(init);
  if (!k) return unexpected(std::move(k.error()));
  return std::unique_ptr<runtime::Kernel>(std::move(*k));
}
Expected<std::unique_ptr<runtime::Kernel>, std::string> make_isinf(const runtime::KernelInit& init) {
  auto k = Classify::create_isinf(init);
  if (!k) return unexpected(std::move(k.error()));
  return std::unique_ptr<runtime::Kernel>(std::move(*k));
}

const OpRegistrar kIsNaN{"", "IsNaN", OpsetRange{9}, kCompute, &make_isnan, FloatTypes::kNames};
const OpRegistrar kIsInf{"", "IsInf", OpsetRange{10}, kCompute, &make_isinf, FloatTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
