// ai.onnx Softmax, LogSoftmax and Hardmax. Two meanings by opset:
// - up to 12: the input is seen as 2-D [outer, inner] split at `axis` (default 1) and
//   each row of `inner` elements is normalised;
// - from 13: the op runs along `axis` alone (default -1), every other dim independent.
// Both reduce to rows of `n` elements `stride` apart: (outer, n, stride).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "bb/runtime/registry.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
constexpr auto kCompute = ir::OpKind::kCompute;

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };

// One row: n elements at x[0], x[stride], …; writes y the same way.
template <class T>
void row(Kind kind, const T* x, T* y, std::int64_t n, std::int64_t stride) {
  if (n == 0) return;
  T max = x[0];
  std::int64_t argmax = 0;
  for (std::int64_t i = 1; i < n; ++i)
    if (x[i * stride] > max) {
      max = x[i * stride];
      argmax = i;
    }
  if (kind == Kind::kHardmax) {
    for (std::int64_t i = 0; i < n; ++i) y[i * stride] = i == argmax ? T{1} : T{0};
    return;
  }
  T sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const T e = std::exp(x[i * stride] - max);
    y[i * stride] = e;
    sum += e;
  }
  if (kind == Kind::kSoftmax) {
    const T inv = T{1} / sum;
    for (std::int64_t i = 0; i < n; ++i) y[i * stride] *= inv;
  } else {
    const T log_sum = std::log(sum);
    for (std::int64_t i = 0; i < n; ++i) y[i * stride] = x[i * stride] - max - log_sum;
  }
}

template <Kind kKind, bool kPerAxis>
class Normalize final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Normalize>, std::string> create(const runtime::KernelInit& init) {
    auto axis = int_attr(init.node, "axis", kPerAxis ? -1 : 1);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<Normalize>(*axis);
  }
  explicit Normalize(std::int64_t axis) : axis_(axis) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    // A scalar is a single row of one element.
    const std::size_t rank = std::max<std::size_t>(x->rank(), 1);
    const auto axis = normalize_axis(axis_, rank);
    if (!axis)
      return invalid_value("axis " + std::to_string(axis_) + " is out of range for input of shape " +
                           runtime::shape_text(x->shape()));
    const Shape& s = x->shape();
    std::int64_t outer = 1, n = 1, inner = 1;
    for (std::size_t d = 0; d < s.size(); ++d) {
      if (d < *axis) {
        outer *= s[d];
      } else if (d == *axis || !kPerAxis) {
        n *= s[d];
      } else {
        inner *= s[d];
      }
    }
    Tensor out;
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(x->dtype(), x->shape());
      const T* in = x->data<T>();
      T* y = out.mutable_data<T>();
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          const std::int64_t base = o * n * inner + i;
          row<T>(kKind, in + base, y + base, n, inner);
        }
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  std::int64_t axis_;
};

using runtime::make_kernel;
const OpRegistrar kSoftmax1{"", "Softmax", OpsetRange{1, 12}, kCompute,
                            &make_kernel<Normalize<Kind::kSoftmax, false>>, FloatTypes::kNames};
const OpRegistrar kSoftmax13{"", "Softmax", OpsetRange{13}, kCompute, &make_kernel<Normalize<Kind::kSoftmax, true>>, FloatTypes::kNames};
const OpRegistrar kLogSoftmax1{"", "LogSoftmax", OpsetRange{1, 12}, kCompute,
                               &make_kernel<Normalize<Kind::kLogSoftmax, false>>, FloatTypes::kNames};
const OpRegistrar kLogSoftmax13{"", "LogSoftmax", OpsetRange{13}, kCompute,
                                &make_kernel<Normalize<Kind::kLogSoftmax, true>>, FloatTypes::kNames};
const OpRegistrar kHardmax1{"", "Hardmax", OpsetRange{1, 12}, kCompute,
                            &make_kernel<Normalize<Kind::kHardmax, false>>, FloatTypes::kNames};
const OpRegistrar kHardmax13{"", "Hardmax", OpsetRange{13}, kCompute, &make_kernel<Normalize<Kind::kHardmax, true>>, FloatTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
