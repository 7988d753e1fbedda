// ai.onnx shape and indexing: ops that reshape, move, select or create elements
// without arithmetic on them. Element movement works on every element type by its
// storage (elements.h); Reshape, Flatten, Squeeze, Unsqueeze and Identity share the
// input's buffer (no copy). Every axis, index and shape a graph supplies is checked:
// a value out of range fails with invalid_value naming the value and its bound.
//
// Ops whose attributes became inputs register once per signature: Slice 1 (attributes)
// and 10 (inputs), Squeeze/Unsqueeze 1 and 13, Split 2 and 13, Pad 2 and 11.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bb/runtime/registry.h"
#include "bb/runtime/tensor_proto.h"
#include "broadcast.h"
#include "elements.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::Kernel;
using runtime::KernelInit;
using runtime::OpRegistrar;
using runtime::OpsetRange;
using runtime::Status;
constexpr auto kCompute = ir::OpKind::kCompute;

std::string str(std::int64_t v) { return std::to_string(v); }
bool failed(const OpResult& r) { return r.status != Status::kOk; }

OpResult done(Invocation& inv, Tensor out, std::uint32_t j = 0) {
  if (j < inv.output_count()) inv.out(j) = Value::tensor(std::move(out));
  return OpResult::ok();
}

// `axis` of `what` normalized into [0, rank), or invalid_value naming it and the bound.
Expected<std::size_t, OpResult> checked_axis(std::int64_t axis, std::size_t rank, std::string_view what) {
  if (auto a = normalize_axis(axis, rank)) return *a;
  const auto r = static_cast<std::int64_t>(rank);
  return unexpected(invalid_value(std::string(what) + " " + str(axis) + " is outside [" + str(-r) + ", " +
                                  str(r - 1) + "] for rank " + str(r)));
}

// Axes given as values: normalized, each at most once.
Expected<std::vector<std::size_t>, OpResult> checked_axes(const std::vector<std::int64_t>& axes, std::size_t rank,
                                                          std::string_view what) {
  std::vector<std::size_t> out;
  std::vector<bool> seen(rank, false);
  for (std::int64_t a : axes) {
    auto n = checked_axis(a, rank, what);
    if (!n) return unexpected(std::move(n.error()));
    if (seen[*n]) return unexpected(invalid_value(std::string(what) + " " + str(a) + " appears twice"));
    seen[*n] = true;
    out.push_back(*n);
  }
  return out;
}

// An int64/int32 input's values, or invalid type naming it.
Expected<std::vector<std::int64_t>, OpResult> ints_in(const Tensor& t, std::string_view what) {
  auto v = int_values(t, what);
  if (!v) return unexpected(OpResult::fail(Reason::kTypeMismatch, v.error()));
  return std::move(*v);
}

// A freshly allocated output of `shape`, or invalid_value when the shape is negative or
// too large.
Expected<Tensor, OpResult> new_output(DType type, const Shape& shape) {
  if (auto bad = bad_output_shape(shape)) return unexpected(invalid_value(*bad));
  return Tensor::allocate(type, shape);
}

// Copies `in` into `out` through per-dim maps (elements.h), any element type.
OpResult copy_mapped(const Tensor& in, std::int64_t base, const std::vector<AxisMap>& maps, Tensor& out,
                     const Tensor* fill = nullptr) {
  if (out.size() == 0) return OpResult::ok();
  const bool known = dispatch_storage(in.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S f = fill != nullptr ? storage<S>(*fill)[0] : S{};
    map_copy<S>(storage<S>(in), base, maps, mutable_storage<S>(out), f);
  });
  if (!known) return type_mismatch("input", in.dtype());
  return OpResult::ok();
}

// Copies `n` elements from in[from] to out[to] (any element type).
void copy_block(const Tensor& in, std::int64_t from, Tensor& out, std::int64_t to, std::int64_t n) {
  dispatch_storage(in.dtype(), [&](auto tag) {
    using S = decltype(tag);
    std::copy_n(storage<S>(in) + from, n, mutable_storage<S>(out) + to);
  });
}

std::int64_t product(const Shape& s, std::size_t from, std::size_t to) {
  std::int64_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

// ---- Zero-copy: Identity, Reshape, Flatten, Squeeze, Unsqueeze -----------------------------

class Identity final : public Kernel {
 public:
  static Expected<std::unique_ptr<Identity>, std::string> create(const KernelInit&) {
    return std::make_unique<Identity>();
  }
  OpResult compute(Invocation& inv) override {
    if (inv.input_count() < 1 || !inv.in(0).has_value()) return OpResult::fail(Reason::kBadInput, "input 0 is missing");
    inv.out(0) = inv.in(0);  // shares the buffer
    return OpResult::ok();
  }
};

class Reshape final : public Kernel {
 public:
  explicit Reshape(bool allow_zero) : allow_zero_(allow_zero) {}
  static Expected<std::unique_ptr<Reshape>, std::string> create(const KernelInit& init) {
    auto allow = int_attr(init.node, "allowzero", 0);
    if (!allow) return unexpected(std::move(allow.error()));
    return std::make_unique<Reshape>(*allow != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* data = tensor_in(inv, 0, error);
    if (data == nullptr) return error;
    const Tensor* shape_t = tensor_in(inv, 1, error);
    if (shape_t == nullptr) return error;
    auto dims = ints_in(*shape_t, "input shape");
    if (!dims) return std::move(dims.error());
    Shape out;
    std::optional<std::size_t> infer;
    std::int64_t known = 1;
    for (std::size_t i = 0; i < dims->size(); ++i) {
      std::int64_t d = (*dims)[i];
      if (d == 0 && !allow_zero_) {
        if (i >= data->rank())
          return invalid_value("shape dim " + str(i) + " is 0 (copy the input dim) but the input " +
                               runtime::shape_text(data->shape()) + " has rank " + str(data->rank()));
        d = data->dim(i);
      }
      if (d == -1) {
        if (infer) return invalid_value("shape " + runtime::shape_text(*dims) + " has more than one -1");
        infer = i;
        d = 1;
      } else if (d < 0) {
        return invalid_value("shape dim " + str(i) + " is " + str(d) + "; dims are ≥ -1");
      }
      if (d > 0 && known > kMaxOutputElements / d)
        return invalid_value("shape " + runtime::shape_text(*dims) + " has more than " + str(kMaxOutputElements) +
                             " elements");
      out.push_back(d);
      known *= d;
    }
    if (infer) {
      if (known == 0 || data->size() % known != 0)
        return shape_mismatch("cannot reshape " + runtime::shape_text(data->shape()) + " to " +
                              runtime::shape_text(*dims) + ": " + str(data->size()) + " elements");
      out[*infer] = data->size() / known;
    }
    if (runtime::element_count(out) != data->size())
      return shape_mismatch("cannot reshape " + runtime::shape_text(data->shape()) + " (" + str(data->size()) +
                            " elements) to " + runtime::shape_text(out));
    return done(inv, data->reshaped(std::move(out)));
  }

 private:
  bool allow_zero_;
};

class Flatten final : public Kernel {
 public:
  explicit Flatten(std::int64_t axis) : axis_(axis) {}
  static Expected<std::unique_ptr<Flatten>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 1);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<Flatten>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const auto r = static_cast<std::int64_t>(x->rank());
    if (axis_ < -r || axis_ > r)
      return invalid_value("attribute axis " + str(axis_) + " is outside [" + str(-r) + ", " + str(r) + "]");
    const auto a = static_cast<std::size_t>(axis_ < 0 ? axis_ + r : axis_);
    return done(inv, x->reshaped({product(x->shape(), 0, a), product(x->shape(), a, x->rank())}));
  }

 private:
  std::int64_t axis_;
};

// Squeeze: axes from the attribute (opset 1-12) or the optional input 1 (13+).
template <bool kAxesInput>
class Squeeze final : public Kernel {
 public:
  explicit Squeeze(std::optional<std::vector<std::int64_t>> axes) : axes_(std::move(axes)) {}
  static Expected<std::unique_ptr<Squeeze>, std::string> create(const KernelInit& init) {
    auto axes = ints_attr(init.node, "axes");
    if (!axes) return unexpected(std::move(axes.error()));
    return std::make_unique<Squeeze>(std::move(*axes));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    std::optional<std::vector<std::int64_t>> axes = axes_;
    if constexpr (kAxesInput) {
      const Tensor* a = optional_tensor_in(inv, 1, error);
      if (failed(error)) return error;
      if (a != nullptr) {
        auto v = ints_in(*a, "input axes");
        if (!v) return std::move(v.error());
        axes = std::move(*v);
      }
    }
    std::vector<bool> drop(x->rank(), false);
    if (axes) {
      auto n = checked_axes(*axes, x->rank(), "axis");
      if (!n) return std::move(n.error());
      for (std::size_t a : *n) {
        if (x->dim(a) != 1)
          return shape_mismatch("cannot squeeze axis " + str(static_cast<std::int64_t>(a)) + " of " +
                                runtime::shape_text(x->shape()) + ": its dim is " + str(x->dim(a)) + ", not 1");
        drop[a] = true;
      }
    } else {
      for (std::size_t a = 0; a < x->rank(); ++a) drop[a] = x->dim(a) == 1;
    }
    Shape out;
    for (std::size_t a = 0; a < x->rank(); ++a)
      if (!drop[a]) out.push_back(x->dim(a));
    return done(inv, x->reshaped(std::move(out)));
  }

 private:
  std::optional<std::vector<std::int64_t>> axes_;
};

template <bool kAxesInput>
class Unsqueeze final : public Kernel {
 public:
  explicit Unsqueeze(std::optional<std::vector<std::int64_t>> axes) : axes_(std::move(axes)) {}
  static Expected<std::unique_ptr<Unsqueeze>, std::string> create(const KernelInit& init) {
    auto axes = ints_attr(init.node, "axes");
    if (!axes) return unexpected(std::move(axes.error()));
    if (!kAxesInput && !*axes) return unexpected(std::string("attribute 'axes' is required"));
    return std::make_unique<Unsqueeze>(std::move(*axes));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    std::vector<std::int64_t> axes;
    if constexpr (kAxesInput) {
      const Tensor* a = tensor_in(inv, 1, error);
      if (a == nullptr) return error;
      auto v = ints_in(*a, "input axes");
      if (!v) return std::move(v.error());
      axes = std::move(*v);
    } else {
      axes = *axes_;
    }
    const std::size_t rank = x->rank() + axes.size();
    auto n = checked_axes(axes, rank, "axis");
    if (!n) return std::move(n.error());
    std::vector<bool> inserted(rank, false);
    for (std::size_t a : *n) inserted[a] = true;
    Shape out;
    std::size_t from = 0;
    for (std::size_t a = 0; a < rank; ++a) out.push_back(inserted[a] ? 1 : x->dim(from++));
    return done(inv, x->reshaped(std::move(out)));
  }

 private:
  std::optional<std::vector<std::int64_t>> axes_;
};

// ---- Moving elements: Transpose, Concat, Split, Slice, Expand, Tile, Pad ---------------------

class Transpose final : public Kernel {
 public:
  explicit Transpose(std::optional<std::vector<std::int64_t>> perm) : perm_(std::move(perm)) {}
  static Expected<std::unique_ptr<Transpose>, std::string> create(const KernelInit& init) {
    auto perm = ints_attr(init.node, "perm");
    if (!perm) return unexpected(std::move(perm.error()));
    return std::make_unique<Transpose>(std::move(*perm));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const std::size_t rank = x->rank();
    std::vector<std::size_t> perm(rank);
    if (perm_) {
      if (perm_->size() != rank)
        return shape_mismatch("attribute perm has " + str(perm_->size()) + " entries but the input " +
                              runtime::shape_text(x->shape()) + " has rank " + str(rank));
      auto n = checked_axes(*perm_, rank, "perm entry");
      if (!n) return std::move(n.error());
      perm = *n;
    } else {
      for (std::size_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    }
    const Shape strides = strides_of(x->shape());
    Shape shape(rank);
    std::vector<AxisMap> maps(rank);
    for (std::size_t i = 0; i < rank; ++i) {
      shape[i] = x->dim(perm[i]);
      maps[i].stride = strides[perm[i]];
      maps[i].index.resize(static_cast<std::size_t>(shape[i]));
      for (std::int64_t k = 0; k < shape[i]; ++k) maps[i].index[static_cast<std::size_t>(k)] = k;
    }
    Tensor out = Tensor::allocate(x->dtype(), shape);
    if (OpResult r = copy_mapped(*x, 0, maps, out); failed(r)) return r;
    return done(inv, std::move(out));
  }

 private:
  std::optional<std::vector<std::int64_t>> perm_;
};

class Concat final : public Kernel {
 public:
  explicit Concat(std::int64_t axis) : axis_(axis) {}
  static Expected<std::unique_ptr<Concat>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<Concat>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    std::vector<const Tensor*> in;
    for (std::uint32_t i = 0; i < inv.input_count(); ++i) {
      const Tensor* t = tensor_in(inv, i, error);
      if (t == nullptr) return error;
      in.push_back(t);
    }
    if (in.empty()) return OpResult::fail(Reason::kBadInput, "Concat needs at least one input");
    const Tensor& first = *in[0];
    auto axis = checked_axis(axis_, first.rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    Shape shape = first.shape();
    shape[*axis] = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Tensor& t = *in[i];
      if (t.dtype() != first.dtype())
        return OpResult::fail(Reason::kTypeMismatch, "input " + str(i) + " has element type " +
                                                         runtime::to_string(t.dtype()) + ", input 0 has " +
                                                         runtime::to_string(first.dtype()));
      bool same = t.rank() == first.rank();
      for (std::size_t d = 0; same && d < t.rank(); ++d) same = d == *axis || t.dim(d) == first.dim(d);
      if (!same)
        return shape_mismatch("input " + str(i) + " has shape " + runtime::shape_text(t.shape()) + ", input 0 has " +
                              runtime::shape_text(first.shape()) + "; they may differ only along axis " +
                              str(static_cast<std::int64_t>(*axis)));
      shape[*axis] += t.dim(*axis);
    }
    auto out = new_output(first.dtype(), shape);
    if (!out) return std::move(out.error());
    const std::int64_t outer = product(shape, 0, *axis), inner = product(shape, *axis + 1, shape.size());
    std::int64_t at = 0;
    for (std::int64_t o = 0; o < outer; ++o)
      for (const Tensor* t : in) {
        const std::int64_t block = t->dim(*axis) * inner;
        copy_block(*t, o * block, *out, at, block);
        at += block;
      }
    return done(inv, std::move(*out));
  }

 private:
  std::int64_t axis_;
};

// Split: sizes from the attribute (2-12) or the optional input 1 (13+); equal parts
// otherwise (the last one smaller when the dim does not divide, as opset 18 allows).
template <bool kSplitInput>
class Split final : public Kernel {
 public:
  Split(std::int64_t axis, std::optional<std::vector<std::int64_t>> split) : axis_(axis), split_(std::move(split)) {}
  static Expected<std::unique_ptr<Split>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    auto split = ints_attr(init.node, "split");
    if (!split) return unexpected(std::move(split.error()));
    return std::make_unique<Split>(*axis, std::move(*split));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    auto axis = checked_axis(axis_, x->rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    std::optional<std::vector<std::int64_t>> split = split_;
    if constexpr (kSplitInput) {
      const Tensor* s = optional_tensor_in(inv, 1, error);
      if (failed(error)) return error;
      if (s != nullptr) {
        auto v = ints_in(*s, "input split");
        if (!v) return std::move(v.error());
        split = std::move(*v);
      }
    }
    const std::int64_t dim = x->dim(*axis);
    const std::int64_t parts = inv.output_count();
    std::vector<std::int64_t> sizes;
    if (split) {
      if (static_cast<std::int64_t>(split->size()) != parts)
        return invalid_value("split has " + str(split->size()) + " sizes for " + str(parts) + " outputs");
      std::int64_t sum = 0;
      for (std::int64_t s : *split) {
        if (s < 0) return invalid_value("split size " + str(s) + " is negative");
        sum += s;
      }
      if (sum != dim)
        return shape_mismatch("split sizes sum to " + str(sum) + " but axis " + str(static_cast<std::int64_t>(*axis)) +
                              " of " + runtime::shape_text(x->shape()) + " is " + str(dim));
      sizes = *split;
    } else {
      if (parts == 0) return OpResult::ok();
      const std::int64_t each = (dim + parts - 1) / parts;
      for (std::int64_t p = 0, left = dim; p < parts; ++p, left -= each) sizes.push_back(std::clamp<std::int64_t>(left, 0, each));
    }
    const std::int64_t outer = product(x->shape(), 0, *axis), inner = product(x->shape(), *axis + 1, x->rank());
    std::int64_t offset = 0;
    for (std::size_t p = 0; p < sizes.size(); ++p) {
      Shape shape = x->shape();
      shape[*axis] = sizes[p];
      Tensor out = Tensor::allocate(x->dtype(), shape);
      const std::int64_t block = sizes[p] * inner;
      for (std::int64_t o = 0; o < outer; ++o) copy_block(*x, o * dim * inner + offset, out, o * block, block);
      offset += block;
      done(inv, std::move(out), static_cast<std::uint32_t>(p));
    }
    return OpResult::ok();
  }

 private:
  std::int64_t axis_;
  std::optional<std::vector<std::int64_t>> split_;
};

// The elements a Slice along one dim reads: start, start+step, … clamped as numpy does.
// Counted before stepping, so no extreme start, end or step overflows.
std::vector<std::int64_t> slice_indices(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  auto clamp = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
    if (v < 0) v += dim;
    return std::clamp(v, lo, hi);
  };
  std::vector<std::int64_t> out;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    if (start >= end) return out;
    const std::int64_t n = (end - start - 1) / step + 1;
    for (std::int64_t k = 0; k < n; ++k) out.push_back(start + k * step);
  } else {
    start = clamp(start, -1, dim - 1);
    end = clamp(end, -1, dim - 1);
    if (start <= end) return out;
    const std::int64_t n = step == INT64_MIN ? 1 : (start - end - 1) / -step + 1;
    for (std::int64_t k = 0; k < n; ++k) out.push_back(start + k * step);
  }
  return out;
}

OpResult slice(Invocation& inv, const Tensor& x, const std::vector<std::int64_t>& starts,
               const std::vector<std::int64_t>& ends, std::optional<std::vector<std::int64_t>> axes,
               std::optional<std::vector<std::int64_t>> steps) {
  if (starts.size() != ends.size())
    return invalid_value("starts has " + str(starts.size()) + " entries, ends " + str(ends.size()));
  if (!axes) {
    axes.emplace();
    for (std::size_t i = 0; i < starts.size(); ++i) axes->push_back(static_cast<std::int64_t>(i));
  }
  if (!steps) steps = std::vector<std::int64_t>(starts.size(), 1);
  if (axes->size() != starts.size() || steps->size() != starts.size())
    return invalid_value("starts has " + str(starts.size()) + " entries, axes " + str(axes->size()) + ", steps " +
                         str(steps->size()) + "; they must match");
  auto n = checked_axes(*axes, x.rank(), "axis");
  if (!n) return std::move(n.error());
  const Shape strides = strides_of(x.shape());
  std::vector<AxisMap> maps(x.rank());
  Shape shape = x.shape();
  for (std::size_t d = 0; d < x.rank(); ++d) {
    maps[d].stride = strides[d];
    for (std::int64_t k = 0; k < x.dim(d); ++k) maps[d].index.push_back(k);
  }
  for (std::size_t i = 0; i < n->size(); ++i) {
    const std::size_t d = (*n)[i];
    if ((*steps)[i] == 0) return invalid_value("step for axis " + str(static_cast<std::int64_t>(d)) + " is 0");
    maps[d].index = slice_indices(x.dim(d), starts[i], ends[i], (*steps)[i]);
    shape[d] = static_cast<std::int64_t>(maps[d].index.size());
  }
  Tensor out = Tensor::allocate(x.dtype(), shape);
  if (OpResult r = copy_mapped(x, 0, maps, out); failed(r)) return r;
  return done(inv, std::move(out));
}

class SliceAttrs final : public Kernel {
 public:
  SliceAttrs(std::vector<std::int64_t> starts, std::vector<std::int64_t> ends,
             std::optional<std::vector<std::int64_t>> axes)
      : starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)) {}
  static Expected<std::unique_ptr<SliceAttrs>, std::string> create(const KernelInit& init) {
    auto starts = ints_attr(init.node, "starts");
    if (!starts) return unexpected(std::move(starts.error()));
    auto ends = ints_attr(init.node, "ends");
    if (!ends) return unexpected(std::move(ends.error()));
    auto axes = ints_attr(init.node, "axes");
    if (!axes) return unexpected(std::move(axes.error()));
    if (!*starts || !*ends) return unexpected(std::string("attributes 'starts' and 'ends' are required"));
    return std::make_unique<SliceAttrs>(std::move(**starts), std::move(**ends), std::move(*axes));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    return slice(inv, *x, starts_, ends_, axes_, std::nullopt);
  }

 private:
  std::vector<std::int64_t> starts_, ends_;
  std::optional<std::vector<std::int64_t>> axes_;
};

class Slice final : public Kernel {
 public:
  static Expected<std::unique_ptr<Slice>, std::string> create(const KernelInit&) { return std::make_unique<Slice>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    std::vector<std::int64_t> v[2];
    std::optional<std::vector<std::int64_t>> opt[2];
    static constexpr const char* kNames[] = {"input starts", "input ends", "input axes", "input steps"};
    for (std::uint32_t i = 0; i < 4; ++i) {
      const Tensor* t = i < 2 ? tensor_in(inv, i + 1, error) : optional_tensor_in(inv, i + 1, error);
      if (failed(error)) return error;
      if (t == nullptr) continue;
      auto values = ints_in(*t, kNames[i]);
      if (!values) return std::move(values.error());
      if (i < 2) v[i] = std::move(*values);
      else opt[i - 2] = std::move(*values);
    }
    return slice(inv, *x, v[0], v[1], std::move(opt[0]), std::move(opt[1]));
  }
};

class Expand final : public Kernel {
 public:
  static Expected<std::unique_ptr<Expand>, std::string> create(const KernelInit&) { return std::make_unique<Expand>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* s = tensor_in(inv, 1, error);
    if (s == nullptr) return error;
    auto dims = ints_in(*s, "input shape");
    if (!dims) return std::move(dims.error());
    const Shape want(dims->begin(), dims->end());
    if (auto bad = bad_output_shape(want)) return invalid_value("input shape: " + *bad);
    auto shape = broadcast_shapes(x->shape(), want);
    if (!shape) return shape_mismatch("input and shape: " + shape.error());
    if (auto bad = bad_output_shape(*shape)) return invalid_value(*bad);
    const Shape strides = broadcast_strides(x->shape(), *shape);
    std::vector<AxisMap> maps(shape->size());
    for (std::size_t d = 0; d < shape->size(); ++d) {
      maps[d].stride = strides[d];
      maps[d].index.resize(static_cast<std::size_t>((*shape)[d]));
      for (std::int64_t k = 0; k < (*shape)[d]; ++k) maps[d].index[static_cast<std::size_t>(k)] = strides[d] == 0 ? 0 : k;
    }
    Tensor out = Tensor::allocate(x->dtype(), *shape);
    if (OpResult r = copy_mapped(*x, 0, maps, out); failed(r)) return r;
    return done(inv, std::move(out));
  }
};

class Tile final : public Kernel {
 public:
  static Expected<std::unique_ptr<Tile>, std::string> create(const KernelInit&) { return std::make_unique<Tile>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* r = tensor_in(inv, 1, error);
    if (r == nullptr) return error;
    auto repeats = ints_in(*r, "input repeats");
    if (!repeats) return std::move(repeats.error());
    if (repeats->size() != x->rank())
      return shape_mismatch("input repeats has " + str(repeats->size()) + " entries but the input " +
                            runtime::shape_text(x->shape()) + " has rank " + str(x->rank()));
    Shape shape = x->shape();
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if ((*repeats)[d] < 0) return invalid_value("repeat " + str((*repeats)[d]) + " for axis " + str(d) + " is negative");
      if (shape[d] != 0 && (*repeats)[d] > kMaxOutputElements / shape[d])
        return invalid_value("repeat " + str((*repeats)[d]) + " for axis " + str(d) + " is too large");
      shape[d] *= (*repeats)[d];
    }
    auto out = new_output(x->dtype(), shape);
    if (!out) return std::move(out.error());
    const Shape strides = strides_of(x->shape());
    std::vector<AxisMap> maps(shape.size());
    for (std::size_t d = 0; d < shape.size(); ++d) {
      maps[d].stride = strides[d];
      for (std::int64_t k = 0; k < shape[d]; ++k) maps[d].index.push_back(k % x->dim(d));
    }
    if (OpResult res = copy_mapped(*x, 0, maps, *out); failed(res)) return res;
    return done(inv, std::move(*out));
  }
};

enum class PadMode { kConstant, kReflect, kEdge };

Expected<PadMode, std::string> pad_mode(const onnx::NodeProto& node) {
  auto mode = string_attr(node, "mode", "constant");
  if (!mode) return unexpected(std::move(mode.error()));
  if (*mode == "constant") return PadMode::kConstant;
  if (*mode == "reflect") return PadMode::kReflect;
  if (*mode == "edge") return PadMode::kEdge;
  return unexpected("attribute mode '" + std::string(*mode) + "' is not one of constant, reflect, edge");
}

// Pads `x` by `pads` ([begin_0.., end_0..]; negative crops); `fill` is a 1-element
// tensor of x's type for constant mode.
OpResult pad(Invocation& inv, const Tensor& x, const std::vector<std::int64_t>& pads, PadMode mode,
             const Tensor& fill) {
  const std::size_t rank = x.rank();
  if (pads.size() != 2 * rank)
    return shape_mismatch("pads has " + str(pads.size()) + " entries but the input " + runtime::shape_text(x.shape()) +
                          " needs 2 × rank = " + str(2 * rank));
  Shape shape(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    for (std::int64_t p : {pads[d], pads[d + rank]})
      if (p > kMaxOutputElements || p < -kMaxOutputElements)
        return invalid_value("pad " + str(p) + " for axis " + str(d) + " is outside ±" + str(kMaxOutputElements));
    shape[d] = x.dim(d) + pads[d] + pads[d + rank];
    if (shape[d] < 0) return invalid_value("pads for axis " + str(d) + " leave a negative dim " + str(shape[d]));
    if (mode != PadMode::kConstant && x.dim(d) == 0 && shape[d] > 0)
      return invalid_value("cannot pad axis " + str(d) + " of size 0 in reflect or edge mode");
    if (mode == PadMode::kReflect && (pads[d] >= x.dim(d) || pads[d + rank] >= x.dim(d)) && shape[d] > x.dim(d))
      return invalid_value("reflect pads for axis " + str(d) + " must be smaller than its dim " + str(x.dim(d)));
  }
  auto out = new_output(x.dtype(), shape);
  if (!out) return std::move(out.error());
  const Shape strides = strides_of(x.shape());
  std::vector<AxisMap> maps(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    maps[d].stride = strides[d];
    const std::int64_t n = x.dim(d);
    for (std::int64_t o = 0; o < shape[d]; ++o) {
      std::int64_t i = o - pads[d];
      if (i < 0 || i >= n) {
        if (mode == PadMode::kConstant) i = -1;
        else if (mode == PadMode::kEdge) i = i < 0 ? 0 : n - 1;
        else {
          const std::int64_t period = 2 * (n - 1);
          if (period == 0) i = 0;
          else {
            i = ((i % period) + period) % period;
            if (i >= n) i = period - i;
          }
        }
      }
      maps[d].index.push_back(i);
    }
  }
  if (OpResult r = copy_mapped(x, 0, maps, *out, &fill); failed(r)) return r;
  return done(inv, std::move(*out));
}

// A 1-element tensor of `type` holding `value` (0 for strings and unknown types).
Tensor fill_of(DType type, double value) {
  Tensor t = Tensor::zeros(type, {});
  dispatch_numeric(type, [&](auto tag) {
    using T = decltype(tag);
    *static_cast<T*>(t.mutable_raw()) = static_cast<T>(value);
  });
  return t;
}

class PadAttrs final : public Kernel {
 public:
  PadAttrs(std::vector<std::int64_t> pads, PadMode mode, float value) : pads_(std::move(pads)), mode_(mode), value_(value) {}
  static Expected<std::unique_ptr<PadAttrs>, std::string> create(const KernelInit& init) {
    auto pads = ints_attr(init.node, "pads");
    if (!pads) return unexpected(std::move(pads.error()));
    if (!*pads) return unexpected(std::string("attribute 'pads' is required"));
    auto mode = pad_mode(init.node);
    if (!mode) return unexpected(std::move(mode.error()));
    auto value = float_attr(init.node, "value", 0.0f);
    if (!value) return unexpected(std::move(value.error()));
    return std::make_unique<PadAttrs>(std::move(**pads), *mode, *value);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    return pad(inv, *x, pads_, mode_, fill_of(x->dtype(), value_));
  }

 private:
  std::vector<std::int64_t> pads_;
  PadMode mode_;
  float value_;
};

class Pad final : public Kernel {
 public:
  explicit Pad(PadMode mode) : mode_(mode) {}
  static Expected<std::unique_ptr<Pad>, std::string> create(const KernelInit& init) {
    auto mode = pad_mode(init.node);
    if (!mode) return unexpected(std::move(mode.error()));
    return std::make_unique<Pad>(*mode);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* p = tensor_in(inv, 1, error);
    if (p == nullptr) return error;
    auto pads = ints_in(*p, "input pads");
    if (!pads) return std::move(pads.error());
    const Tensor* value = optional_tensor_in(inv, 2, error);
    if (failed(error)) return error;
    if (value != nullptr && (value->dtype() != x->dtype() || value->size() != 1))
      return invalid_value("input constant_value must be one " + runtime::to_string(x->dtype()) + ", got " +
                           runtime::to_string(value->dtype()) + runtime::shape_text(value->shape()));
    const Tensor* axes_t = optional_tensor_in(inv, 3, error);
    if (failed(error)) return error;
    if (axes_t != nullptr) {  // opset 18: pads only for the listed axes
      auto axes = ints_in(*axes_t, "input axes");
      if (!axes) return std::move(axes.error());
      auto n = checked_axes(*axes, x->rank(), "axis");
      if (!n) return std::move(n.error());
      if (pads->size() != 2 * n->size())
        return shape_mismatch("input pads has " + str(pads->size()) + " entries for " + str(n->size()) + " axes");
      std::vector<std::int64_t> full(2 * x->rank(), 0);
      for (std::size_t i = 0; i < n->size(); ++i) {
        full[(*n)[i]] = (*pads)[i];
        full[(*n)[i] + x->rank()] = (*pads)[i + n->size()];
      }
      *pads = std::move(full);
    }
    return pad(inv, *x, *pads, mode_, value != nullptr ? *value : fill_of(x->dtype(), 0));
  }

 private:
  PadMode mode_;
};

// ---- Indexing: Gather, GatherElements, GatherND, ScatterElements, ScatterND, Compress -------

// Reads an index tensor (int32/int64) with negatives counted from `bound`; fails naming
// the first index outside [-bound, bound).
Expected<std::vector<std::int64_t>, OpResult> indices_in(const Tensor& t, std::int64_t bound, std::string_view what) {
  auto v = ints_in(t, what);
  if (!v) return unexpected(std::move(v.error()));
  for (std::int64_t& i : *v) {
    if (i < -bound || i >= bound)
      return unexpected(invalid_value(std::string(what) + " holds " + str(i) + ", outside [" + str(-bound) + ", " +
                                      str(bound - 1) + "]"));
    if (i < 0) i += bound;
  }
  return std::move(*v);
}

class Gather final : public Kernel {
 public:
  explicit Gather(std::int64_t axis) : axis_(axis) {}
  static Expected<std::unique_ptr<Gather>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<Gather>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    auto axis = checked_axis(axis_, x->rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    const std::int64_t dim = x->dim(*axis);
    auto indices = indices_in(*idx, dim, "input indices");
    if (!indices) return std::move(indices.error());
    Shape shape(x->shape().begin(), x->shape().begin() + static_cast<std::ptrdiff_t>(*axis));
    shape.insert(shape.end(), idx->shape().begin(), idx->shape().end());
    shape.insert(shape.end(), x->shape().begin() + static_cast<std::ptrdiff_t>(*axis) + 1, x->shape().end());
    auto out = new_output(x->dtype(), shape);
    if (!out) return std::move(out.error());
    const std::int64_t outer = product(x->shape(), 0, *axis), inner = product(x->shape(), *axis + 1, x->rank());
    std::int64_t at = 0;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i : *indices) {
        copy_block(*x, (o * dim + i) * inner, *out, at, inner);
        at += inner;
      }
    return done(inv, std::move(*out));
  }

 private:
  std::int64_t axis_;
};

// Calls f(position, data_offset_without_axis, axis_stride) for every element of
// `indices_shape` (same rank as `data_shape`, each dim no larger except along `axis`).
template <class F>
void for_each_element_index(const Shape& indices_shape, const Shape& data_shape, std::size_t axis, F f) {
  const std::int64_t n = runtime::element_count(indices_shape);
  const Shape strides = strides_of(data_shape);
  Shape at(indices_shape.size(), 0);
  for (std::int64_t p = 0; p < n; ++p) {
    std::int64_t off = 0;
    for (std::size_t d = 0; d < at.size(); ++d)
      if (d != axis) off += at[d] * strides[d];
    f(p, off, strides[axis]);
    for (std::size_t d = at.size(); d-- > 0;) {
      if (++at[d] < indices_shape[d]) break;
      at[d] = 0;
    }
  }
}

OpResult check_element_indices(const Tensor& data, const Tensor& indices, std::size_t axis) {
  if (indices.rank() != data.rank())
    return shape_mismatch("indices " + runtime::shape_text(indices.shape()) + " and data " +
                          runtime::shape_text(data.shape()) + " must have the same rank");
  for (std::size_t d = 0; d < data.rank(); ++d)
    if (d != axis && indices.dim(d) > data.dim(d))
      return shape_mismatch("indices " + runtime::shape_text(indices.shape()) + " exceed data " +
                            runtime::shape_text(data.shape()) + " along axis " + str(d));
  return OpResult::ok();
}

class GatherElements final : public Kernel {
 public:
  explicit GatherElements(std::int64_t axis) : axis_(axis) {}
  static Expected<std::unique_ptr<GatherElements>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<GatherElements>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    auto axis = checked_axis(axis_, x->rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    if (OpResult r = check_element_indices(*x, *idx, *axis); failed(r)) return r;
    auto indices = indices_in(*idx, x->dim(*axis), "input indices");
    if (!indices) return std::move(indices.error());
    Tensor out = Tensor::allocate(x->dtype(), idx->shape());
    dispatch_storage(x->dtype(), [&](auto tag) {
      using S = decltype(tag);
      const S* in = storage<S>(*x);
      S* o = mutable_storage<S>(out);
      for_each_element_index(idx->shape(), x->shape(), *axis, [&](std::int64_t p, std::int64_t off, std::int64_t stride) {
        o[p] = in[off + (*indices)[static_cast<std::size_t>(p)] * stride];
      });
    });
    return done(inv, std::move(out));
  }

 private:
  std::int64_t axis_;
};

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Expected<Reduction, std::string> reduction_attr(const onnx::NodeProto& node) {
  auto r = string_attr(node, "reduction", "none");
  if (!r) return unexpected(std::move(r.error()));
  if (*r == "none") return Reduction::kNone;
  if (*r == "add") return Reduction::kAdd;
  if (*r == "mul") return Reduction::kMul;
  if (*r == "max") return Reduction::kMax;
  if (*r == "min") return Reduction::kMin;
  return unexpected("attribute reduction '" + std::string(*r) + "' is not one of none, add, mul, max, min");
}

// Calls f(T*) with out's elements typed for a reduction (numeric types), or moves
// storage words for kNone; false for a type the reduction does not take.
template <class F>
bool scatter_typed(DType type, Reduction reduction, F&& f) {
  if (reduction == Reduction::kNone) return dispatch_storage(type, std::forward<F>(f));
  return dispatch_numeric(type, std::forward<F>(f));
}

template <class T>
void combine(T& into, const T& v, Reduction r) {
  if constexpr (std::is_arithmetic_v<T>) {
    switch (r) {
      case Reduction::kAdd: into = static_cast<T>(into + v); return;
      case Reduction::kMul: into = static_cast<T>(into * v); return;
      case Reduction::kMax: into = std::max(into, v); return;
      case Reduction::kMin: into = std::min(into, v); return;
      case Reduction::kNone: break;
    }
  }
  into = v;
}

// ScatterElements (and the older Scatter): data with updates written at indices along axis.
class ScatterElements final : public Kernel {
 public:
  ScatterElements(std::int64_t axis, Reduction r) : axis_(axis), reduction_(r) {}
  static Expected<std::unique_ptr<ScatterElements>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", 0);
    if (!axis) return unexpected(std::move(axis.error()));
    auto r = reduction_attr(init.node);
    if (!r) return unexpected(std::move(r.error()));
    return std::make_unique<ScatterElements>(*axis, *r);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    const Tensor* upd = tensor_in(inv, 2, error);
    if (upd == nullptr) return error;
    auto axis = checked_axis(axis_, x->rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    if (OpResult r = check_element_indices(*x, *idx, *axis); failed(r)) return r;
    if (upd->shape() != idx->shape() || upd->dtype() != x->dtype())
      return shape_mismatch("updates " + runtime::to_string(upd->dtype()) + runtime::shape_text(upd->shape()) +
                            " must match indices " + runtime::shape_text(idx->shape()) + " and the data's type " +
                            runtime::to_string(x->dtype()));
    auto indices = indices_in(*idx, x->dim(*axis), "input indices");
    if (!indices) return std::move(indices.error());
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    copy_block(*x, 0, out, 0, x->size());
    const bool known = scatter_typed(x->dtype(), reduction_, [&](auto tag) {
      using T = decltype(tag);
      const T* u = static_cast<const T*>(upd->raw());
      T* o = static_cast<T*>(out.mutable_raw());
      for_each_element_index(idx->shape(), x->shape(), *axis, [&](std::int64_t p, std::int64_t off, std::int64_t stride) {
        combine(o[off + (*indices)[static_cast<std::size_t>(p)] * stride], u[p], reduction_);
      });
    });
    if (!known) return type_mismatch("input data", x->dtype());
    return done(inv, std::move(out));
  }

 private:
  std::int64_t axis_;
  Reduction reduction_;
};

// The data offsets GatherND/ScatterND address: one per index tuple (the last dim of
// indices, k long, over data dims [batch, batch+k)), each the start of a block of
// `inner` elements. Batch dims (GatherND 12+) pair indices with data slices.
struct NdAddress {
  std::vector<std::int64_t> offsets;
  std::int64_t inner = 1;
  Shape shape;  // GatherND's output shape
};

Expected<NdAddress, OpResult> nd_address(const Tensor& data, const Tensor& idx, std::size_t batch) {
  if (idx.rank() < 1 || data.rank() < 1)
    return unexpected(shape_mismatch("data " + runtime::shape_text(data.shape()) + " and indices " +
                                     runtime::shape_text(idx.shape()) + " must have rank ≥ 1"));
  const auto k = static_cast<std::size_t>(idx.dim(idx.rank() - 1));
  if (batch >= idx.rank() || batch >= data.rank() || batch + k > data.rank())
    return unexpected(shape_mismatch("indices " + runtime::shape_text(idx.shape()) + " (batch_dims " + str(batch) +
                                     ") address more dims than data " + runtime::shape_text(data.shape()) + " has"));
  for (std::size_t d = 0; d < batch; ++d)
    if (idx.dim(d) != data.dim(d))
      return unexpected(shape_mismatch("batch dim " + str(d) + " of indices " + runtime::shape_text(idx.shape()) +
                                       " and data " + runtime::shape_text(data.shape()) + " differ"));
  auto values = ints_in(idx, "input indices");
  if (!values) return unexpected(std::move(values.error()));
  NdAddress a;
  const Shape strides = strides_of(data.shape());
  a.inner = product(data.shape(), batch + k, data.rank());
  a.shape.assign(idx.shape().begin(), idx.shape().end() - 1);
  a.shape.insert(a.shape.end(), data.shape().begin() + static_cast<std::ptrdiff_t>(batch + k), data.shape().end());
  const std::int64_t tuples = product(idx.shape(), 0, idx.rank() - 1);
  const std::int64_t per_batch = batch == 0 ? tuples : tuples / std::max<std::int64_t>(product(idx.shape(), 0, batch), 1);
  const std::int64_t batch_stride = batch == 0 ? 0 : strides[batch - 1];
  for (std::int64_t t = 0; t < tuples; ++t) {
    std::int64_t off = per_batch == 0 ? 0 : (t / per_batch) * batch_stride;
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t d = batch + j;
      std::int64_t i = (*values)[static_cast<std::size_t>(t) * k + j];
      if (i < -data.dim(d) || i >= data.dim(d))
        return unexpected(invalid_value("input indices holds " + str(i) + " for data axis " + str(d) + ", outside [" +
                                        str(-data.dim(d)) + ", " + str(data.dim(d) - 1) + "]"));
      if (i < 0) i += data.dim(d);
      off += i * strides[d];
    }
    a.offsets.push_back(off);
  }
  return a;
}

class GatherND final : public Kernel {
 public:
  explicit GatherND(std::int64_t batch) : batch_(batch) {}
  static Expected<std::unique_ptr<GatherND>, std::string> create(const KernelInit& init) {
    auto batch = int_attr(init.node, "batch_dims", 0);
    if (!batch) return unexpected(std::move(batch.error()));
    if (*batch < 0) return unexpected("attribute batch_dims " + str(*batch) + " is negative");
    return std::make_unique<GatherND>(*batch);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    auto a = nd_address(*x, *idx, static_cast<std::size_t>(batch_));
    if (!a) return std::move(a.error());
    auto out = new_output(x->dtype(), a->shape);
    if (!out) return std::move(out.error());
    for (std::size_t t = 0; t < a->offsets.size(); ++t)
      copy_block(*x, a->offsets[t], *out, static_cast<std::int64_t>(t) * a->inner, a->inner);
    return done(inv, std::move(*out));
  }

 private:
  std::int64_t batch_;
};

class ScatterND final : public Kernel {
 public:
  explicit ScatterND(Reduction r) : reduction_(r) {}
  static Expected<std::unique_ptr<ScatterND>, std::string> create(const KernelInit& init) {
    auto r = reduction_attr(init.node);
    if (!r) return unexpected(std::move(r.error()));
    return std::make_unique<ScatterND>(*r);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    const Tensor* upd = tensor_in(inv, 2, error);
    if (upd == nullptr) return error;
    auto a = nd_address(*x, *idx, 0);
    if (!a) return std::move(a.error());
    if (upd->shape() != a->shape || upd->dtype() != x->dtype())
      return shape_mismatch("updates " + runtime::to_string(upd->dtype()) + runtime::shape_text(upd->shape()) +
                            " must be " + runtime::to_string(x->dtype()) + runtime::shape_text(a->shape));
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    copy_block(*x, 0, out, 0, x->size());
    const bool known = scatter_typed(x->dtype(), reduction_, [&](auto tag) {
      using T = decltype(tag);
      const T* u = static_cast<const T*>(upd->raw());
      T* o = static_cast<T*>(out.mutable_raw());
      for (std::size_t t = 0; t < a->offsets.size(); ++t)
        for (std::int64_t e = 0; e < a->inner; ++e)
          combine(o[a->offsets[t] + e], u[static_cast<std::int64_t>(t) * a->inner + e], reduction_);
    });
    if (!known) return type_mismatch("input data", x->dtype());
    return done(inv, std::move(out));
  }

 private:
  Reduction reduction_;
};

class Compress final : public Kernel {
 public:
  explicit Compress(std::optional<std::int64_t> axis) : axis_(axis) {}
  static Expected<std::unique_ptr<Compress>, std::string> create(const KernelInit& init) {
    auto axis = int_attribute(init.node, "axis");
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<Compress>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* in = tensor_in(inv, 0, error);
    if (in == nullptr) return error;
    const Tensor* c = tensor_in(inv, 1, error);
    if (c == nullptr) return error;
    if (c->dtype() != DType::kBool) return type_mismatch("input condition", c->dtype());
    if (c->rank() != 1) return shape_mismatch("input condition must be 1-D, got " + runtime::shape_text(c->shape()));
    const Tensor x = axis_ ? *in : in->reshaped({in->size()});
    auto axis = checked_axis(axis_.value_or(0), x.rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    const std::int64_t dim = x.dim(*axis);
    std::vector<std::int64_t> keep;
    const bool* cond = c->data<bool>();
    for (std::int64_t i = 0; i < c->size(); ++i) {
      if (!cond[i]) continue;
      if (i >= dim)
        return invalid_value("input condition selects index " + str(i) + " but axis " +
                             str(static_cast<std::int64_t>(*axis)) + " has " + str(dim) + " elements");
      keep.push_back(i);
    }
    Shape shape = x.shape();
    shape[*axis] = static_cast<std::int64_t>(keep.size());
    Tensor out = Tensor::allocate(x.dtype(), shape);
    const std::int64_t outer = product(x.shape(), 0, *axis), inner = product(x.shape(), *axis + 1, x.rank());
    std::int64_t at = 0;
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i : keep) {
        copy_block(x, (o * dim + i) * inner, out, at, inner);
        at += inner;
      }
    return done(inv, std::move(out));
  }

 private:
  std::optional<std::int64_t> axis_;
};

// Unique: the distinct elements (or slices along `axis`), sorted or in order of first
// appearance, with the first index of each, the inverse map and the counts.
class Unique final : public Kernel {
 public:
  Unique(std::optional<std::int64_t> axis, bool sorted) : axis_(axis), sorted_(sorted) {}
  static Expected<std::unique_ptr<Unique>, std::string> create(const KernelInit& init) {
    auto axis = int_attribute(init.node, "axis");
    if (!axis) return unexpected(std::move(axis.error()));
    auto sorted = int_attr(init.node, "sorted", 1);
    if (!sorted) return unexpected(std::move(sorted.error()));
    return std::make_unique<Unique>(*axis, *sorted != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* in = tensor_in(inv, 0, error);
    if (in == nullptr) return error;
    const Tensor x = axis_ ? *in : in->reshaped({in->size()});
    auto axis = checked_axis(axis_.value_or(0), x.rank(), "attribute axis");
    if (!axis) return std::move(axis.error());
    const std::int64_t num = x.dim(*axis), outer = product(x.shape(), 0, *axis),
                       inner = product(x.shape(), *axis + 1, x.rank());
    std::vector<std::int64_t> order(static_cast<std::size_t>(num));
    for (std::int64_t i = 0; i < num; ++i) order[static_cast<std::size_t>(i)] = i;
    // Slice i < slice j lexicographically (-1, 0, 1), over any element type.
    std::function<int(std::int64_t, std::int64_t)> cmp;
    const bool known = dispatch_all(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* v = static_cast<const T*>(x.raw());
      cmp = [v, num, outer, inner](std::int64_t i, std::int64_t j) {
        for (std::int64_t o = 0; o < outer; ++o)
          for (std::int64_t e = 0; e < inner; ++e) {
            const T& a = v[(o * num + i) * inner + e];
            const T& b = v[(o * num + j) * inner + e];
            if (a < b) return -1;
            if (b < a) return 1;
          }
        return 0;
      };
    });
    if (!known) return type_mismatch("input X", x.dtype());
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) { return cmp(i, j) < 0; });
    // Groups of equal slices; the first of each (stable sort) is its first appearance.
    std::vector<std::int64_t> first, counts, inverse(static_cast<std::size_t>(num));
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k == 0 || cmp(order[k - 1], order[k]) != 0) {
        first.push_back(order[k]);
        counts.push_back(0);
      }
      ++counts.back();
      inverse[static_cast<std::size_t>(order[k])] = static_cast<std::int64_t>(first.size()) - 1;
    }
    std::vector<std::size_t> rank(first.size());  // output position of each group
    for (std::size_t g = 0; g < first.size(); ++g) rank[g] = g;
    if (!sorted_) {
      std::vector<std::size_t> by_first(first.size());
      for (std::size_t g = 0; g < first.size(); ++g) by_first[g] = g;
      std::sort(by_first.begin(), by_first.end(), [&](std::size_t a, std::size_t b) { return first[a] < first[b]; });
      for (std::size_t r = 0; r < by_first.size(); ++r) rank[by_first[r]] = r;
    }
    const auto groups = static_cast<std::int64_t>(first.size());
    Shape shape = x.shape();
    shape[*axis] = groups;
    Tensor y = Tensor::allocate(x.dtype(), shape);
    std::vector<std::int64_t> indices(first.size()), count(first.size());
    for (std::size_t g = 0; g < first.size(); ++g) {
      const auto r = static_cast<std::int64_t>(rank[g]);
      indices[rank[g]] = first[g];
      count[rank[g]] = counts[g];
      for (std::int64_t o = 0; o < outer; ++o) copy_block(x, (o * num + first[g]) * inner, y, (o * groups + r) * inner, inner);
    }
    for (auto& i : inverse) i = static_cast<std::int64_t>(rank[static_cast<std::size_t>(i)]);
    done(inv, std::move(y), 0);
    done(inv, Tensor::vector<std::int64_t>(indices), 1);
    done(inv, Tensor::vector<std::int64_t>(inverse), 2);
    return done(inv, Tensor::vector<std::int64_t>(count), 3);
  }

 private:
  std::optional<std::int64_t> axis_;
  bool sorted_;
};

// ReverseSequence: for each batch entry b, the first sequence_lens[b] steps along the
// time axis in reverse order, the rest as they are.
class ReverseSequence final : public Kernel {
 public:
  ReverseSequence(std::int64_t time, std::int64_t batch) : time_(time), batch_(batch) {}
  static Expected<std::unique_ptr<ReverseSequence>, std::string> create(const KernelInit& init) {
    auto time = int_attr(init.node, "time_axis", 0);
    if (!time) return unexpected(std::move(time.error()));
    auto batch = int_attr(init.node, "batch_axis", 1);
    if (!batch) return unexpected(std::move(batch.error()));
    if (!((*time == 0 && *batch == 1) || (*time == 1 && *batch == 0)))
      return unexpected("attributes time_axis " + str(*time) + " and batch_axis " + str(*batch) + " must be 0 and 1");
    return std::make_unique<ReverseSequence>(*time, *batch);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* l = tensor_in(inv, 1, error);
    if (l == nullptr) return error;
    if (x->rank() < 2) return shape_mismatch("input must have rank ≥ 2, got " + runtime::shape_text(x->shape()));
    const auto t = static_cast<std::size_t>(time_), b = static_cast<std::size_t>(batch_);
    const std::int64_t steps = x->dim(t), batches = x->dim(b);
    auto lens = ints_in(*l, "input sequence_lens");
    if (!lens) return std::move(lens.error());
    if (static_cast<std::int64_t>(lens->size()) != batches)
      return shape_mismatch("input sequence_lens has " + str(lens->size()) + " entries for batch " + str(batches));
    for (std::int64_t n : *lens)
      if (n < 0 || n > steps) return invalid_value("sequence length " + str(n) + " is outside [0, " + str(steps) + "]");
    const std::int64_t inner = product(x->shape(), 2, x->rank());
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    auto offset = [&](std::int64_t step, std::int64_t entry) {
      return (time_ == 0 ? step * batches + entry : entry * steps + step) * inner;
    };
    for (std::int64_t e = 0; e < batches; ++e)
      for (std::int64_t s = 0; s < steps; ++s) {
        const std::int64_t from = s < (*lens)[static_cast<std::size_t>(e)] ? (*lens)[static_cast<std::size_t>(e)] - 1 - s : s;
        copy_block(*x, offset(from, e), out, offset(s, e), inner);
      }
    return done(inv, std::move(out));
  }

 private:
  std::int64_t time_, batch_;
};

// ---- Shape facts: Shape, Size, NonZero -----------------------------------------------------

class ShapeOp final : public Kernel {
 public:
  ShapeOp(std::int64_t start, std::optional<std::int64_t> end) : start_(start), end_(end) {}
  static Expected<std::unique_ptr<ShapeOp>, std::string> create(const KernelInit& init) {
    auto start = int_attr(init.node, "start", 0);
    if (!start) return unexpected(std::move(start.error()));
    auto end = int_attribute(init.node, "end");
    if (!end) return unexpected(std::move(end.error()));
    return std::make_unique<ShapeOp>(*start, *end);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const auto r = static_cast<std::int64_t>(x->rank());
    auto clamp = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
    const std::int64_t begin = clamp(start_), end = std::max(begin, clamp(end_.value_or(r)));
    std::vector<std::int64_t> dims(x->shape().begin() + begin, x->shape().begin() + end);
    return done(inv, Tensor::vector<std::int64_t>(dims));
  }

 private:
  std::int64_t start_;
  std::optional<std::int64_t> end_;
};

class Size final : public Kernel {
 public:
  static Expected<std::unique_ptr<Size>, std::string> create(const KernelInit&) { return std::make_unique<Size>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    return done(inv, Tensor::scalar<std::int64_t>(x->size()));
  }
};

class NonZero final : public Kernel {
 public:
  static Expected<std::unique_ptr<NonZero>, std::string> create(const KernelInit&) {
    return std::make_unique<NonZero>();
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    std::vector<std::int64_t> hits;
    const bool known = dispatch_number(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* v = static_cast<const T*>(x->raw());
      for (std::int64_t i = 0; i < x->size(); ++i)
        if (v[i] != T{}) hits.push_back(i);
    });
    if (!known) return type_mismatch("input X", x->dtype());
    const std::size_t rank = x->rank();
    const auto n = static_cast<std::int64_t>(hits.size());
    Tensor out = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(rank), n});
    std::int64_t* o = out.mutable_data<std::int64_t>();
    const Shape strides = strides_of(x->shape());
    for (std::int64_t h = 0; h < n; ++h)
      for (std::size_t d = 0; d < rank; ++d) o[static_cast<std::int64_t>(d) * n + h] = hits[h] / strides[d] % x->dim(d);
    return done(inv, std::move(out));
  }
};

// ---- Creating tensors: Constant, ConstantOfShape, EyeLike, OneHot, Range, Trilu -------------

// ai.onnx Constant: the tensor is built once at load from whichever value attribute is set.
class Constant final : public Kernel {
 public:
  explicit Constant(Tensor value) : value_(std::move(value)) {}
  static Expected<std::unique_ptr<Constant>, std::string> create(const KernelInit& init) {
    std::optional<Tensor> value;
    for (const onnx::AttributeProto& a : init.node.attribute()) {
      if (value) return unexpected("attribute '" + a.name() + "': Constant takes exactly one value attribute");
      auto t = from_attribute(a);
      if (!t) return unexpected(std::move(t.error()));
      value = std::move(*t);
    }
    if (!value) return unexpected(std::string("Constant needs one value attribute (value, value_float, …)"));
    return std::make_unique<Constant>(std::move(*value));
  }
  OpResult compute(Invocation& inv) override { return done(inv, value_); }

 private:
  static Expected<Tensor, std::string> from_attribute(const onnx::AttributeProto& a) {
    using A = onnx::AttributeProto;
    const std::string& n = a.name();
    if (n == "value" && a.type() == A::TENSOR) {
      auto t = runtime::from_proto(a.t());
      if (!t) return unexpected("attribute 'value': " + t.error());
      return std::move(*t);
    }
    if (n == "value_float" && a.type() == A::FLOAT) return Tensor::scalar<float>(a.f());
    if (n == "value_int" && a.type() == A::INT) return Tensor::scalar<std::int64_t>(a.i());
    if (n == "value_string" && a.type() == A::STRING) return Tensor::scalar<std::string>(a.s());
    if (n == "value_floats" && a.type() == A::FLOATS)
      return Tensor::vector<float>(std::vector<float>(a.floats().begin(), a.floats().end()));
    if (n == "value_ints" && a.type() == A::INTS)
      return Tensor::vector<std::int64_t>(std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
    if (n == "value_strings" && a.type() == A::STRINGS)
      return Tensor::vector<std::string>(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    if (n == "sparse_value") return unexpected(std::string("attribute 'sparse_value': sparse tensors are not supported"));
    return unexpected("attribute '" + n + "' is not a Constant value attribute of its type");
  }
  Tensor value_;
};

class ConstantOfShape final : public Kernel {
 public:
  explicit ConstantOfShape(Tensor value) : value_(std::move(value)) {}
  static Expected<std::unique_ptr<ConstantOfShape>, std::string> create(const KernelInit& init) {
    auto a = typed_attribute(init.node, "value", onnx::AttributeProto::TENSOR);
    if (!a) return unexpected(std::move(a.error()));
    if (*a == nullptr) return std::make_unique<ConstantOfShape>(Tensor::scalar<float>(0.0f));
    auto t = runtime::from_proto((*a)->t());
    if (!t) return unexpected("attribute 'value': " + t.error());
    if (t->size() != 1) return unexpected("attribute 'value' must hold one element, got " + runtime::shape_text(t->shape()));
    return std::make_unique<ConstantOfShape>(std::move(*t));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* s = tensor_in(inv, 0, error);
    if (s == nullptr) return error;
    auto dims = ints_in(*s, "input shape");
    if (!dims) return std::move(dims.error());
    auto out = new_output(value_.dtype(), Shape(dims->begin(), dims->end()));
    if (!out) return std::move(out.error());
    dispatch_storage(value_.dtype(), [&](auto tag) {
      using S = decltype(tag);
      std::fill_n(mutable_storage<S>(*out), out->size(), storage<S>(value_)[0]);
    });
    return done(inv, std::move(*out));
  }

 private:
  Tensor value_;
};

class EyeLike final : public Kernel {
 public:
  EyeLike(std::optional<std::int64_t> dtype, std::int64_t k) : dtype_(dtype), k_(k) {}
  static Expected<std::unique_ptr<EyeLike>, std::string> create(const KernelInit& init) {
    auto dtype = int_attribute(init.node, "dtype");
    if (!dtype) return unexpected(std::move(dtype.error()));
    auto k = int_attr(init.node, "k", 0);
    if (!k) return unexpected(std::move(k.error()));
    return std::make_unique<EyeLike>(*dtype, *k);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (x->rank() != 2) return shape_mismatch("input must be 2-D, got " + runtime::shape_text(x->shape()));
    const DType type = dtype_ ? static_cast<DType>(*dtype_) : x->dtype();
    Tensor out = Tensor::zeros(type, x->shape());
    const bool known = dispatch_number(type, [&](auto tag) {
      using T = decltype(tag);
      T* o = static_cast<T*>(out.mutable_raw());
      for (std::int64_t r = 0; r < x->dim(0); ++r)
        if (r + k_ >= 0 && r + k_ < x->dim(1)) o[r * x->dim(1) + r + k_] = T(1);
    });
    if (!known) return type_mismatch("output", type);
    return done(inv, std::move(out));
  }

 private:
  std::optional<std::int64_t> dtype_;
  std::int64_t k_;
};

// The first element of a numeric tensor as double (OneHot depth, Range bounds).
std::optional<double> scalar_value(const Tensor& t) {
  if (t.size() != 1) return std::nullopt;
  std::optional<double> v;
  dispatch_numeric(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    v = static_cast<double>(static_cast<const T*>(t.raw())[0]);
  });
  return v;
}

class OneHot final : public Kernel {
 public:
  explicit OneHot(std::int64_t axis) : axis_(axis) {}
  static Expected<std::unique_ptr<OneHot>, std::string> create(const KernelInit& init) {
    auto axis = int_attr(init.node, "axis", -1);
    if (!axis) return unexpected(std::move(axis.error()));
    return std::make_unique<OneHot>(*axis);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* idx = tensor_in(inv, 0, error);
    if (idx == nullptr) return error;
    const Tensor* d = tensor_in(inv, 1, error);
    if (d == nullptr) return error;
    const Tensor* values = tensor_in(inv, 2, error);
    if (values == nullptr) return error;
    const auto depth_value = scalar_value(*d);
    if (!depth_value) return invalid_value("input depth must be one number, got " + runtime::to_string(d->dtype()) +
                                           runtime::shape_text(d->shape()));
    if (!(*depth_value >= 1 && *depth_value <= static_cast<double>(kMaxOutputElements)))
      return invalid_value("input depth " + std::to_string(*depth_value) + " is outside [1, " +
                           str(kMaxOutputElements) + "]");
    const auto depth = static_cast<std::int64_t>(*depth_value);
    if (values->size() != 2)
      return invalid_value("input values must hold [off, on], got " + runtime::shape_text(values->shape()));
    std::vector<double> indices;
    const bool numeric = dispatch_numeric(idx->dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (T v : std::span<const T>(static_cast<const T*>(idx->raw()), static_cast<std::size_t>(idx->size())))
        indices.push_back(static_cast<double>(v));
    });
    if (!numeric) return type_mismatch("input indices", idx->dtype());
    auto axis = checked_axis(axis_, idx->rank() + 1, "attribute axis");
    if (!axis) return std::move(axis.error());
    Shape shape = idx->shape();
    shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(*axis), depth);
    auto out = new_output(values->dtype(), shape);
    if (!out) return std::move(out.error());
    const std::int64_t outer = product(idx->shape(), 0, *axis), inner = product(idx->shape(), *axis, idx->rank());
    dispatch_storage(values->dtype(), [&](auto tag) {
      using S = decltype(tag);
      const S off = storage<S>(*values)[0], on = storage<S>(*values)[1];
      S* o = mutable_storage<S>(*out);
      std::fill_n(o, out->size(), off);
      for (std::int64_t a = 0; a < outer; ++a)
        for (std::int64_t b = 0; b < inner; ++b) {
          auto i = static_cast<std::int64_t>(indices[static_cast<std::size_t>(a * inner + b)]);
          if (i < 0) i += depth;
          if (i >= 0 && i < depth) o[(a * depth + i) * inner + b] = on;  // out of range: all off
        }
    });
    return done(inv, std::move(*out));
  }

 private:
  std::int64_t axis_;
};

class Range final : public Kernel {
 public:
  static Expected<std::unique_ptr<Range>, std::string> create(const KernelInit&) { return std::make_unique<Range>(); }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* t[3];
    for (std::uint32_t i = 0; i < 3; ++i) {
      t[i] = tensor_in(inv, i, error);
      if (t[i] == nullptr) return error;
      if (t[i]->size() != 1 || t[i]->dtype() != t[0]->dtype())
        return invalid_value("inputs start, limit and delta must be single numbers of one type; input " + str(i) +
                             " is " + runtime::to_string(t[i]->dtype()) + runtime::shape_text(t[i]->shape()));
    }
    OpResult result = type_mismatch("input start", t[0]->dtype());
    dispatch_signed(t[0]->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T start = *t[0]->data<T>(), limit = *t[1]->data<T>(), delta = *t[2]->data<T>();
      if (delta == T{}) {
        result = invalid_value("input delta is 0");
        return;
      }
      const double count = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
      if (!(count <= static_cast<double>(kMaxOutputElements))) {
        result = invalid_value("Range would hold more than " + str(kMaxOutputElements) + " elements");
        return;
      }
      const auto n = std::max<std::int64_t>(static_cast<std::int64_t>(count), 0);
      Tensor out = Tensor::allocate(t[0]->dtype(), {n});
      T* o = out.mutable_data<T>();
      for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      result = done(inv, std::move(out));
    });
    return result;
  }
};

class Trilu final : public Kernel {
 public:
  explicit Trilu(bool upper) : upper_(upper) {}
  static Expected<std::unique_ptr<Trilu>, std::string> create(const KernelInit& init) {
    auto upper = int_attr(init.node, "upper", 1);
    if (!upper) return unexpected(std::move(upper.error()));
    return std::make_unique<Trilu>(*upper != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (x->rank() < 2) return shape_mismatch("input must have rank ≥ 2, got " + runtime::shape_text(x->shape()));
    const Tensor* kt = optional_tensor_in(inv, 1, error);
    if (failed(error)) return error;
    std::int64_t k = 0;
    if (kt != nullptr) {
      auto v = ints_in(*kt, "input k");
      if (!v) return std::move(v.error());
      if (v->size() != 1) return invalid_value("input k must be one int64, got " + runtime::shape_text(kt->shape()));
      k = (*v)[0];
    }
    const std::int64_t rows = x->dim(x->rank() - 2), cols = x->dim(x->rank() - 1);
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    const bool known = dispatch_storage(x->dtype(), [&](auto tag) {
      using S = decltype(tag);
      const S* in = storage<S>(*x);
      S* o = mutable_storage<S>(out);
      for (std::int64_t p = 0; p < x->size(); ++p) {
        const std::int64_t c = p % cols, r = p / cols % rows;
        const bool keep = upper_ ? c - r >= k : c - r <= k;
        o[p] = keep ? in[p] : S{};
      }
    });
    if (!known) return type_mismatch("input", x->dtype());
    return done(inv, std::move(out));
  }

 private:
  bool upper_;
};

// ---- DepthToSpace / SpaceToDepth: a 6-D transpose --------------------------------------------

OpResult transpose6(Invocation& inv, const Tensor& x, const Shape& as6, const std::array<std::size_t, 6>& perm,
                    const Shape& out_shape) {
  const Shape strides = strides_of(as6);
  std::vector<AxisMap> maps(6);
  for (std::size_t i = 0; i < 6; ++i) {
    maps[i].stride = strides[perm[i]];
    for (std::int64_t k = 0; k < as6[perm[i]]; ++k) maps[i].index.push_back(k);
  }
  Tensor out = Tensor::allocate(x.dtype(), out_shape);
  if (OpResult r = copy_mapped(x, 0, maps, out); failed(r)) return r;
  return done(inv, std::move(out));
}

template <bool kToSpace>
class SpaceDepth final : public Kernel {
 public:
  SpaceDepth(std::int64_t block, bool crd) : block_(block), crd_(crd) {}
  static Expected<std::unique_ptr<SpaceDepth>, std::string> create(const KernelInit& init) {
    auto block = int_attr(init.node, "blocksize", 0);
    if (!block) return unexpected(std::move(block.error()));
    if (*block < 1) return unexpected("attribute blocksize " + str(*block) + " must be ≥ 1");
    auto mode = string_attr(init.node, "mode", "DCR");
    if (!mode) return unexpected(std::move(mode.error()));
    if (*mode != "DCR" && *mode != "CRD")
      return unexpected("attribute mode '" + std::string(*mode) + "' is not DCR or CRD");
    return std::make_unique<SpaceDepth>(*block, *mode == "CRD");
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (x->rank() != 4) return shape_mismatch("input must be 4-D (N,C,H,W), got " + runtime::shape_text(x->shape()));
    const std::int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), b = block_;
    if constexpr (kToSpace) {
      if (c % (b * b) != 0)
        return shape_mismatch("channels " + str(c) + " of " + runtime::shape_text(x->shape()) +
                              " are not a multiple of blocksize² = " + str(b * b));
      const std::int64_t cc = c / (b * b);
      if (crd_) return transpose6(inv, *x, {n, cc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, {n, cc, h * b, w * b});
      return transpose6(inv, *x, {n, b, b, cc, h, w}, {0, 3, 4, 1, 5, 2}, {n, cc, h * b, w * b});
    } else {
      if (h % b != 0 || w % b != 0)
        return shape_mismatch("height and width of " + runtime::shape_text(x->shape()) +
                              " are not multiples of blocksize " + str(b));
      return transpose6(inv, *x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}, {n, c * b * b, h / b, w / b});
    }
  }

 private:
  std::int64_t block_;
  bool crd_;
};

const OpRegistrar kIdentity{"", "Identity", OpsetRange{1}, kCompute, &runtime::make_kernel<Identity>, AnyTypes::kNames};
const OpRegistrar kReshape{"", "Reshape", OpsetRange{5}, kCompute, &runtime::make_kernel<Reshape>, AnyTypes::kNames};
const OpRegistrar kFlatten{"", "Flatten", OpsetRange{1}, kCompute, &runtime::make_kernel<Flatten>, AnyTypes::kNames};
const OpRegistrar kSqueeze1{"", "Squeeze", OpsetRange{1, 12}, kCompute, &runtime::make_kernel<Squeeze<false>>, AnyTypes::kNames};
const OpRegistrar kSqueeze13{"", "Squeeze", OpsetRange{13}, kCompute, &runtime::make_kernel<Squeeze<true>>, AnyTypes::kNames};
const OpRegistrar kUnsqueeze1{"", "Unsqueeze", OpsetRange{1, 12}, kCompute, &runtime::make_kernel<Unsqueeze<false>>, AnyTypes::kNames};
const OpRegistrar kUnsqueeze13{"", "Unsqueeze", OpsetRange{13}, kCompute, &runtime::make_kernel<Unsqueeze<true>>, AnyTypes::kNames};
const OpRegistrar kTranspose{"", "Transpose", OpsetRange{1}, kCompute, &runtime::make_kernel<Transpose>, AnyTypes::kNames};
const OpRegistrar kConcat{"", "Concat", OpsetRange{4}, kCompute, &runtime::make_kernel<Concat>, AnyTypes::kNames};
const OpRegistrar kSplit2{"", "Split", OpsetRange{2, 12}, kCompute, &runtime::make_kernel<Split<false>>, AnyTypes::kNames};
const OpRegistrar kSplit13{"", "Split", OpsetRange{13}, kCompute, &runtime::make_kernel<Split<true>>, AnyTypes::kNames};
const OpRegistrar kSlice1{"", "Slice", OpsetRange{1, 9}, kCompute, &runtime::make_kernel<SliceAttrs>, AnyTypes::kNames};
const OpRegistrar kSlice10{"", "Slice", OpsetRange{10}, kCompute, &runtime::make_kernel<Slice>, AnyTypes::kNames};
const OpRegistrar kExpand{"", "Expand", OpsetRange{8}, kCompute, &runtime::make_kernel<Expand>, AnyTypes::kNames};
const OpRegistrar kTile{"", "Tile", OpsetRange{6}, kCompute, &runtime::make_kernel<Tile>, AnyTypes::kNames};
const OpRegistrar kPad2{"", "Pad", OpsetRange{2, 10}, kCompute, &runtime::make_kernel<PadAttrs>, AnyTypes::kNames};
const OpRegistrar kPad11{"", "Pad", OpsetRange{11}, kCompute, &runtime::make_kernel<Pad>, AnyTypes::kNames};
const OpRegistrar kGather{"", "Gather", OpsetRange{1}, kCompute, &runtime::make_kernel<Gather>, AnyTypes::kNames};
const OpRegistrar kGatherElements{"", "GatherElements", OpsetRange{11}, kCompute,
                                  &runtime::make_kernel<GatherElements>, AnyTypes::kNames};
const OpRegistrar kGatherND{"", "GatherND", OpsetRange{11}, kCompute, &runtime::make_kernel<GatherND>, AnyTypes::kNames};
const OpRegistrar kScatter{"", "Scatter", OpsetRange{9, 10}, kCompute, &runtime::make_kernel<ScatterElements>, AnyTypes::kNames};
const OpRegistrar kScatterElements{"", "ScatterElements", OpsetRange{11}, kCompute,
                                   &runtime::make_kernel<ScatterElements>, AnyTypes::kNames};
const OpRegistrar kScatterND{"", "ScatterND", OpsetRange{11}, kCompute, &runtime::make_kernel<ScatterND>, AnyTypes::kNames};
const OpRegistrar kCompress{"", "Compress", OpsetRange{9}, kCompute, &runtime::make_kernel<Compress>, AnyTypes::kNames};
const OpRegistrar kUnique{"", "Unique", OpsetRange{11}, kCompute, &runtime::make_kernel<Unique>, ValueTypes::kNames};
const OpRegistrar kReverseSequence{"", "ReverseSequence", OpsetRange{10}, kCompute,
                                   &runtime::make_kernel<ReverseSequence>, AnyTypes::kNames};
const OpRegistrar kShape{"", "Shape", OpsetRange{1}, kCompute, &runtime::make_kernel<ShapeOp>, AnyTypes::kNames};
const OpRegistrar kSize{"", "Size", OpsetRange{1}, kCompute, &runtime::make_kernel<Size>, AnyTypes::kNames};
const OpRegistrar kNonZero{"", "NonZero", OpsetRange{9}, kCompute, &runtime::make_kernel<NonZero>, NumberTypes::kNames};
const OpRegistrar kConstant{"", "Constant", OpsetRange{1}, kCompute, &runtime::make_kernel<Constant>, AnyTypes::kNames};
const OpRegistrar kConstantOfShape{"", "ConstantOfShape", OpsetRange{9}, kCompute,
                                   &runtime::make_kernel<ConstantOfShape>, AnyTypes::kNames};
const OpRegistrar kEyeLike{"", "EyeLike", OpsetRange{9}, kCompute, &runtime::make_kernel<EyeLike>, NumberTypes::kNames};
const OpRegistrar kOneHot{"", "OneHot", OpsetRange{9}, kCompute, &runtime::make_kernel<OneHot>, AnyTypes::kNames};
const OpRegistrar kRange{"", "Range", OpsetRange{11}, kCompute, &runtime::make_kernel<Range>, SignedTypes::kNames};
const OpRegistrar kTrilu{"", "Trilu", OpsetRange{14}, kCompute, &runtime::make_kernel<Trilu>, AnyTypes::kNames};
const OpRegistrar kDepthToSpace{"", "DepthToSpace", OpsetRange{1}, kCompute, &runtime::make_kernel<SpaceDepth<true>>, AnyTypes::kNames};
const OpRegistrar kSpaceToDepth{"", "SpaceToDepth", OpsetRange{1}, kCompute, &runtime::make_kernel<SpaceDepth<false>>, AnyTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
