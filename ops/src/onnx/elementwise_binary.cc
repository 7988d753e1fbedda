// ai.onnx element-wise math of two or more inputs with numpy broadcasting: Add Sub Mul
// Div Pow Mod BitShift, and the variadic Max Min Sum Mean. Both operands have one
// element type (Pow's exponent may differ); integer division and Mod by zero fail with
// invalid_value instead of trapping.
#include <cmath>
#include <limits>
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

std::string type_pair(const Tensor& a, const Tensor& b) {
  return runtime::to_string(a.dtype()) + " and " + runtime::to_string(b.dtype());
}

OpResult types_differ(const Tensor& a, const Tensor& b) {
  return OpResult::fail(Reason::kTypeMismatch, "inputs 0 and 1 have different element types (" + type_pair(a, b) + ")");
}

template <class T>
bool has_zero(const Tensor& t) {
  for (T v : t.values<T>())
    if (v == T{0}) return true;
  return false;
}

// ---- Two-input ops -------------------------------------------------------------------

struct AddOp {
  using Types = NumericTypes;
  static constexpr bool kIntegerDivisor = false;
  template <class T>
  T operator()(T a, T b) const {
    return static_cast<T>(a + b);
  }
};
struct SubOp {
  using Types = NumericTypes;
  static constexpr bool kIntegerDivisor = false;
  template <class T>
  T operator()(T a, T b) const {
    return static_cast<T>(a - b);
  }
};
struct MulOp {
  using Types = NumericTypes;
  static constexpr bool kIntegerDivisor = false;
  template <class T>
  T operator()(T a, T b) const {
    return static_cast<T>(a * b);
  }
};
// Integer division truncates towards zero (as C++ and ONNX Runtime do).
struct DivOp {
  using Types = NumericTypes;
  static constexpr bool kIntegerDivisor = true;
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_signed_v<T> && !std::is_floating_point_v<T>) {
      if (b == T{-1}) return static_cast<T>(T{0} - a);  // no trap on INT_MIN / -1
    }
    return static_cast<T>(a / b);
  }
};

// Mod: with fmod = 0 the result takes the divisor's sign (numpy's mod); with fmod = 1 the
// dividend's (C's fmod).
struct ModOp {
  using Types = NumericTypes;
  static constexpr bool kIntegerDivisor = true;
  bool fmod = false;
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (!fmod && r != T{0} && ((r < 0) != (b < 0))) r += b;
      return r;
    } else if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(a % b);
    } else {
      if (b == T{-1}) return T{0};
      T r = static_cast<T>(a % b);
      if (!fmod && r != T{0} && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    }
  }
};

// BitShift on unsigned integers; a shift by the width or more gives 0.
struct BitShiftOp {
  using Types = UnsignedTypes;
  static constexpr bool kIntegerDivisor = false;
  bool left = true;
  template <class T>
  T operator()(T a, T b) const {
    if (b >= std::numeric_limits<T>::digits) return T{0};
    return static_cast<T>(left ? a << b : a >> b);
  }
};

// NaN in either operand gives NaN, as numpy's maximum/minimum.
struct MaxOp {
  using Types = NumericTypes;
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a < b ? b : a;
  }
};
struct MinOp {
  using Types = NumericTypes;
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return b < a ? b : a;
  }
};

// out = op(a, b) for tensors of one type T (checked by the caller).
template <class T, class Op>
OpResult apply(const Tensor& a, const Tensor& b, const Op& op, Tensor& out) {
  auto made = binary<T, T, T>(a, b, a.dtype(), op);
  if (!made) return shape_mismatch("inputs 0 and 1: " + made.error());
  out = std::move(*made);
  return OpResult::ok();
}

template <class Op>
class Binary final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Binary>, std::string> create(const runtime::KernelInit& init) {
    auto op = parse(init.node);
    if (!op) return unexpected(std::move(op.error()));
    return std::make_unique<Binary>(*op);
  }
  explicit Binary(Op op) : op_(op) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* a = tensor_in(inv, 0, result);
    if (a == nullptr) return result;
    const Tensor* b = tensor_in(inv, 1, result);
    if (b == nullptr) return result;
    if (a->dtype() != b->dtype()) return types_differ(*a, *b);
    Tensor out;
    const bool known = Op::Types::run(a->dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (Op::kIntegerDivisor && !std::is_floating_point_v<T>) {
        if (has_zero<T>(*b)) {
          result = invalid_value("input 1 (the divisor) holds a zero, and integer division by zero is undefined");
          return;
        }
      }
      result = apply<T>(*a, *b, op_, out);
    });
    if (!known) return type_mismatch("input 0", a->dtype());
    if (result.status != runtime::Status::kOk) return result;
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  static Expected<Op, std::string> parse(const onnx::NodeProto& node) {
    Op op{};
    if constexpr (std::is_same_v<Op, ModOp>) {
      auto f = int_attr(node, "fmod", 0);
      if (!f) return unexpected(std::move(f.error()));
      if (*f != 0 && *f != 1) return unexpected("attribute 'fmod' = " + std::to_string(*f) + " is not 0 or 1");
      op.fmod = *f == 1;
    } else if constexpr (std::is_same_v<Op, BitShiftOp>) {
      auto d = string_attr(node, "direction", "");
      if (!d) return unexpected(std::move(d.error()));
      if (*d != "LEFT" && *d != "RIGHT")
        return unexpected("attribute 'direction' = '" + std::string(*d) + "' is not 'LEFT' or 'RIGHT'");
      op.left = *d == "LEFT";
    }
    return op;
  }

  Op op_;
};

const OpRegistrar kAdd{"", "Add", OpsetRange{7}, kCompute, &make_kernel<Binary<AddOp>>, NumericTypes::kNames};
const OpRegistrar kSub{"", "Sub", OpsetRange{7}, kCompute, &make_kernel<Binary<SubOp>>, NumericTypes::kNames};
const OpRegistrar kMul{"", "Mul", OpsetRange{7}, kCompute, &make_kernel<Binary<MulOp>>, NumericTypes::kNames};
const OpRegistrar kDiv{"", "Div", OpsetRange{7}, kCompute, &make_kernel<Binary<DivOp>>, NumericTypes::kNames};
const OpRegistrar kMod{"", "Mod", OpsetRange{10}, kCompute, &make_kernel<Binary<ModOp>>, NumericTypes::kNames};
const OpRegistrar kBitShift{"", "BitShift", OpsetRange{11}, kCompute, &make_kernel<Binary<BitShiftOp>>, UnsignedTypes::kNames};

// ---- Pow: the exponent may have another numeric type -----------------------------------

class Pow final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Pow>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Pow>();
  }

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    const Tensor* e = tensor_in(inv, 1, result);
    if (e == nullptr) return result;
    Tensor out;
    bool exponent_known = true;
    const bool base_known = dispatch_signed(x->dtype(), [&](auto base) {
      using B = decltype(base);
      exponent_known = dispatch_numeric(e->dtype(), [&](auto exponent) {
        using E = decltype(exponent);
        auto made = binary<B, B, E>(*x, *e, x->dtype(), [](B a, E b) {
          if constexpr (std::is_same_v<B, float> && std::is_same_v<E, float>) {
            return std::pow(a, b);
          } else {
            return static_cast<B>(std::pow(static_cast<double>(a), static_cast<double>(b)));
          }
        });
        if (!made) {
          result = shape_mismatch("inputs 0 and 1: " + made.error());
          return;
        }
        out = std::move(*made);
      });
    });
    if (!base_known) return type_mismatch("input 0 (the base)", x->dtype());
    if (!exponent_known) return type_mismatch("input 1 (the exponent)", e->dtype());
    if (result.status != runtime::Status::kOk) return result;
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

const OpRegistrar kPow{"", "Pow", OpsetRange{7}, kCompute, &make_kernel<Pow>, SignedTypes::kNames};

// ---- Variadic: Max Min Sum Mean fold their inputs pairwise, broadcasting ----------------

enum class Fold { kMax, kMin, kSum, kMean };

template <Fold kFold>
class Variadic final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Variadic>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Variadic>();
  }

  OpResult compute(Invocation& inv) override {
    OpResult result;
    if (inv.input_count() == 0) return invalid_value("needs at least one input");
    const Tensor* first = tensor_in(inv, 0, result);
    if (first == nullptr) return result;
    Tensor acc = *first;  // shares the buffer; every fold step writes a new one
    for (std::uint32_t i = 1; i < inv.input_count(); ++i) {
      const Tensor* next = tensor_in(inv, i, result);
      if (next == nullptr) return result;
      if (next->dtype() != first->dtype())
        return OpResult::fail(Reason::kTypeMismatch, "input " + std::to_string(i) + " has element type " +
                                                         runtime::to_string(next->dtype()) + ", input 0 " +
                                                         runtime::to_string(first->dtype()));
      const bool known = dispatch(first->dtype(), [&](auto tag) {
        using T = decltype(tag);
        auto made = binary<T, T, T>(acc, *next, acc.dtype(), [](T a, T b) { return combine(a, b); });
        if (!made) {
          result = shape_mismatch("input " + std::to_string(i) + ": " + made.error());
          return;
        }
        acc = std::move(*made);
      });
      if (!known) return type_mismatch("input 0", first->dtype());
      if (result.status != runtime::Status::kOk) return result;
    }
    if constexpr (kFold == Fold::kMean) {
      if (inv.input_count() > 1) {
        dispatch(acc.dtype(), [&](auto tag) {
          using T = decltype(tag);
          T* y = acc.mutable_data<T>();  // freshly allocated by the last fold step
          const T n = static_cast<T>(inv.input_count());
          for (std::int64_t k = 0; k < acc.size(); ++k) y[k] = static_cast<T>(y[k] / n);
        });
      }
    }
    if (inv.input_count() == 1 && !dispatch(first->dtype(), [](auto) {})) return type_mismatch("input 0", first->dtype());
    inv.out(0) = Value::tensor(std::move(acc));
    return OpResult::ok();
  }

 private:
  template <class F>
  static bool dispatch(DType type, F&& f) {
    if constexpr (kFold == Fold::kMax || kFold == Fold::kMin) {
      return dispatch_numeric(type, std::forward<F>(f));
    } else {
      return dispatch_float(type, std::forward<F>(f));
    }
  }
  template <class T>
  static T combine(T a, T b) {
    if constexpr (kFold == Fold::kMax) return MaxOp{}(a, b);
    if constexpr (kFold == Fold::kMin) return MinOp{}(a, b);
    return static_cast<T>(a + b);
  }
};

const OpRegistrar kMax{"", "Max", OpsetRange{8}, kCompute, &make_kernel<Variadic<Fold::kMax>>, NumericTypes::kNames};
const OpRegistrar kMin{"", "Min", OpsetRange{8}, kCompute, &make_kernel<Variadic<Fold::kMin>>, NumericTypes::kNames};
const OpRegistrar kSum{"", "Sum", OpsetRange{8}, kCompute, &make_kernel<Variadic<Fold::kSum>>, FloatTypes::kNames};
const OpRegistrar kMean{"", "Mean", OpsetRange{8}, kCompute, &make_kernel<Variadic<Fold::kMean>>, FloatTypes::kNames};

// ---- Clip: bounds as attributes (≤ 10) or as optional scalar inputs (≥ 11) -------------

class Clip final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Clip>, std::string> create_attrs(const runtime::KernelInit& init) {
    auto lo = float_attr(init.node, "min", std::numeric_limits<float>::lowest());
    if (!lo) return unexpected(std::move(lo.error()));
    auto hi = float_attr(init.node, "max", std::numeric_limits<float>::max());
    if (!hi) return unexpected(std::move(hi.error()));
    return std::make_unique<Clip>(true, *lo, *hi);
  }
  static Expected<std::unique_ptr<Clip>, std::string> create_inputs(const runtime::KernelInit&) {
    return std::make_unique<Clip>(false, 0.0f, 0.0f);
  }
  Clip(bool from_attrs, float lo, float hi) : from_attrs_(from_attrs), lo_(lo), hi_(hi) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    Tensor out;
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (from_attrs_) {
        if constexpr (std::is_floating_point_v<T>) {
          lo = static_cast<T>(lo_);
          hi = static_cast<T>(hi_);
        }
      } else {
        if (!bound(inv, 1, *x, lo, result) || !bound(inv, 2, *x, hi, result)) return;
      }
      out = Tensor::allocate(x->dtype(), x->shape());
      const T* in = x->data<T>();
      T* y = out.mutable_data<T>();
      for (std::int64_t i = 0; i < x->size(); ++i) {
        const T v = in[i] < lo ? lo : in[i];
        y[i] = v > hi ? hi : v;
      }
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    if (result.status != runtime::Status::kOk) return result;
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // Reads optional scalar input `i` into `value` (kept when the input is absent).
  template <class T>
  static bool bound(const Invocation& inv, std::uint32_t i, const Tensor& x, T& value, OpResult& result) {
    const Tensor* t = optional_tensor_in(inv, i, result);
    if (t == nullptr) return result.status == runtime::Status::kOk;
    if (t->dtype() != x.dtype()) {
      result = OpResult::fail(Reason::kTypeMismatch, "input " + std::to_string(i) + " has element type " +
                                                         runtime::to_string(t->dtype()) + ", input 0 " +
                                                         runtime::to_string(x.dtype()));
      return false;
    }
    if (t->size() != 1) {
      result = shape_mismatch("input " + std::to_string(i) + " must be a scalar, got shape " +
                              runtime::shape_text(t->shape()));
      return false;
    }
    value = t->data<T>()[0];
    return true;
  }

  bool from_attrs_;
  float lo_, hi_;
};

Expected<std::unique_ptr<runtime::Kernel>, std::string> make_clip_attrs(const runtime::KernelInit& init) {
  auto k = Clip::create_attrs(init);
  if (!k) return unexpected(std::move(k.error()));
  return std::unique_ptr<runtime::Kernel>(std::move(*k));
}
Expected<std::unique_ptr<runtime::Kernel>, std::string> make_clip_inputs(const runtime::KernelInit& init) {
  auto k = Clip::create_inputs(init);
  if (!k) return unexpected(std::move(k.error()));
  return std::unique_ptr<runtime::Kernel>(std::move(*k));
}

const OpRegistrar kClip6{"", "Clip", OpsetRange{6, 10}, kCompute, &make_clip_attrs, NumericTypes::kNames};
const OpRegistrar kClip11{"", "Clip", OpsetRange{11}, kCompute, &make_clip_inputs, NumericTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
