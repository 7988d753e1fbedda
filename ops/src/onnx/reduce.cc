// ai.onnx reductions: ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd
// ReduceSumSquare ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp (axes as an attribute;
// ReduceSum takes them as an optional input from opset 13, with noop_with_empty_axes),
// ArgMax / ArgMin, TopK and CumSum.
//
// Float sums accumulate in double. Axes are checked against the input's rank (and for
// repeats) at dispatch; a bad axis fails with invalid_value naming the shape.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "bb/runtime/registry.h"
#include "broadcast.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::OpRegistrar;
using runtime::OpsetRange;
constexpr auto kCompute = ir::OpKind::kCompute;

template <class K>
Expected<std::unique_ptr<runtime::Kernel>, std::string> upcast(Expected<std::unique_ptr<K>, std::string> made) {
  if (!made) return unexpected(std::move(made.error()));
  return std::unique_ptr<runtime::Kernel>(std::move(*made));
}

// Which dims of a rank-`rank` tensor `axes` names, or a sentence saying why not.
Expected<std::vector<bool>, std::string> axis_mask(const std::vector<std::int64_t>& axes, const Shape& shape) {
  std::vector<bool> mask(shape.size(), false);
  for (std::int64_t a : axes) {
    const auto axis = normalize_axis(a, shape.size());
    if (!axis) return unexpected("axis " + std::to_string(a) + " is out of range for shape " + runtime::shape_text(shape));
    if (mask[*axis]) return unexpected("axis " + std::to_string(a) + " is given twice");
    mask[*axis] = true;
  }
  return mask;
}

// ---- Reduce* ----------------------------------------------------------------------------

enum class Reduction { kSum, kMean, kMax, kMin, kProd, kSumSquare, kL1, kL2, kLogSum, kLogSumExp };

template <Reduction kR, class Acc>
Acc initial() {
  if constexpr (kR == Reduction::kProd) return Acc{1};
  if constexpr (kR == Reduction::kMax) return std::numeric_limits<Acc>::lowest();
  if constexpr (kR == Reduction::kMin) return std::numeric_limits<Acc>::max();
  return Acc{0};
}

template <Reduction kR, class Acc>
void accumulate(Acc& acc, Acc x) {
  if constexpr (kR == Reduction::kSum || kR == Reduction::kMean || kR == Reduction::kLogSum) acc += x;
  if constexpr (kR == Reduction::kProd) acc *= x;
  if constexpr (kR == Reduction::kMax) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (std::isnan(x) || std::isnan(acc)) {
        acc = std::numeric_limits<Acc>::quiet_NaN();
        return;
      }
    }
    if (x > acc) acc = x;
  }
  if constexpr (kR == Reduction::kMin) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (std::isnan(x) || std::isnan(acc)) {
        acc = std::numeric_limits<Acc>::quiet_NaN();
        return;
      }
    }
    if (x < acc) acc = x;
  }
  if constexpr (kR == Reduction::kSumSquare || kR == Reduction::kL2) acc += x * x;
  if constexpr (kR == Reduction::kL1) acc += x < Acc{0} ? Acc{0} - x : x;
  if constexpr (kR == Reduction::kLogSumExp) acc += static_cast<Acc>(std::exp(static_cast<double>(x)));
}

template <Reduction kR, class Acc>
Acc finish(Acc acc, std::int64_t count) {
  if constexpr (kR == Reduction::kMean) return count == 0 ? acc : static_cast<Acc>(acc / static_cast<Acc>(count));
  if constexpr (kR == Reduction::kL2) return static_cast<Acc>(std::sqrt(static_cast<double>(acc)));
  if constexpr (kR == Reduction::kLogSum || kR == Reduction::kLogSumExp)
    return static_cast<Acc>(std::log(static_cast<double>(acc)));
  return acc;
}

template <Reduction kR>
class Reduce final : public runtime::Kernel {
 public:
  // Axes from the attribute (every ReduceX up to its opset-18 change; ReduceSum ≤ 12).
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create_attr(const runtime::KernelInit& init) {
    auto axes = ints_attr(init.node, "axes");
    if (!axes) return unexpected(std::move(axes.error()));
    auto keep = int_attr(init.node, "keepdims", 1);
    if (!keep) return unexpected(std::move(keep.error()));
    return std::unique_ptr<runtime::Kernel>(std::make_unique<Reduce>(axes->value_or(std::vector<std::int64_t>{}),
                                                                      false, *keep != 0, false));
  }
  // Axes from optional input 1 (ReduceSum from opset 13).
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create_input(const runtime::KernelInit& init) {
    auto keep = int_attr(init.node, "keepdims", 1);
    if (!keep) return unexpected(std::move(keep.error()));
    auto noop = int_attr(init.node, "noop_with_empty_axes", 0);
    if (!noop) return unexpected(std::move(noop.error()));
    return std::unique_ptr<runtime::Kernel>(std::make_unique<Reduce>(std::vector<std::int64_t>{}, true, *keep != 0,
                                                                      *noop != 0));
  }
  Reduce(std::vector<std::int64_t> axes, bool axes_input, bool keepdims, bool noop_with_empty_axes)
      : axes_(std::move(axes)), axes_input_(axes_input), keepdims_(keepdims), noop_(noop_with_empty_axes) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    std::vector<std::int64_t> axes = axes_;
    if (axes_input_) {
      const Tensor* given = optional_tensor_in(inv, 1, result);
      if (result.status != runtime::Status::kOk) return result;
      if (given != nullptr) {
        auto values = int_values(*given, "input 1 (axes)");
        if (!values) return OpResult::fail(Reason::kTypeMismatch, values.error());
        axes = std::move(*values);
      }
      if (axes.empty() && noop_) {
        if (!dispatch_numeric(x->dtype(), [](auto) {})) return type_mismatch("input 0", x->dtype());
        inv.out(0) = Value::tensor(*x);
        return OpResult::ok();
      }
    }
    auto mask = axis_mask(axes, x->shape());
    if (!mask) return invalid_value(mask.error());
    if (axes.empty()) mask->assign(x->rank(), true);  // no axes: reduce every dim

    Shape kept, strides(x->rank(), 0);
    std::int64_t count = 1;
    for (std::size_t d = 0; d < x->rank(); ++d) {
      if ((*mask)[d]) {
        count *= x->dim(d);
        if (keepdims_) kept.push_back(1);
      } else {
        kept.push_back(x->dim(d));
      }
    }
    // Output strides as seen from the input's dims (0 along reduced dims).
    Shape full(x->rank());
    for (std::size_t d = 0; d < x->rank(); ++d) full[d] = (*mask)[d] ? 1 : x->dim(d);
    strides = broadcast_strides(full, x->shape());
    const Shape identity = broadcast_strides(x->shape(), x->shape());

    Tensor out;
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
      const std::int64_t n_out = runtime::element_count(full);
      std::vector<Acc> acc(static_cast<std::size_t>(std::max<std::int64_t>(n_out, 0)), initial<kR, Acc>());
      const T* in = x->data<T>();
      for_each_broadcast(x->shape(), identity, strides, [&](std::int64_t, std::int64_t i, std::int64_t o) {
        accumulate<kR, Acc>(acc[static_cast<std::size_t>(o)], static_cast<Acc>(in[i]));
      });
      out = Tensor::allocate(x->dtype(), kept);
      T* y = out.mutable_data<T>();
      for (std::size_t k = 0; k < acc.size(); ++k) y[k] = static_cast<T>(finish<kR, Acc>(acc[k], count));
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  std::vector<std::int64_t> axes_;
  bool axes_input_, keepdims_, noop_;
};

const OpRegistrar kReduceSum1{"", "ReduceSum", OpsetRange{1, 12}, kCompute, &Reduce<Reduction::kSum>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceSum13{"", "ReduceSum", OpsetRange{13}, kCompute, &Reduce<Reduction::kSum>::create_input, NumericTypes::kNames};
const OpRegistrar kReduceMean{"", "ReduceMean", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kMean>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceMax{"", "ReduceMax", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kMax>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceMin{"", "ReduceMin", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kMin>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceProd{"", "ReduceProd", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kProd>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceSumSquare{"", "ReduceSumSquare", OpsetRange{1, 17}, kCompute,
                                   &Reduce<Reduction::kSumSquare>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceL1{"", "ReduceL1", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kL1>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceL2{"", "ReduceL2", OpsetRange{1, 17}, kCompute, &Reduce<Reduction::kL2>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceLogSum{"", "ReduceLogSum", OpsetRange{1, 17}, kCompute,
                                &Reduce<Reduction::kLogSum>::create_attr, NumericTypes::kNames};
const OpRegistrar kReduceLogSumExp{"", "ReduceLogSumExp", OpsetRange{1, 17}, kCompute,
                                   &Reduce<Reduction::kLogSumExp>::create_attr, NumericTypes::kNames};

// ---- ArgMax / ArgMin ----------------------------------------------------------------------

template <bool kMax>
class ArgExtreme final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create(const runtime::KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    auto keep = int_attr(init.node, "keepdims", 1);
    if (!keep) return unexpected(std::move(keep.error()));
    auto last = int_attr(init.node, "select_last_index", 0);
    if (!last) return unexpected(std::move(last.error()));
    return std::unique_ptr<runtime::Kernel>(std::make_unique<ArgExtreme>(*axis, *keep != 0, *last != 0));
  }
  ArgExtreme(std::int64_t axis, bool keepdims, bool last) : axis_(axis), keepdims_(keepdims), last_(last) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    const auto axis = normalize_axis(axis_, x->rank());
    if (!axis)
      return invalid_value("axis " + std::to_string(axis_) + " is out of range for input of shape " +
                           runtime::shape_text(x->shape()));
    const std::int64_t n = x->dim(*axis);
    if (n == 0) return invalid_value("cannot take the arg extreme along an empty axis of " + runtime::shape_text(x->shape()));
    std::int64_t outer = 1, inner = 1;
    Shape out_shape;
    for (std::size_t d = 0; d < x->rank(); ++d) {
      if (d < *axis) outer *= x->dim(d);
      if (d > *axis) inner *= x->dim(d);
      if (d != *axis) {
        out_shape.push_back(x->dim(d));
      } else if (keepdims_) {
        out_shape.push_back(1);
      }
    }
    Tensor out = Tensor::allocate(DType::kInt64, out_shape);
    std::int64_t* y = out.mutable_data<std::int64_t>();
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* in = x->data<T>();
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          const T* row = in + o * n * inner + i;
          std::int64_t best = 0;
          for (std::int64_t k = 1; k < n; ++k) {
            const T v = row[k * inner], b = row[best * inner];
            const bool better = kMax ? (last_ ? v >= b : v > b) : (last_ ? v <= b : v < b);
            if (better) best = k;
          }
          y[o * inner + i] = best;
        }
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  std::int64_t axis_;
  bool keepdims_, last_;
};

const OpRegistrar kArgMax{"", "ArgMax", OpsetRange{1}, kCompute, &ArgExtreme<true>::create, NumericTypes::kNames};
const OpRegistrar kArgMin{"", "ArgMin", OpsetRange{1}, kCompute, &ArgExtreme<false>::create, NumericTypes::kNames};

// ---- TopK -------------------------------------------------------------------------------

// The k largest (or smallest) elements along an axis and their indices; ties keep the
// lower index first. k is an attribute up to opset 9, input 1 from 10.
class TopK final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create_attr(const runtime::KernelInit& init) {
    auto k = int_attr(init.node, "k", -1);
    if (!k) return unexpected(std::move(k.error()));
    if (*k < 0) return unexpected("attribute 'k' is missing or negative");
    return make(init, *k);
  }
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create_input(const runtime::KernelInit& init) {
    return make(init, std::nullopt);
  }
  TopK(std::optional<std::int64_t> k, std::int64_t axis, bool largest) : k_(k), axis_(axis), largest_(largest) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    std::int64_t k = k_.value_or(0);
    if (!k_) {
      const Tensor* kt = tensor_in(inv, 1, result);
      if (kt == nullptr) return result;
      auto values = int_values(*kt, "input 1 (K)");
      if (!values) return OpResult::fail(Reason::kTypeMismatch, values.error());
      if (values->size() != 1)
        return shape_mismatch("input 1 (K) must hold one element, got shape " + runtime::shape_text(kt->shape()));
      k = (*values)[0];
    }
    const auto axis = normalize_axis(axis_, x->rank());
    if (!axis)
      return invalid_value("axis " + std::to_string(axis_) + " is out of range for input of shape " +
                           runtime::shape_text(x->shape()));
    const std::int64_t n = x->dim(*axis);
    if (k < 0 || k > n)
      return invalid_value("K = " + std::to_string(k) + " is outside [0, " + std::to_string(n) + "] for axis " +
                           std::to_string(*axis) + " of shape " + runtime::shape_text(x->shape()));
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < x->rank(); ++d) {
      if (d < *axis) outer *= x->dim(d);
      if (d > *axis) inner *= x->dim(d);
    }
    Shape out_shape = x->shape();
    out_shape[*axis] = k;
    Tensor values, indices = Tensor::allocate(DType::kInt64, out_shape);
    std::int64_t* yi = indices.mutable_data<std::int64_t>();
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      values = Tensor::allocate(x->dtype(), out_shape);
      T* yv = values.mutable_data<T>();
      const T* in = x->data<T>();
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          const T* row = in + o * n * inner + i;
          std::iota(order.begin(), order.end(), 0);
          // A strict total order: by value, then by index.
          auto before = [&](std::int64_t a, std::int64_t b) {
            const T va = row[a * inner], vb = row[b * inner];
            if (va != vb) return largest_ ? va > vb : va < vb;
            return a < b;
          };
          std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          for (std::int64_t j = 0; j < k; ++j) {
            const std::int64_t at = o * k * inner + j * inner + i;
            yi[at] = order[static_cast<std::size_t>(j)];
            yv[at] = row[order[static_cast<std::size_t>(j)] * inner];
          }
        }
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(values));
    if (inv.output_count() > 1) inv.out(1) = Value::tensor(std::move(indices));
    return OpResult::ok();
  }

 private:
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> make(const runtime::KernelInit& init,
                                                                      std::optional<std::int64_t> k) {
    auto axis = int_attr(init.node, "axis", -1);
    if (!axis) return unexpected(std::move(axis.error()));
    auto largest = int_attr(init.node, "largest", 1);
    if (!largest) return unexpected(std::move(largest.error()));
    auto sorted = int_attr(init.node, "sorted", 1);  // results are always sorted
    if (!sorted) return unexpected(std::move(sorted.error()));
    return std::unique_ptr<runtime::Kernel>(std::make_unique<TopK>(k, *axis, *largest != 0));
  }

  std::optional<std::int64_t> k_;
  std::int64_t axis_;
  bool largest_;
};

const OpRegistrar kTopK1{"", "TopK", OpsetRange{1, 9}, kCompute, &TopK::create_attr, NumericTypes::kNames};
const OpRegistrar kTopK10{"", "TopK", OpsetRange{10}, kCompute, &TopK::create_input, NumericTypes::kNames};

// ---- CumSum -----------------------------------------------------------------------------

class CumSum final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<runtime::Kernel>, std::string> create(const runtime::KernelInit& init) {
    auto exclusive = int_attr(init.node, "exclusive", 0);
    if (!exclusive) return unexpected(std::move(exclusive.error()));
    auto reverse = int_attr(init.node, "reverse", 0);
    if (!reverse) return unexpected(std::move(reverse.error()));
    return std::unique_ptr<runtime::Kernel>(std::make_unique<CumSum>(*exclusive != 0, *reverse != 0));
  }
  CumSum(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

  OpResult compute(Invocation& inv) override {
    OpResult result;
    const Tensor* x = tensor_in(inv, 0, result);
    if (x == nullptr) return result;
    const Tensor* at = tensor_in(inv, 1, result);
    if (at == nullptr) return result;
    auto axis_values = int_values(*at, "input 1 (axis)");
    if (!axis_values) return OpResult::fail(Reason::kTypeMismatch, axis_values.error());
    if (axis_values->size() != 1)
      return shape_mismatch("input 1 (axis) must hold one element, got shape " + runtime::shape_text(at->shape()));
    const auto axis = normalize_axis((*axis_values)[0], x->rank());
    if (!axis)
      return invalid_value("axis " + std::to_string((*axis_values)[0]) + " is out of range for input of shape " +
                           runtime::shape_text(x->shape()));
    const std::int64_t n = x->dim(*axis);
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < x->rank(); ++d) {
      if (d < *axis) outer *= x->dim(d);
      if (d > *axis) inner *= x->dim(d);
    }
    Tensor out;
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      out = Tensor::allocate(x->dtype(), x->shape());
      const T* in = x->data<T>();
      T* y = out.mutable_data<T>();
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
          const std::int64_t base = o * n * inner + i;
          T sum{0};
          for (std::int64_t step = 0; step < n; ++step) {
            const std::int64_t j = reverse_ ? n - 1 - step : step;
            const T v = in[base + j * inner];
            if (exclusive_) {
              y[base + j * inner] = sum;
              sum = static_cast<T>(sum + v);
            } else {
              sum = static_cast<T>(sum + v);
              y[base + j * inner] = sum;
            }
          }
        }
    });
    if (!known) return type_mismatch("input 0", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  bool exclusive_, reverse_;
};

const OpRegistrar kCumSum{"", "CumSum", OpsetRange{11}, kCompute, &CumSum::create, NumericTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
