// ai.onnx Resize (and the older Upsample) and GridSample. Resize: nearest, linear and cubic interpolation
// over every axis, with ONNX's coordinate transformations (half_pixel,
// pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn,
// tf_crop_and_resize), nearest rounding modes, cubic_coeff_a and exclude_outside.
//
// Interpolation is separable: the tensor is resized one axis at a time, each output
// coordinate a weighted sum of its n nearest inputs (n = 2 for nearest and linear, 4
// for cubic; indices past the edge read the edge), computed in double as the
// reference does.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "bb/runtime/registry.h"
#include "elements.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::Kernel;
using runtime::KernelInit;
using runtime::Status;

std::string str(std::int64_t v) { return std::to_string(v); }

enum class Mode { kNearest, kLinear, kCubic };
enum class Transform { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
enum class Rounding { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct Options {
  Mode mode = Mode::kNearest;
  Transform transform = Transform::kHalfPixel;
  Rounding rounding = Rounding::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0;
};

template <class E>
Expected<E, std::string> pick(const onnx::NodeProto& node, std::string_view name, std::string_view fallback,
                              std::initializer_list<std::pair<std::string_view, E>> choices) {
  auto v = string_attr(node, name, fallback);
  if (!v) return unexpected(std::move(v.error()));
  std::string names;
  for (const auto& [text, value] : choices) {
    if (*v == text) return value;
    names += (names.empty() ? "" : ", ") + std::string(text);
  }
  return unexpected("attribute " + std::string(name) + " '" + std::string(*v) + "' is not one of " + names);
}

Expected<Options, std::string> read_options(const onnx::NodeProto& node, bool legacy) {
  Options o;
  auto mode = pick<Mode>(node, "mode", "nearest",
                         {{"nearest", Mode::kNearest}, {"linear", Mode::kLinear}, {"cubic", Mode::kCubic}});
  if (!mode) return unexpected(std::move(mode.error()));
  o.mode = *mode;
  if (legacy) {  // opset ≤ 10: asymmetric coordinates, nearest rounds down
    o.transform = Transform::kAsymmetric;
    o.rounding = Rounding::kFloor;
    return o;
  }
  auto transform = pick<Transform>(node, "coordinate_transformation_mode", "half_pixel",
                                   {{"half_pixel", Transform::kHalfPixel},
                                    {"pytorch_half_pixel", Transform::kPytorchHalfPixel},
                                    {"align_corners", Transform::kAlignCorners},
                                    {"asymmetric", Transform::kAsymmetric},
                                    {"tf_half_pixel_for_nn", Transform::kTfHalfPixelForNn},
                                    {"tf_crop_and_resize", Transform::kTfCropAndResize}});
  if (!transform) return unexpected(std::move(transform.error()));
  o.transform = *transform;
  auto rounding = pick<Rounding>(node, "nearest_mode", "round_prefer_floor",
                                 {{"round_prefer_floor", Rounding::kRoundPreferFloor},
                                  {"round_prefer_ceil", Rounding::kRoundPreferCeil},
                                  {"floor", Rounding::kFloor},
                                  {"ceil", Rounding::kCeil}});
  if (!rounding) return unexpected(std::move(rounding.error()));
  o.rounding = *rounding;
  auto a = float_attr(node, "cubic_coeff_a", -0.75f);
  if (!a) return unexpected(std::move(a.error()));
  o.cubic_a = *a;
  auto exclude = int_attr(node, "exclude_outside", 0);
  if (!exclude) return unexpected(std::move(exclude.error()));
  o.exclude_outside = *exclude != 0;
  auto extrapolation = float_attr(node, "extrapolation_value", 0.0f);
  if (!extrapolation) return unexpected(std::move(extrapolation.error()));
  o.extrapolation = *extrapolation;
  return o;
}

// The weights of the n neighbours for a fractional position `ratio` (1 when the
// position is an integer, as the reference defines).
std::vector<double> coefficients(const Options& o, double ratio, bool integer) {
  switch (o.mode) {
    case Mode::kNearest: {
      if (integer) return {0, 1};
      switch (o.rounding) {
        case Rounding::kRoundPreferFloor: return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
        case Rounding::kRoundPreferCeil: return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
        case Rounding::kFloor: return {1, 0};
        case Rounding::kCeil: return {0, 1};
      }
      return {0, 1};
    }
    case Mode::kLinear: return {1 - ratio, ratio};
    case Mode::kCubic: {
      const double A = o.cubic_a, r = ratio, s = 1 - ratio;
      return {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
              ((A + 2) * r - (A + 3)) * r * r + 1,
              ((A + 2) * s - (A + 3)) * s * s + 1,
              ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
    }
  }
  return {};
}

// One output coordinate along an axis: its neighbours (clamped into the input) and
// weights, or the extrapolation value.
struct Tap {
  std::vector<std::int64_t> index;
  std::vector<double> weight;
  bool extrapolate = false;
};

std::vector<Tap> taps(const Options& o, std::int64_t in, std::int64_t out, double scale, double roi_start,
                      double roi_end) {
  std::vector<Tap> result(static_cast<std::size_t>(out));
  const double out_width = scale * static_cast<double>(in);
  for (std::int64_t x = 0; x < out; ++x) {
    Tap& t = result[static_cast<std::size_t>(x)];
    const double xd = static_cast<double>(x);
    double pos = 0;
    switch (o.transform) {
      case Transform::kAlignCorners: pos = out_width == 1 ? 0 : xd * static_cast<double>(in - 1) / (out_width - 1); break;
      case Transform::kAsymmetric: pos = xd / scale; break;
      case Transform::kTfCropAndResize:
        pos = out_width == 1 ? (roi_end - roi_start) * static_cast<double>(in - 1) / 2
                             : xd * (roi_end - roi_start) * static_cast<double>(in - 1) / (out_width - 1);
        pos += roi_start * static_cast<double>(in - 1);
        if (pos < 0 || pos > static_cast<double>(in - 1)) {
          t.extrapolate = true;
          continue;
        }
        break;
      case Transform::kPytorchHalfPixel: pos = out_width == 1 ? -0.5 : (xd + 0.5) / scale - 0.5; break;
      case Transform::kHalfPixel: pos = (xd + 0.5) / scale - 0.5; break;
      case Transform::kTfHalfPixelForNn: pos = (xd + 0.5) / scale; break;
    }
    const double floor = std::floor(pos);
    const bool integer = floor == pos;
    std::vector<double> w = coefficients(o, integer ? 1.0 : pos - floor, integer);
    const auto n = static_cast<std::int64_t>(w.size());
    const std::int64_t first = static_cast<std::int64_t>(floor) - (integer ? n / 2 : n / 2 - 1);
    double sum = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int64_t i = first + k;
      if (o.exclude_outside && (i < 0 || i >= in)) w[static_cast<std::size_t>(k)] = 0;
      sum += w[static_cast<std::size_t>(k)];
      t.index.push_back(std::clamp<std::int64_t>(i, 0, in - 1));
    }
    if (o.exclude_outside && sum != 0)
      for (double& v : w) v /= sum;
    t.weight = std::move(w);
  }
  return result;
}

// Resizes `data` (shape `shape`) along `axis` to `out` elements.
std::vector<double> resize_axis(const std::vector<double>& data, Shape& shape, std::size_t axis,
                                const std::vector<Tap>& tp, double extrapolation) {
  std::int64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= shape[d];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t in = shape[axis], out = static_cast<std::int64_t>(tp.size());
  std::vector<double> result(static_cast<std::size_t>(outer * out * inner));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t x = 0; x < out; ++x) {
      const Tap& t = tp[static_cast<std::size_t>(x)];
      double* dst = result.data() + (o * out + x) * inner;
      if (t.extrapolate) {
        std::fill_n(dst, inner, extrapolation);
        continue;
      }
      std::fill_n(dst, inner, 0.0);
      for (std::size_t k = 0; k < t.index.size(); ++k) {
        if (t.weight[k] == 0) continue;
        const double* src = data.data() + (o * in + t.index[k]) * inner;
        for (std::int64_t e = 0; e < inner; ++e) dst[e] += t.weight[k] * src[e];
      }
    }
  shape[axis] = out;
  return result;
}

// Resize at every opset: `legacy` (Upsample, Resize 10) takes X and scales; 11+ takes
// X, roi, scales and sizes.
template <bool kLegacy>
class Resize final : public Kernel {
 public:
  explicit Resize(Options options) : options_(options) {}
  static Expected<std::unique_ptr<Resize>, std::string> create(const KernelInit& init) {
    auto o = read_options(init.node, kLegacy);
    if (!o) return unexpected(std::move(o.error()));
    if (kLegacy && o->mode == Mode::kCubic) return unexpected(std::string("attribute mode 'cubic' needs opset 11"));
    return std::make_unique<Resize>(*o);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const std::size_t rank = x->rank();
    const Tensor* roi_t = kLegacy ? nullptr : optional_tensor_in(inv, 1, error);
    const Tensor* scales_t = optional_tensor_in(inv, kLegacy ? 1 : 2, error);
    const Tensor* sizes_t = kLegacy ? nullptr : optional_tensor_in(inv, 3, error);
    if (error.status != Status::kOk) return error;
    std::vector<double> scales(rank, 1.0), roi;
    Shape out(x->shape());
    if (sizes_t != nullptr && sizes_t->size() > 0) {
      auto sizes = int_values(*sizes_t, "input sizes");
      if (!sizes) return OpResult::fail(Reason::kTypeMismatch, sizes.error());
      if (sizes->size() != rank)
        return shape_mismatch("input sizes has " + str(sizes->size()) + " entries for X of rank " + str(rank));
      for (std::size_t d = 0; d < rank; ++d) {
        if ((*sizes)[d] < 0) return invalid_value("input sizes holds " + str((*sizes)[d]) + " for axis " + str(d));
        out[d] = (*sizes)[d];
        scales[d] = x->dim(d) == 0 ? 1.0 : static_cast<double>(out[d]) / static_cast<double>(x->dim(d));
      }
    } else if (scales_t != nullptr && scales_t->size() > 0) {
      if (scales_t->dtype() != DType::kFloat) return type_mismatch("input scales", scales_t->dtype());
      if (static_cast<std::size_t>(scales_t->size()) != rank)
        return shape_mismatch("input scales has " + str(scales_t->size()) + " entries for X of rank " + str(rank));
      for (std::size_t d = 0; d < rank; ++d) {
        scales[d] = scales_t->data<float>()[d];
        if (!(scales[d] > 0)) return invalid_value("scale " + std::to_string(scales[d]) + " for axis " + str(d) + " must be > 0");
        if (!(scales[d] * static_cast<double>(x->dim(d)) <= static_cast<double>(kMaxOutputElements)))
          return invalid_value("scale " + std::to_string(scales[d]) + " for axis " + str(d) + " is too large");
        out[d] = static_cast<std::int64_t>(scales[d] * static_cast<double>(x->dim(d)));
      }
    } else {
      return invalid_value("Resize needs input scales or sizes");
    }
    if (auto bad = bad_output_shape(out)) return invalid_value(*bad);
    if (roi_t != nullptr && roi_t->size() > 0) {
      if (static_cast<std::size_t>(roi_t->size()) != 2 * rank)
        return shape_mismatch("input roi has " + str(roi_t->size()) + " entries, X of rank " + str(rank) + " needs " +
                              str(2 * rank));
      if (!dispatch_float(roi_t->dtype(), [&](auto tag) {
            for (auto v : roi_t->values<decltype(tag)>()) roi.push_back(static_cast<double>(v));
          }))
        return type_mismatch("input roi", roi_t->dtype());
    }
    std::vector<double> data;
    const bool known = read(*x, data);
    if (!known) return type_mismatch("input X", x->dtype());
    Shape shape(x->shape());
    for (std::size_t d = 0; d < rank; ++d) {
      if (x->dim(d) == 0 || out[d] == 0) {
        shape[d] = out[d];
        data.assign(static_cast<std::size_t>(runtime::element_count(shape)), 0.0);
        continue;
      }
      const double start = roi.empty() ? 0 : roi[d], end = roi.empty() ? 1 : roi[d + rank];
      data = resize_axis(data, shape, d, taps(options_, x->dim(d), out[d], scales[d], start, end),
                         options_.extrapolation);
    }
    Tensor result = Tensor::allocate(x->dtype(), out);
    write(data, result);
    inv.out(0) = Value::tensor(std::move(result));
    return OpResult::ok();
  }

 private:
  static bool read(const Tensor& x, std::vector<double>& data) {
    return dispatch_numeric(x.dtype(), [&](auto tag) {
      for (auto v : x.values<decltype(tag)>()) data.push_back(static_cast<double>(v));
    });
  }
  static void write(const std::vector<double>& data, Tensor& out) {
    dispatch_numeric(out.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* o = out.mutable_data<T>();
      for (std::size_t i = 0; i < data.size(); ++i) {
        if constexpr (std::is_integral_v<T>) o[i] = static_cast<T>(std::nearbyint(data[i]));
        else o[i] = static_cast<T>(data[i]);
      }
    });
  }

  Options options_;
};

// ---- GridSample ----------------------------------------------------------------------------

// GridSample(X [N,C,H,W], grid [N,Ho,Wo,2]): X sampled at the grid's normalized (x, y)
// positions in [-1, 1], bilinear, nearest (half to even) or bicubic, with zeros,
// border or reflection padding, as PyTorch's grid_sample (the reference) computes.
enum class Sampling { kBilinear, kNearest, kBicubic };
enum class Padding { kZeros, kBorder, kReflection };

class GridSample final : public Kernel {
 public:
  GridSample(Sampling mode, Padding padding, bool align) : mode_(mode), padding_(padding), align_(align) {}
  static Expected<std::unique_ptr<GridSample>, std::string> create(const KernelInit& init) {
    auto mode = pick<Sampling>(init.node, "mode", "bilinear",
                               {{"bilinear", Sampling::kBilinear}, {"nearest", Sampling::kNearest},
                                {"bicubic", Sampling::kBicubic}});
    if (!mode) return unexpected(std::move(mode.error()));
    auto padding = pick<Padding>(init.node, "padding_mode", "zeros",
                                 {{"zeros", Padding::kZeros}, {"border", Padding::kBorder},
                                  {"reflection", Padding::kReflection}});
    if (!padding) return unexpected(std::move(padding.error()));
    auto align = int_attr(init.node, "align_corners", 0);
    if (!align) return unexpected(std::move(align.error()));
    return std::make_unique<GridSample>(*mode, *padding, *align != 0);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* grid = tensor_in(inv, 1, error);
    if (grid == nullptr) return error;
    if (x->rank() != 4 || grid->rank() != 4 || grid->dim(0) != x->dim(0) || grid->dim(3) != 2)
      return shape_mismatch("X " + runtime::shape_text(x->shape()) + " must be [N,C,H,W] and grid " +
                            runtime::shape_text(grid->shape()) + " [N,H_out,W_out,2]");
    if (grid->dtype() != x->dtype()) return type_mismatch("input grid", grid->dtype());
    Tensor out = Tensor::allocate(x->dtype(), {x->dim(0), x->dim(1), grid->dim(1), grid->dim(2)});
    const bool known = dispatch_float(x->dtype(), [&](auto tag) { run<decltype(tag)>(*x, *grid, out); });
    if (!known) return type_mismatch("input X", x->dtype());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  double unnormalize(double c, std::int64_t size) const {
    return align_ ? (c + 1) / 2 * static_cast<double>(size - 1) : ((c + 1) * static_cast<double>(size) - 1) / 2;
  }
  static double reflect(double c, double twice_low, double twice_high) {
    if (twice_low == twice_high) return 0;
    const double low = twice_low / 2, span = (twice_high - twice_low) / 2;
    c = std::fabs(c - low);
    const double extra = std::fmod(c, span);
    const auto flips = static_cast<std::int64_t>(std::floor(c / span));
    return flips % 2 == 0 ? extra + low : span - extra + low;
  }
  // A coordinate under the padding mode (border and reflection keep it inside).
  double pad(double c, std::int64_t size) const {
    const double hi = static_cast<double>(size - 1);
    if (padding_ == Padding::kBorder) return std::clamp(c, 0.0, hi);
    if (padding_ == Padding::kReflection) {
      const double n = static_cast<double>(size);
      c = align_ ? reflect(c, 0, 2 * hi) : reflect(c, -1, 2 * n - 1);
      return std::clamp(c, 0.0, hi);
    }
    return c;
  }
  template <class T>
  static double at(const T* plane, std::int64_t h, std::int64_t w, std::int64_t y, std::int64_t x) {
    return y < 0 || y >= h || x < 0 || x >= w ? 0.0 : static_cast<double>(plane[y * w + x]);
  }
  static std::array<double, 4> cubic(double t) {
    constexpr double A = -0.75;
    auto near = [](double v) { return ((A + 2) * v - (A + 3)) * v * v + 1; };
    auto far = [](double v) { return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A; };
    return {far(t + 1), near(t), near(1 - t), far(2 - t)};
  }

  template <class T>
  void run(const Tensor& x, const Tensor& grid, Tensor& out) const {
    const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
    const std::int64_t ho = grid.dim(1), wo = grid.dim(2);
    const T* xd = x.data<T>();
    const T* gd = grid.data<T>();
    T* yd = out.mutable_data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t p = 0; p < ho * wo; ++p) {
        const double gx = static_cast<double>(gd[(i * ho * wo + p) * 2]);
        const double gy = static_cast<double>(gd[(i * ho * wo + p) * 2 + 1]);
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const T* plane = xd + (i * c + ch) * h * w;
          yd[(i * c + ch) * ho * wo + p] = static_cast<T>(sample(plane, h, w, gx, gy));
        }
      }
  }

  template <class T>
  double sample(const T* plane, std::int64_t h, std::int64_t w, double gx, double gy) const {
    if (mode_ == Sampling::kBicubic) {
      const double ux = unnormalize(gx, w), uy = unnormalize(gy, h);
      const double fx = std::floor(ux), fy = std::floor(uy);
      const auto cx = cubic(ux - fx), cy = cubic(uy - fy);
      double sum = 0;
      for (int j = 0; j < 4; ++j)
        for (int k = 0; k < 4; ++k) {
          const auto yy = static_cast<std::int64_t>(pad(fy - 1 + j, h));
          const auto xx = static_cast<std::int64_t>(pad(fx - 1 + k, w));
          sum += cy[static_cast<std::size_t>(j)] * cx[static_cast<std::size_t>(k)] * at(plane, h, w, yy, xx);
        }
      return sum;
    }
    const double ix = pad(unnormalize(gx, w), w), iy = pad(unnormalize(gy, h), h);
    if (mode_ == Sampling::kNearest)
      return at(plane, h, w, static_cast<std::int64_t>(std::nearbyint(iy)), static_cast<std::int64_t>(std::nearbyint(ix)));
    const double x0 = std::floor(ix), y0 = std::floor(iy), tx = ix - x0, ty = iy - y0;
    const auto xi = static_cast<std::int64_t>(x0), yi = static_cast<std::int64_t>(y0);
    return at(plane, h, w, yi, xi) * (1 - tx) * (1 - ty) + at(plane, h, w, yi, xi + 1) * tx * (1 - ty) +
           at(plane, h, w, yi + 1, xi) * (1 - tx) * ty + at(plane, h, w, yi + 1, xi + 1) * tx * ty;
  }

  Sampling mode_;
  Padding padding_;
  bool align_;
};

constexpr auto kCompute = ir::OpKind::kCompute;
const runtime::OpRegistrar kGridSample{"", "GridSample", runtime::OpsetRange{16}, kCompute,
                                       &runtime::make_kernel<GridSample>, FloatTypes::kNames};
const runtime::OpRegistrar kUpsample{"", "Upsample", runtime::OpsetRange{9, 9}, kCompute,
                                     &runtime::make_kernel<Resize<true>>, NumericTypes::kNames};
const runtime::OpRegistrar kResize10{"", "Resize", runtime::OpsetRange{10, 10}, kCompute,
                                     &runtime::make_kernel<Resize<true>>, NumericTypes::kNames};
const runtime::OpRegistrar kResize11{"", "Resize", runtime::OpsetRange{11}, kCompute,
                                     &runtime::make_kernel<Resize<false>>, NumericTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
