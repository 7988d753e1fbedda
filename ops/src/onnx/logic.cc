// ai.onnx comparison and logic: Equal Greater Less GreaterOrEqual LessOrEqual (numeric,
// Equal also bool), Not And Or Xor (bool), Where (three-way broadcast), all with
// numpy broadcasting. Opset 7 is the first version with multidirectional broadcasting
// (earlier ones had a `broadcast` attribute), so the binary ops register from 7.
#include <functional>
#include <memory>
#include <string>

#include "bb/runtime/registry.h"
#include "broadcast.h"
#include "elements.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::Kernel;
using runtime::KernelInit;

// Both inputs present, tensors, of the same element type.
OpResult two_inputs(const Invocation& inv, const Tensor*& a, const Tensor*& b) {
  OpResult error;
  a = tensor_in(inv, 0, error);
  if (a == nullptr) return error;
  b = tensor_in(inv, 1, error);
  if (b == nullptr) return error;
  if (a->dtype() != b->dtype())
    return OpResult::fail(Reason::kTypeMismatch, "inputs A and B have element types " + runtime::to_string(a->dtype()) +
                                                     " and " + runtime::to_string(b->dtype()) + "; they must match");
  return OpResult::ok();
}

OpResult set_or_fail(Invocation& inv, Expected<Tensor, std::string> out) {
  if (!out) return shape_mismatch("inputs A and B: " + out.error());
  inv.out(0) = Value::tensor(std::move(*out));
  return OpResult::ok();
}

// A comparison: bool output, numeric inputs (Equal also takes bool).
template <class Cmp, bool kTakesBool>
class Compare final : public Kernel {
 public:
  static Expected<std::unique_ptr<Compare>, std::string> create(const KernelInit&) {
    return std::make_unique<Compare>();
  }
  OpResult compute(Invocation& inv) override {
    const Tensor *a = nullptr, *b = nullptr;
    if (OpResult r = two_inputs(inv, a, b); r.status != runtime::Status::kOk) return r;
    Expected<Tensor, std::string> out = unexpected(std::string());
    auto run = [&](auto tag) {
      using T = decltype(tag);
      out = binary<bool, T, T>(*a, *b, DType::kBool, [](T x, T y) { return Cmp{}(x, y); });
    };
    bool known = dispatch_numeric(a->dtype(), run);
    if (!known && kTakesBool && a->dtype() == DType::kBool) {
      run(bool{});
      known = true;
    }
    if (!known) return type_mismatch("input A", a->dtype());
    return set_or_fail(inv, std::move(out));
  }
};

// A logical op on bool tensors.
template <class Op>
class Logical final : public Kernel {
 public:
  static Expected<std::unique_ptr<Logical>, std::string> create(const KernelInit&) {
    return std::make_unique<Logical>();
  }
  OpResult compute(Invocation& inv) override {
    const Tensor *a = nullptr, *b = nullptr;
    if (OpResult r = two_inputs(inv, a, b); r.status != runtime::Status::kOk) return r;
    if (a->dtype() != DType::kBool) return type_mismatch("input A", a->dtype());
    return set_or_fail(inv, binary<bool, bool, bool>(*a, *b, DType::kBool, [](bool x, bool y) { return Op{}(x, y); }));
  }
};

struct LogicalXor {
  bool operator()(bool x, bool y) const { return x != y; }
};

class Not final : public Kernel {
 public:
  static Expected<std::unique_ptr<Not>, std::string> create(const KernelInit&) { return std::make_unique<Not>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (x->dtype() != DType::kBool) return type_mismatch("input X", x->dtype());
    Tensor out = Tensor::allocate(DType::kBool, x->shape());
    const bool* in = x->data<bool>();
    bool* y = out.mutable_data<bool>();
    for (std::int64_t i = 0; i < x->size(); ++i) y[i] = !in[i];
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

// Where(condition, X, Y): X where condition holds, else Y, over the broadcast of all three.
class Where final : public Kernel {
 public:
  static Expected<std::unique_ptr<Where>, std::string> create(const KernelInit&) { return std::make_unique<Where>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* c = tensor_in(inv, 0, error);
    if (c == nullptr) return error;
    const Tensor *x = nullptr, *y = nullptr;
    if (OpResult r = xy(inv, x, y); r.status != runtime::Status::kOk) return r;
    if (c->dtype() != DType::kBool) return type_mismatch("input condition", c->dtype());
    auto shape = broadcast_shapes(c->shape(), x->shape(), y->shape());
    if (!shape) return shape_mismatch("inputs condition, X and Y: " + shape.error());
    Tensor out = Tensor::allocate(x->dtype(), *shape);
    const Shape sc = broadcast_strides(c->shape(), *shape), sx = broadcast_strides(x->shape(), *shape),
                sy = broadcast_strides(y->shape(), *shape);
    const bool* cond = c->data<bool>();
    const bool known = dispatch_storage(x->dtype(), [&](auto tag) {
      using S = decltype(tag);
      const S* a = storage<S>(*x);
      const S* b = storage<S>(*y);
      S* o = mutable_storage<S>(out);
      for_each_broadcast(*shape, sc, sx, sy, [&](std::int64_t i, std::int64_t ic, std::int64_t ix, std::int64_t iy) {
        o[i] = cond[ic] ? a[ix] : b[iy];
      });
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  static OpResult xy(const Invocation& inv, const Tensor*& x, const Tensor*& y) {
    OpResult error;
    x = tensor_in(inv, 1, error);
    if (x == nullptr) return error;
    y = tensor_in(inv, 2, error);
    if (y == nullptr) return error;
    if (x->dtype() != y->dtype())
      return OpResult::fail(Reason::kTypeMismatch, "inputs X and Y have element types " +
                                                       runtime::to_string(x->dtype()) + " and " +
                                                       runtime::to_string(y->dtype()) + "; they must match");
    return OpResult::ok();
  }
};

using runtime::OpRegistrar;
using runtime::OpsetRange;
constexpr auto kCompute = ir::OpKind::kCompute;

const OpRegistrar kEqual{"", "Equal", OpsetRange{7}, kCompute, &runtime::make_kernel<Compare<std::equal_to<>, true>>, NumberTypes::kNames};
const OpRegistrar kGreater{"", "Greater", OpsetRange{7}, kCompute,
                           &runtime::make_kernel<Compare<std::greater<>, false>>, NumericTypes::kNames};
const OpRegistrar kLess{"", "Less", OpsetRange{7}, kCompute, &runtime::make_kernel<Compare<std::less<>, false>>, NumericTypes::kNames};
const OpRegistrar kGreaterOrEqual{"", "GreaterOrEqual", OpsetRange{12}, kCompute,
                                  &runtime::make_kernel<Compare<std::greater_equal<>, false>>, NumericTypes::kNames};
const OpRegistrar kLessOrEqual{"", "LessOrEqual", OpsetRange{12}, kCompute,
                               &runtime::make_kernel<Compare<std::less_equal<>, false>>, NumericTypes::kNames};
const OpRegistrar kAnd{"", "And", OpsetRange{7}, kCompute, &runtime::make_kernel<Logical<std::logical_and<>>>, OnlyBool::kNames};
const OpRegistrar kOr{"", "Or", OpsetRange{7}, kCompute, &runtime::make_kernel<Logical<std::logical_or<>>>, OnlyBool::kNames};
const OpRegistrar kXor{"", "Xor", OpsetRange{7}, kCompute, &runtime::make_kernel<Logical<LogicalXor>>, OnlyBool::kNames};
const OpRegistrar kNot{"", "Not", OpsetRange{1}, kCompute, &runtime::make_kernel<Not>, OnlyBool::kNames};
const OpRegistrar kWhere{"", "Where", OpsetRange{9}, kCompute, &runtime::make_kernel<Where>, AnyTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
