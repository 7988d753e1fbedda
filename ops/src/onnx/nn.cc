// ai.onnx neural-network layers (inference): Conv and ConvTranspose (1-D to 3-D, groups, strides,
// dilations, explicit or automatic padding; im2col and an Eigen product per group),
// MaxPool (with Indices), MaxUnpool, AveragePool, GlobalAveragePool, GlobalMaxPool,
// BatchNormalization (inference, and training mode's batch statistics),
// InstanceNormalization, LRN and Dropout (inference: the input, and a mask of true).
//
// Inputs are N × C × spatial… tensors; every rank, channel count and window is
// checked against the input before a loop runs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "bb/runtime/registry.h"
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

// ---- Sliding windows: the geometry Conv and the pools share ------------------------------

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::optional<std::vector<std::int64_t>> kernel, strides, dilations, pads;
  bool ceil_mode = false;

  static Expected<WindowAttrs, std::string> read(const onnx::NodeProto& node) {
    WindowAttrs w;
    auto pad = string_attr(node, "auto_pad", "NOTSET");
    if (!pad) return unexpected(std::move(pad.error()));
    if (*pad == "NOTSET") w.auto_pad = AutoPad::kNotSet;
    else if (*pad == "SAME_UPPER") w.auto_pad = AutoPad::kSameUpper;
    else if (*pad == "SAME_LOWER") w.auto_pad = AutoPad::kSameLower;
    else if (*pad == "VALID") w.auto_pad = AutoPad::kValid;
    else
      return unexpected("attribute auto_pad '" + std::string(*pad) + "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    for (auto [name, field] : {std::pair{"kernel_shape", &w.kernel}, std::pair{"strides", &w.strides},
                               std::pair{"dilations", &w.dilations}, std::pair{"pads", &w.pads}}) {
      auto v = ints_attr(node, name);
      if (!v) return unexpected(std::move(v.error()));
      *field = std::move(*v);
    }
    auto ceil = int_attr(node, "ceil_mode", 0);
    if (!ceil) return unexpected(std::move(ceil.error()));
    w.ceil_mode = *ceil != 0;
    return w;
  }
};

// The resolved geometry over k spatial dims.
struct Window {
  std::vector<std::int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  std::int64_t in_size() const { return product(in); }
  std::int64_t out_size() const { return product(out); }
  std::int64_t kernel_size() const { return product(kernel); }
  static std::int64_t product(const std::vector<std::int64_t>& v) {
    std::int64_t p = 1;
    for (auto d : v) p *= d;
    return p;
  }
};

// The window of `attrs` over the spatial dims of `x_shape` with kernel dims `kernel`
// (from the weights for Conv, the attribute for pools), or invalid_value.
Expected<Window, OpResult> resolve(const WindowAttrs& attrs, const Shape& x_shape, std::vector<std::int64_t> kernel) {
  const std::size_t k = x_shape.size() - 2;
  Window w;
  w.in.assign(x_shape.begin() + 2, x_shape.end());
  w.kernel = std::move(kernel);
  auto list = [&](const std::optional<std::vector<std::int64_t>>& v, std::int64_t fallback, std::size_t n,
                  std::string_view name) -> Expected<std::vector<std::int64_t>, OpResult> {
    if (!v) return std::vector<std::int64_t>(n, fallback);
    if (v->size() != n)
      return unexpected(invalid_value("attribute " + std::string(name) + " has " + str(v->size()) + " entries, the input " +
                                      runtime::shape_text(x_shape) + " needs " + str(n)));
    return *v;
  };
  if (w.kernel.size() != k)
    return unexpected(invalid_value("kernel has " + str(w.kernel.size()) + " dims, the input " +
                                    runtime::shape_text(x_shape) + " has " + str(k) + " spatial dims"));
  auto strides = list(attrs.strides, 1, k, "strides");
  if (!strides) return unexpected(std::move(strides.error()));
  auto dilations = list(attrs.dilations, 1, k, "dilations");
  if (!dilations) return unexpected(std::move(dilations.error()));
  auto pads = list(attrs.pads, 0, 2 * k, "pads");
  if (!pads) return unexpected(std::move(pads.error()));
  w.stride = *strides;
  w.dilation = *dilations;
  w.pad_begin.assign(pads->begin(), pads->begin() + static_cast<std::ptrdiff_t>(k));
  w.pad_end.assign(pads->begin() + static_cast<std::ptrdiff_t>(k), pads->end());
  w.out.resize(k);
  for (std::size_t d = 0; d < k; ++d) {
    for (std::int64_t v : {w.kernel[d], w.stride[d], w.dilation[d], w.pad_begin[d], w.pad_end[d]})
      if (v > kMaxOutputElements)
        return unexpected(invalid_value("spatial dim " + str(d) + ": kernel, stride, dilation or pad " + str(v) +
                                        " is over " + str(kMaxOutputElements)));
    if (w.kernel[d] < 1 || w.stride[d] < 1 || w.dilation[d] < 1 || w.pad_begin[d] < 0 || w.pad_end[d] < 0)
      return unexpected(invalid_value("spatial dim " + str(d) + ": kernel " + str(w.kernel[d]) + ", stride " +
                                      str(w.stride[d]) + ", dilation " + str(w.dilation[d]) +
                                      " must be ≥ 1 and pads ≥ 0"));
    const std::int64_t span = (w.kernel[d] - 1) * w.dilation[d] + 1;
    switch (attrs.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        w.out[d] = (w.in[d] + w.stride[d] - 1) / w.stride[d];
        const std::int64_t total = std::max<std::int64_t>((w.out[d] - 1) * w.stride[d] + span - w.in[d], 0);
        w.pad_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
        w.pad_end[d] = total - w.pad_begin[d];
        break;
      }
      case AutoPad::kValid:
        w.pad_begin[d] = w.pad_end[d] = 0;
        [[fallthrough]];
      case AutoPad::kNotSet: {
        const std::int64_t room = w.in[d] + w.pad_begin[d] + w.pad_end[d] - span;
        if (room < 0)
          return unexpected(invalid_value("the window (" + str(span) + " wide) is larger than spatial dim " + str(d) +
                                          " of the padded input " + runtime::shape_text(x_shape)));
        w.out[d] = (attrs.ceil_mode ? (room + w.stride[d] - 1) / w.stride[d] : room / w.stride[d]) + 1;
        if (attrs.ceil_mode && (w.out[d] - 1) * w.stride[d] >= w.in[d] + w.pad_begin[d]) --w.out[d];
        break;
      }
    }
  }
  const std::int64_t kernel_size = runtime::element_count(w.kernel, kMaxOutputElements);
  const std::int64_t out_size = runtime::element_count(w.out, kMaxOutputElements);
  if (kernel_size < 0 || out_size < 0 || kernel_size > kMaxOutputElements / std::max<std::int64_t>(out_size, 1))
    return unexpected(invalid_value("kernel " + runtime::shape_text(w.kernel) + " over output " +
                                    runtime::shape_text(w.out) + " reads more than " + str(kMaxOutputElements) +
                                    " positions"));
  return w;
}

// The input offset (within one channel) and validity of every (kernel position, output
// position) pair: offsets[kpos * P + p], -1 where the window reads padding.
std::vector<std::int64_t> window_offsets(const Window& w) {
  const std::size_t k = w.in.size();
  const std::int64_t K = w.kernel_size(), P = w.out_size();
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(K * P));
  std::vector<std::int64_t> kc(k, 0), oc(k, 0);
  for (std::int64_t kp = 0; kp < K; ++kp) {
    std::int64_t rest = kp;
    for (std::size_t d = k; d-- > 0;) {
      kc[d] = rest % w.kernel[d];
      rest /= w.kernel[d];
    }
    for (std::int64_t p = 0; p < P; ++p) {
      std::int64_t r = p, off = 0, scale = 1;
      bool inside = true;
      for (std::size_t d = k; d-- > 0;) {
        oc[d] = r % w.out[d];
        r /= w.out[d];
        const std::int64_t i = oc[d] * w.stride[d] - w.pad_begin[d] + kc[d] * w.dilation[d];
        if (i < 0 || i >= w.in[d]) inside = false;
        off += i * scale;
        scale *= w.in[d];
      }
      offsets[static_cast<std::size_t>(kp * P + p)] = inside ? off : -1;
    }
  }
  return offsets;
}

// An N × C × spatial input of rank ≥ 3.
OpResult check_nc(const Tensor& x, std::string_view what) {
  if (x.rank() < 3)
    return shape_mismatch(std::string(what) + " must be N × C × spatial (rank ≥ 3), got " +
                          runtime::shape_text(x.shape()));
  return OpResult::ok();
}

Shape nc_shape(const Tensor& x, std::int64_t channels, const std::vector<std::int64_t>& spatial) {
  Shape s{x.dim(0), channels};
  s.insert(s.end(), spatial.begin(), spatial.end());
  return s;
}

// ---- Conv -------------------------------------------------------------------------------

class Conv final : public Kernel {
 public:
  Conv(WindowAttrs attrs, std::int64_t group) : attrs_(std::move(attrs)), group_(group) {}
  static Expected<std::unique_ptr<Conv>, std::string> create(const KernelInit& init) {
    auto attrs = WindowAttrs::read(init.node);
    if (!attrs) return unexpected(std::move(attrs.error()));
    auto group = int_attr(init.node, "group", 1);
    if (!group) return unexpected(std::move(group.error()));
    if (*group < 1) return unexpected("attribute group " + str(*group) + " must be ≥ 1");
    return std::make_unique<Conv>(std::move(*attrs), *group);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* w = tensor_in(inv, 1, error);
    if (w == nullptr) return error;
    const Tensor* b = optional_tensor_in(inv, 2, error);
    if (failed(error)) return error;
    if (OpResult r = check(*x, *w, b); failed(r)) return r;
    std::vector<std::int64_t> kernel(w->shape().begin() + 2, w->shape().end());
    if (attrs_.kernel && *attrs_.kernel != kernel)
      return shape_mismatch("attribute kernel_shape " + runtime::shape_text(*attrs_.kernel) + " differs from W " +
                            runtime::shape_text(w->shape()));
    auto window = resolve(attrs_, x->shape(), std::move(kernel));
    if (!window) return std::move(window.error());
    Tensor out = Tensor::allocate(x->dtype(), nc_shape(*x, w->dim(0), window->out));
    const bool known = dispatch_float(x->dtype(), [&](auto tag) { run<decltype(tag)>(*x, *w, b, *window, out); });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  OpResult check(const Tensor& x, const Tensor& w, const Tensor* b) const {
    if (OpResult r = check_nc(x, "input X"); failed(r)) return r;
    if (w.rank() != x.rank())
      return shape_mismatch("W " + runtime::shape_text(w.shape()) + " and X " + runtime::shape_text(x.shape()) +
                            " must have the same rank");
    if (w.dtype() != x.dtype() || (b != nullptr && b->dtype() != x.dtype()))
      return OpResult::fail(Reason::kTypeMismatch, "X, W and B must have one element type; X is " +
                                                       runtime::to_string(x.dtype()) + ", W " + runtime::to_string(w.dtype()));
    if (x.dim(1) % group_ != 0 || w.dim(0) % group_ != 0 || w.dim(1) * group_ != x.dim(1))
      return shape_mismatch("X " + runtime::shape_text(x.shape()) + " and W " + runtime::shape_text(w.shape()) +
                            " do not fit group " + str(group_) + " (X channels = W dim 1 × group, W dim 0 a multiple of group)");
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != w.dim(0)))
      return shape_mismatch("B " + runtime::shape_text(b->shape()) + " must be [" + str(w.dim(0)) + "]");
    return OpResult::ok();
  }

  template <class T>
  void run(const Tensor& x, const Tensor& w, const Tensor* b, const Window& win, Tensor& out) const {
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const std::int64_t n = x.dim(0), c = x.dim(1), m = w.dim(0);
    const std::int64_t cg = c / group_, mg = m / group_;
    const std::int64_t K = win.kernel_size(), P = win.out_size(), I = win.in_size();
    const std::vector<std::int64_t> offsets = window_offsets(win);
    Matrix col(cg * K, P);
    const T* xd = x.data<T>();
    const T* wd = w.data<T>();
    T* yd = out.mutable_data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t g = 0; g < group_; ++g) {
        for (std::int64_t ch = 0; ch < cg; ++ch) {
          const T* plane = xd + (i * c + g * cg + ch) * I;
          for (std::int64_t kp = 0; kp < K; ++kp) {
            T* row = col.data() + (ch * K + kp) * P;
            const std::int64_t* off = offsets.data() + kp * P;
            for (std::int64_t p = 0; p < P; ++p) row[p] = off[p] < 0 ? T(0) : plane[off[p]];
          }
        }
        Eigen::Map<const Matrix> wg(wd + g * mg * cg * K, mg, cg * K);
        Eigen::Map<Matrix> yg(yd + (i * m + g * mg) * P, mg, P);
        yg.noalias() = wg * col;
        if (b != nullptr)
          for (std::int64_t o = 0; o < mg; ++o) yg.row(o).array() += b->data<T>()[g * mg + o];
      }
  }

  WindowAttrs attrs_;
  std::int64_t group_;
};

// ---- ConvTranspose -------------------------------------------------------------------------

// The gradient of Conv with respect to its input: each input element, times the kernel,
// added into a window of the output. Computed as one product per group (Wᵀ·X) and a
// scatter of its columns (col2im) through the same window offsets Conv reads.
class ConvTranspose final : public Kernel {
 public:
  ConvTranspose(WindowAttrs attrs, std::int64_t group, std::optional<std::vector<std::int64_t>> output_padding,
                std::optional<std::vector<std::int64_t>> output_shape)
      : attrs_(std::move(attrs)), group_(group), output_padding_(std::move(output_padding)),
        output_shape_(std::move(output_shape)) {}
  static Expected<std::unique_ptr<ConvTranspose>, std::string> create(const KernelInit& init) {
    auto attrs = WindowAttrs::read(init.node);
    if (!attrs) return unexpected(std::move(attrs.error()));
    auto group = int_attr(init.node, "group", 1);
    if (!group) return unexpected(std::move(group.error()));
    if (*group < 1) return unexpected("attribute group " + str(*group) + " must be ≥ 1");
    auto padding = ints_attr(init.node, "output_padding");
    if (!padding) return unexpected(std::move(padding.error()));
    auto shape = ints_attr(init.node, "output_shape");
    if (!shape) return unexpected(std::move(shape.error()));
    return std::make_unique<ConvTranspose>(std::move(*attrs), *group, std::move(*padding), std::move(*shape));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* w = tensor_in(inv, 1, error);
    if (w == nullptr) return error;
    const Tensor* b = optional_tensor_in(inv, 2, error);
    if (failed(error)) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    if (w->rank() != x->rank() || w->dim(0) != x->dim(1) || x->dim(1) % group_ != 0)
      return shape_mismatch("W " + runtime::shape_text(w->shape()) + " must be [C, M/group, kernel…] for X " +
                            runtime::shape_text(x->shape()) + " and group " + str(group_));
    if (w->dtype() != x->dtype() || (b != nullptr && b->dtype() != x->dtype()))
      return OpResult::fail(Reason::kTypeMismatch, "X, W and B must have one element type");
    const std::int64_t m = w->dim(1) * group_;
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != m))
      return shape_mismatch("B " + runtime::shape_text(b->shape()) + " must be [" + str(m) + "]");
    auto win = geometry(*x, *w);
    if (!win) return std::move(win.error());
    Tensor out = Tensor::allocate(x->dtype(), nc_shape(*x, m, win->in));
    const bool known = dispatch_float(x->dtype(), [&](auto tag) { run<decltype(tag)>(*x, *w, b, *win, out); });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // The window seen from the output: `in` is the output's spatial dims, `out` the input's.
  Expected<Window, OpResult> geometry(const Tensor& x, const Tensor& w) const {
    const std::size_t k = x.rank() - 2;
    std::vector<std::int64_t> kernel(w.shape().begin() + 2, w.shape().end());
    auto sized = [&](const std::optional<std::vector<std::int64_t>>& v, std::int64_t fallback,
                     std::size_t n) -> std::optional<std::vector<std::int64_t>> {
      if (!v) return std::vector<std::int64_t>(n, fallback);
      if (v->size() != n) return std::nullopt;
      return *v;
    };
    auto strides = sized(attrs_.strides, 1, k), dilations = sized(attrs_.dilations, 1, k),
         pads = sized(attrs_.pads, 0, 2 * k), extra = sized(output_padding_, 0, k);
    if (!strides || !dilations || !pads || !extra || (output_shape_ && output_shape_->size() != k))
      return unexpected(invalid_value("strides, dilations, pads, output_padding or output_shape do not fit " +
                                      str(k) + " spatial dims of X " + runtime::shape_text(x.shape())));
    Window win;
    win.out.assign(x.shape().begin() + 2, x.shape().end());
    win.kernel = kernel;
    win.stride = *strides;
    win.dilation = *dilations;
    win.pad_begin.assign(pads->begin(), pads->begin() + static_cast<std::ptrdiff_t>(k));
    win.pad_end.assign(pads->begin() + static_cast<std::ptrdiff_t>(k), pads->end());
    win.in.resize(k);
    for (std::size_t d = 0; d < k; ++d) {
      for (std::int64_t v : {win.stride[d], win.dilation[d], kernel[d], win.pad_begin[d], win.pad_end[d], (*extra)[d]})
        if (v > kMaxOutputElements || v < -kMaxOutputElements)
          return unexpected(invalid_value("stride, dilation, kernel or pad " + str(v) + " is over " +
                                          str(kMaxOutputElements)));
      if (output_shape_ && ((*output_shape_)[d] < 0 || (*output_shape_)[d] > kMaxOutputElements))
        return unexpected(invalid_value("output_shape dim " + str((*output_shape_)[d]) + " is out of range"));
      if (win.stride[d] < 1 || win.dilation[d] < 1 || kernel[d] < 1)
        return unexpected(invalid_value("strides, dilations and kernel dims must be ≥ 1"));
      const std::int64_t full = win.stride[d] * (win.out[d] - 1) + (*extra)[d] + (kernel[d] - 1) * win.dilation[d] + 1;
      std::optional<std::int64_t> target;
      if (output_shape_) target = (*output_shape_)[d];
      else if (attrs_.auto_pad == AutoPad::kSameUpper || attrs_.auto_pad == AutoPad::kSameLower)
        target = win.out[d] * win.stride[d];
      if (target) {
        // A target larger than the full output extends it at the end (as output_padding).
        const std::int64_t total = full - *target;
        const bool upper = attrs_.auto_pad == AutoPad::kSameUpper;
        win.pad_begin[d] = total <= 0 ? 0 : upper ? total / 2 : total - total / 2;
        win.pad_end[d] = total - win.pad_begin[d];
      } else if (attrs_.auto_pad == AutoPad::kValid) {
        win.pad_begin[d] = win.pad_end[d] = 0;
      } else if (win.pad_end[d] < 0) {
        return unexpected(invalid_value("pad " + str(win.pad_end[d]) + " for spatial dim " + str(d) + " is negative"));
      }
      win.in[d] = full - win.pad_begin[d] - win.pad_end[d];
      if (win.in[d] < 0 || win.pad_begin[d] < 0)
        return unexpected(invalid_value("spatial dim " + str(d) + " of the output would be " + str(win.in[d])));
    }
    if (auto bad = bad_output_shape(nc_shape(x, w.dim(1) * group_, win.in))) return unexpected(invalid_value(*bad));
    if (win.kernel_size() > kMaxOutputElements / std::max<std::int64_t>(win.out_size(), 1))
      return unexpected(invalid_value("kernel " + runtime::shape_text(win.kernel) + " over input " +
                                      runtime::shape_text(win.out) + " writes more than " + str(kMaxOutputElements) +
                                      " positions"));
    return win;
  }

  template <class T>
  void run(const Tensor& x, const Tensor& w, const Tensor* b, const Window& win, Tensor& out) const {
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const std::int64_t n = x.dim(0), c = x.dim(1), cg = c / group_, mg = w.dim(1);
    const std::int64_t K = win.kernel_size(), P = win.out_size(), O = win.in_size();
    const std::vector<std::int64_t> offsets = window_offsets(win);
    const T* xd = x.data<T>();
    const T* wd = w.data<T>();
    T* yd = out.mutable_data<T>();
    Matrix col(mg * K, P);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t g = 0; g < group_; ++g) {
        Eigen::Map<const Matrix> wg(wd + g * cg * mg * K, cg, mg * K);
        Eigen::Map<const Matrix> xg(xd + (i * c + g * cg) * P, cg, P);
        col.noalias() = wg.transpose() * xg;
        for (std::int64_t o = 0; o < mg; ++o) {
          T* plane = yd + (i * mg * group_ + g * mg + o) * O;
          std::fill_n(plane, O, b != nullptr ? b->data<T>()[g * mg + o] : T(0));
          for (std::int64_t kp = 0; kp < K; ++kp) {
            const T* row = col.data() + (o * K + kp) * P;
            const std::int64_t* off = offsets.data() + kp * P;
            for (std::int64_t p = 0; p < P; ++p)
              if (off[p] >= 0) plane[off[p]] += row[p];
          }
        }
      }
  }

  WindowAttrs attrs_;
  std::int64_t group_;
  std::optional<std::vector<std::int64_t>> output_padding_, output_shape_;
};

// ---- Pools --------------------------------------------------------------------------------

Expected<WindowAttrs, std::string> pool_attrs(const onnx::NodeProto& node) {
  auto attrs = WindowAttrs::read(node);
  if (!attrs) return attrs;
  if (!attrs->kernel) return unexpected(std::string("attribute 'kernel_shape' is required"));
  return attrs;
}

class MaxPool final : public Kernel {
 public:
  MaxPool(WindowAttrs attrs, bool column_major) : attrs_(std::move(attrs)), column_major_(column_major) {}
  static Expected<std::unique_ptr<MaxPool>, std::string> create(const KernelInit& init) {
    auto attrs = pool_attrs(init.node);
    if (!attrs) return unexpected(std::move(attrs.error()));
    auto order = int_attr(init.node, "storage_order", 0);
    if (!order) return unexpected(std::move(order.error()));
    return std::make_unique<MaxPool>(std::move(*attrs), *order != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    auto win = resolve(attrs_, x->shape(), *attrs_.kernel);
    if (!win) return std::move(win.error());
    const Shape shape = nc_shape(*x, x->dim(1), win->out);
    Tensor out = Tensor::allocate(x->dtype(), shape);
    const bool want_indices = inv.output_count() > 1;
    Tensor indices = want_indices ? Tensor::allocate(DType::kInt64, shape) : Tensor();
    const std::vector<std::int64_t> offsets = window_offsets(*win);
    const std::int64_t planes = x->dim(0) * x->dim(1), I = win->in_size(), P = win->out_size(), K = win->kernel_size();
    const bool known = PoolTypes::run(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      std::int64_t* id = want_indices ? indices.mutable_data<std::int64_t>() : nullptr;
      for (std::int64_t pl = 0; pl < planes; ++pl)
        for (std::int64_t p = 0; p < P; ++p) {
          T best = std::numeric_limits<T>::lowest();
          std::int64_t at = -1;
          for (std::int64_t kp = 0; kp < K; ++kp) {
            const std::int64_t off = offsets[static_cast<std::size_t>(kp * P + p)];
            if (off >= 0 && (at < 0 || xd[pl * I + off] > best)) {
              best = xd[pl * I + off];
              at = off;
            }
          }
          yd[pl * P + p] = best;
          if (id != nullptr) id[pl * P + p] = pl * I + (column_major_ ? transposed(at, *win) : at);
        }
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    if (want_indices) inv.out(1) = Value::tensor(std::move(indices));
    return OpResult::ok();
  }

 private:
  // A row-major spatial offset as a column-major one (storage_order = 1).
  static std::int64_t transposed(std::int64_t off, const Window& w) {
    if (off < 0) return off;
    std::int64_t result = 0, scale = 1;
    std::vector<std::int64_t> c(w.in.size());
    for (std::size_t d = w.in.size(); d-- > 0;) {
      c[d] = off % w.in[d];
      off /= w.in[d];
    }
    for (std::size_t d = 0; d < w.in.size(); ++d) {
      result += c[d] * scale;
      scale *= w.in[d];
    }
    return result;
  }

  WindowAttrs attrs_;
  bool column_major_;
};

class AveragePool final : public Kernel {
 public:
  AveragePool(WindowAttrs attrs, bool include_pad) : attrs_(std::move(attrs)), include_pad_(include_pad) {}
  static Expected<std::unique_ptr<AveragePool>, std::string> create(const KernelInit& init) {
    auto attrs = pool_attrs(init.node);
    if (!attrs) return unexpected(std::move(attrs.error()));
    auto include = int_attr(init.node, "count_include_pad", 0);
    if (!include) return unexpected(std::move(include.error()));
    return std::make_unique<AveragePool>(std::move(*attrs), *include != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    auto win = resolve(attrs_, x->shape(), *attrs_.kernel);
    if (!win) return std::move(win.error());
    Tensor out = Tensor::allocate(x->dtype(), nc_shape(*x, x->dim(1), win->out));
    const std::vector<std::int64_t> offsets = window_offsets(*win);
    const std::vector<std::int64_t> divisors = include_pad_ ? padded_counts(*win) : std::vector<std::int64_t>{};
    const std::int64_t planes = x->dim(0) * x->dim(1), I = win->in_size(), P = win->out_size(), K = win->kernel_size();
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      for (std::int64_t pl = 0; pl < planes; ++pl)
        for (std::int64_t p = 0; p < P; ++p) {
          T sum = 0;
          std::int64_t count = 0;
          for (std::int64_t kp = 0; kp < K; ++kp) {
            const std::int64_t off = offsets[static_cast<std::size_t>(kp * P + p)];
            if (off >= 0) {
              sum += xd[pl * I + off];
              ++count;
            }
          }
          if (include_pad_) count = divisors[static_cast<std::size_t>(p)];
          yd[pl * P + p] = count > 0 ? sum / static_cast<T>(count) : T(0);
        }
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // Per output position: the window's positions inside the explicitly padded input.
  static std::vector<std::int64_t> padded_counts(const Window& w) {
    const std::size_t k = w.in.size();
    std::vector<std::int64_t> counts(static_cast<std::size_t>(w.out_size()));
    for (std::int64_t p = 0; p < w.out_size(); ++p) {
      std::int64_t r = p, count = 1;
      for (std::size_t d = k; d-- > 0;) {
        const std::int64_t o = r % w.out[d];
        r /= w.out[d];
        std::int64_t inside = 0;
        for (std::int64_t t = 0; t < w.kernel[d]; ++t) {
          const std::int64_t i = o * w.stride[d] - w.pad_begin[d] + t * w.dilation[d];
          if (i >= -w.pad_begin[d] && i < w.in[d] + w.pad_end[d]) ++inside;
        }
        count *= inside;
      }
      counts[static_cast<std::size_t>(p)] = count;
    }
    return counts;
  }

  WindowAttrs attrs_;
  bool include_pad_;
};

// MaxUnpool(X, I[, output_shape]): zeros with each X element written back where
// MaxPool found it (I holds flat offsets into the whole output, as MaxPool's Indices).
class MaxUnpool final : public Kernel {
 public:
  explicit MaxUnpool(WindowAttrs attrs) : attrs_(std::move(attrs)) {}
  static Expected<std::unique_ptr<MaxUnpool>, std::string> create(const KernelInit& init) {
    auto attrs = pool_attrs(init.node);
    if (!attrs) return unexpected(std::move(attrs.error()));
    return std::make_unique<MaxUnpool>(std::move(*attrs));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 1, error);
    if (idx == nullptr) return error;
    const Tensor* shape_t = optional_tensor_in(inv, 2, error);
    if (failed(error)) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    if (idx->shape() != x->shape())
      return shape_mismatch("input I " + runtime::shape_text(idx->shape()) + " must have X's shape " +
                            runtime::shape_text(x->shape()));
    const std::size_t k = x->rank() - 2;
    if (attrs_.kernel->size() != k)
      return invalid_value("attribute kernel_shape has " + str(attrs_.kernel->size()) + " dims for " + str(k) +
                           " spatial dims");
    // The shape MaxPool came from: I's offsets are into it.
    Shape pooled{x->dim(0), x->dim(1)};
    for (std::size_t d = 0; d < k; ++d) {
      const std::int64_t stride = attrs_.strides && attrs_.strides->size() == k ? (*attrs_.strides)[d] : 1;
      const std::int64_t begin = attrs_.pads && attrs_.pads->size() == 2 * k ? (*attrs_.pads)[d] : 0;
      const std::int64_t end = attrs_.pads && attrs_.pads->size() == 2 * k ? (*attrs_.pads)[d + k] : 0;
      for (std::int64_t v : {stride, begin, end, (*attrs_.kernel)[d]})
        if (v < 0 || v > kMaxOutputElements)
          return invalid_value("kernel, stride or pad " + str(v) + " is outside [0, " + str(kMaxOutputElements) + "]");
      pooled.push_back((x->dim(d + 2) - 1) * stride + (*attrs_.kernel)[d] - begin - end);
    }
    if (auto bad = bad_output_shape(pooled)) return invalid_value(*bad);
    Shape shape = pooled;
    if (shape_t != nullptr) {
      auto dims = int_values(*shape_t, "input output_shape");
      if (!dims) return OpResult::fail(Reason::kTypeMismatch, dims.error());
      shape.assign(dims->begin(), dims->end());
      bool fits = shape.size() == x->rank();
      for (std::size_t d = 0; fits && d < shape.size(); ++d) fits = shape[d] >= pooled[d] && (d >= 2 || shape[d] == pooled[d]);
      if (!fits)
        return shape_mismatch("input output_shape " + runtime::shape_text(shape) + " must hold the unpooled shape " +
                              runtime::shape_text(pooled));
      if (auto bad = bad_output_shape(shape)) return invalid_value(*bad);
    }
    auto offsets = int_values(*idx, "input I");
    if (!offsets) return OpResult::fail(Reason::kTypeMismatch, offsets.error());
    const std::int64_t pooled_size = runtime::element_count(pooled);
    for (std::int64_t& i : *offsets) {
      if (i < 0 || i >= pooled_size)
        return invalid_value("input I holds " + str(i) + ", outside [0, " + str(pooled_size - 1) + "]");
      i = relocate(i, pooled, shape);
    }
    Tensor out = Tensor::zeros(x->dtype(), shape);
    const bool known = dispatch_numeric(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      for (std::size_t j = 0; j < offsets->size(); ++j) yd[(*offsets)[j]] = xd[j];
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // A row-major offset into `from` as the same coordinates' offset into `to`.
  static std::int64_t relocate(std::int64_t offset, const Shape& from, const Shape& to) {
    std::int64_t result = 0, scale = 1;
    for (std::size_t d = from.size(); d-- > 0;) {
      result += offset % from[d] * scale;
      offset /= from[d];
      scale *= to[d];
    }
    return result;
  }

  WindowAttrs attrs_;
};

// GlobalAveragePool / GlobalMaxPool: one value per (n, c), spatial dims kept as 1.
template <bool kMax>
class GlobalPool final : public Kernel {
 public:
  static Expected<std::unique_ptr<GlobalPool>, std::string> create(const KernelInit&) {
    return std::make_unique<GlobalPool>();
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    Shape shape = x->shape();
    std::int64_t area = 1;
    for (std::size_t d = 2; d < shape.size(); ++d) {
      area *= shape[d];
      shape[d] = 1;
    }
    Tensor out = Tensor::allocate(x->dtype(), shape);
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      for (std::int64_t pl = 0; pl < x->dim(0) * x->dim(1); ++pl) {
        T acc = kMax ? -std::numeric_limits<T>::infinity() : T(0);
        for (std::int64_t i = 0; i < area; ++i) acc = kMax ? std::max(acc, xd[pl * area + i]) : acc + xd[pl * area + i];
        yd[pl] = kMax ? acc : (area > 0 ? acc / static_cast<T>(area) : T(0));
      }
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }
};

// ---- Normalizations ---------------------------------------------------------------------------

// Per-channel parameter inputs: each a 1-D tensor of C elements of X's type.
OpResult per_channel(const Invocation& inv, std::uint32_t from, std::uint32_t count, const Tensor& x,
                     std::vector<const Tensor*>& out) {
  static constexpr const char* kNames[] = {"", "scale", "B", "input_mean", "input_var"};
  OpResult error;
  for (std::uint32_t i = from; i < from + count; ++i) {
    const Tensor* t = tensor_in(inv, i, error);
    if (t == nullptr) return error;
    if (t->dtype() != x.dtype())
      return OpResult::fail(Reason::kTypeMismatch, std::string("input ") + kNames[i] + " has element type " +
                                                       runtime::to_string(t->dtype()) + ", X has " +
                                                       runtime::to_string(x.dtype()));
    if (t->rank() != 1 || t->dim(0) != x.dim(1))
      return shape_mismatch(std::string("input ") + kNames[i] + " " + runtime::shape_text(t->shape()) + " must be [" +
                            str(x.dim(1)) + "] for X " + runtime::shape_text(x.shape()));
    out.push_back(t);
  }
  return OpResult::ok();
}

class BatchNormalization final : public Kernel {
 public:
  BatchNormalization(float epsilon, float momentum, bool training)
      : epsilon_(epsilon), momentum_(momentum), training_(training) {}
  static Expected<std::unique_ptr<BatchNormalization>, std::string> create(const KernelInit& init) {
    auto eps = float_attr(init.node, "epsilon", 1e-5f);
    if (!eps) return unexpected(std::move(eps.error()));
    auto momentum = float_attr(init.node, "momentum", 0.9f);
    if (!momentum) return unexpected(std::move(momentum.error()));
    auto training = int_attr(init.node, "training_mode", 0);
    if (!training) return unexpected(std::move(training.error()));
    return std::make_unique<BatchNormalization>(*eps, *momentum, *training != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (x->rank() < 2) return shape_mismatch("input X must be N × C × …, got " + runtime::shape_text(x->shape()));
    std::vector<const Tensor*> p;
    if (OpResult r = per_channel(inv, 1, 4, *x, p); failed(r)) return r;
    OpResult result = type_mismatch("input X", x->dtype());
    dispatch_float(x->dtype(), [&](auto tag) { result = run<decltype(tag)>(inv, *x, p); });
    return result;
  }

 private:
  template <class T>
  OpResult run(Invocation& inv, const Tensor& x, const std::vector<const Tensor*>& p) const {
    const std::int64_t n = x.dim(0), c = x.dim(1), area = x.size() / std::max<std::int64_t>(n * c, 1);
    const T *scale = p[0]->data<T>(), *bias = p[1]->data<T>(), *mean = p[2]->data<T>(), *var = p[3]->data<T>();
    std::vector<T> use_mean(mean, mean + c), use_var(var, var + c);
    const T* xd = x.data<T>();
    if (training_) {  // batch statistics (population variance), as the reference does
      for (std::int64_t ch = 0; ch < c; ++ch) {
        double sum = 0, sq = 0;
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t a = 0; a < area; ++a) sum += xd[(i * c + ch) * area + a];
        const double count = static_cast<double>(n * area), mu = count > 0 ? sum / count : 0;
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t a = 0; a < area; ++a) sq += std::pow(xd[(i * c + ch) * area + a] - mu, 2);
        use_mean[static_cast<std::size_t>(ch)] = static_cast<T>(mu);
        use_var[static_cast<std::size_t>(ch)] = static_cast<T>(count > 0 ? sq / count : 0);
      }
    }
    Tensor out = Tensor::allocate(x.dtype(), x.shape());
    T* yd = out.mutable_data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t ch = 0; ch < c; ++ch) {
        const auto k = static_cast<std::size_t>(ch);
        const T a = scale[ch] / std::sqrt(use_var[k] + static_cast<T>(epsilon_));
        const T b = bias[ch] - a * use_mean[k];
        for (std::int64_t e = (i * c + ch) * area, end = e + area; e < end; ++e) yd[e] = a * xd[e] + b;
      }
    inv.out(0) = Value::tensor(std::move(out));
    if (training_) {
      const T m = static_cast<T>(momentum_);
      for (std::uint32_t j = 1; j < 3 && j < inv.output_count(); ++j) {
        Tensor running = Tensor::allocate(x.dtype(), {c});
        const T* old = j == 1 ? mean : var;
        const std::vector<T>& batch = j == 1 ? use_mean : use_var;
        for (std::int64_t ch = 0; ch < c; ++ch)
          running.mutable_data<T>()[ch] = old[ch] * m + batch[static_cast<std::size_t>(ch)] * (T(1) - m);
        inv.out(j) = Value::tensor(std::move(running));
      }
    }
    return OpResult::ok();
  }

  float epsilon_, momentum_;
  bool training_;
};

class InstanceNormalization final : public Kernel {
 public:
  explicit InstanceNormalization(float epsilon) : epsilon_(epsilon) {}
  static Expected<std::unique_ptr<InstanceNormalization>, std::string> create(const KernelInit& init) {
    auto eps = float_attr(init.node, "epsilon", 1e-5f);
    if (!eps) return unexpected(std::move(eps.error()));
    return std::make_unique<InstanceNormalization>(*eps);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    std::vector<const Tensor*> p;
    if (OpResult r = per_channel(inv, 1, 2, *x, p); failed(r)) return r;
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const std::int64_t c = x->dim(1), area = x->size() / std::max<std::int64_t>(x->dim(0) * c, 1);
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      for (std::int64_t pl = 0; pl < x->dim(0) * c; ++pl) {
        const T* in = xd + pl * area;
        double sum = 0, sq = 0;
        for (std::int64_t a = 0; a < area; ++a) sum += in[a];
        const double mu = area > 0 ? sum / static_cast<double>(area) : 0;
        for (std::int64_t a = 0; a < area; ++a) sq += (in[a] - mu) * (in[a] - mu);
        const double var = area > 0 ? sq / static_cast<double>(area) : 0;
        const double k = p[0]->data<T>()[pl % c] / std::sqrt(var + epsilon_);
        for (std::int64_t a = 0; a < area; ++a)
          yd[pl * area + a] = static_cast<T>((in[a] - mu) * k + p[1]->data<T>()[pl % c]);
      }
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  float epsilon_;
};

class Lrn final : public Kernel {
 public:
  Lrn(float alpha, float beta, float bias, std::int64_t size) : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}
  static Expected<std::unique_ptr<Lrn>, std::string> create(const KernelInit& init) {
    auto alpha = float_attr(init.node, "alpha", 1e-4f);
    if (!alpha) return unexpected(std::move(alpha.error()));
    auto beta = float_attr(init.node, "beta", 0.75f);
    if (!beta) return unexpected(std::move(beta.error()));
    auto bias = float_attr(init.node, "bias", 1.0f);
    if (!bias) return unexpected(std::move(bias.error()));
    auto size = int_attr(init.node, "size", 0);
    if (!size) return unexpected(std::move(size.error()));
    if (*size < 1) return unexpected("attribute size " + str(*size) + " must be ≥ 1");
    return std::make_unique<Lrn>(*alpha, *beta, *bias, *size);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    if (OpResult r = check_nc(*x, "input X"); failed(r)) return r;
    Tensor out = Tensor::allocate(x->dtype(), x->shape());
    const bool known = dispatch_float(x->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const std::int64_t n = x->dim(0), c = x->dim(1), area = x->size() / std::max<std::int64_t>(n * c, 1);
      const std::int64_t below = (size_ - 1) / 2, above = size_ - 1 - below;
      const T* xd = x->data<T>();
      T* yd = out.mutable_data<T>();
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t ch = 0; ch < c; ++ch)
          for (std::int64_t a = 0; a < area; ++a) {
            double sq = 0;
            for (std::int64_t k = std::max<std::int64_t>(0, ch - below); k <= std::min(c - 1, ch + above); ++k) {
              const double v = xd[(i * c + k) * area + a];
              sq += v * v;
            }
            const std::int64_t e = (i * c + ch) * area + a;
            yd[e] = static_cast<T>(xd[e] / std::pow(bias_ + alpha_ / static_cast<double>(size_) * sq, beta_));
          }
    });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  float alpha_, beta_, bias_;
  std::int64_t size_;
};

// Dropout at inference: Y is X (shared, no copy) and the mask is all true. Training
// mode with a non-zero ratio would need random masks matching no reference: refused.
class Dropout final : public Kernel {
 public:
  static Expected<std::unique_ptr<Dropout>, std::string> create(const KernelInit&) {
    return std::make_unique<Dropout>();
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* ratio = optional_tensor_in(inv, 1, error);
    if (failed(error)) return error;
    const Tensor* training = optional_tensor_in(inv, 2, error);
    if (failed(error)) return error;
    if (training != nullptr && training->dtype() == DType::kBool && training->size() == 1 &&
        training->data<bool>()[0]) {
      double r = 0.5;
      if (ratio != nullptr && ratio->size() == 1)
        dispatch_float(ratio->dtype(), [&](auto tag) { r = static_cast<double>(ratio->data<decltype(tag)>()[0]); });
      if (r != 0) return invalid_value("training-mode Dropout with ratio " + std::to_string(r) + " is not supported");
    }
    inv.out(0) = Value::tensor(*x);
    if (inv.output_count() > 1) {
      Tensor mask = Tensor::allocate(DType::kBool, x->shape());
      std::fill_n(mask.mutable_data<bool>(), mask.size(), true);
      inv.out(1) = Value::tensor(std::move(mask));
    }
    return OpResult::ok();
  }
};

const OpRegistrar kConv{"", "Conv", OpsetRange{1}, kCompute, &runtime::make_kernel<Conv>, FloatTypes::kNames};
const OpRegistrar kConvTranspose{"", "ConvTranspose", OpsetRange{1}, kCompute, &runtime::make_kernel<ConvTranspose>, FloatTypes::kNames};
const OpRegistrar kMaxPool{"", "MaxPool", OpsetRange{1}, kCompute, &runtime::make_kernel<MaxPool>, PoolTypes::kNames};
const OpRegistrar kMaxUnpool{"", "MaxUnpool", OpsetRange{9}, kCompute, &runtime::make_kernel<MaxUnpool>, NumericTypes::kNames};
const OpRegistrar kAveragePool{"", "AveragePool", OpsetRange{1}, kCompute, &runtime::make_kernel<AveragePool>, FloatTypes::kNames};
const OpRegistrar kGlobalAveragePool{"", "GlobalAveragePool", OpsetRange{1}, kCompute,
                                     &runtime::make_kernel<GlobalPool<false>>, FloatTypes::kNames};
const OpRegistrar kGlobalMaxPool{"", "GlobalMaxPool", OpsetRange{1}, kCompute,
                                 &runtime::make_kernel<GlobalPool<true>>, FloatTypes::kNames};
const OpRegistrar kBatchNormalization{"", "BatchNormalization", OpsetRange{9}, kCompute,
                                      &runtime::make_kernel<BatchNormalization>, FloatTypes::kNames};
const OpRegistrar kInstanceNormalization{"", "InstanceNormalization", OpsetRange{6}, kCompute,
                                         &runtime::make_kernel<InstanceNormalization>, FloatTypes::kNames};
const OpRegistrar kLrn{"", "LRN", OpsetRange{1}, kCompute, &runtime::make_kernel<Lrn>, FloatTypes::kNames};
const OpRegistrar kDropout{"", "Dropout", OpsetRange{7}, kCompute, &runtime::make_kernel<Dropout>, FloatTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
