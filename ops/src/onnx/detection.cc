// ai.onnx object-detection ops: NonMaxSuppression (greedy, per batch and class) and
// RoiAlign (average or max of bilinear samples per output bin), as ONNX Runtime
// computes them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bb/runtime/registry.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::Kernel;
using runtime::KernelInit;
using runtime::Status;

std::string str(std::int64_t v) { return std::to_string(v); }

// The first element of an optional scalar input, or `fallback` when absent.
template <class T>
Expected<T, OpResult> scalar_in(const Invocation& inv, std::uint32_t i, T fallback, std::string_view what) {
  OpResult error;
  const Tensor* t = optional_tensor_in(inv, i, error);
  if (error.status != Status::kOk) return unexpected(std::move(error));
  if (t == nullptr || t->size() == 0) return fallback;
  if (t->dtype() != runtime::dtype_of<T>() || t->size() != 1)
    return unexpected(invalid_value(std::string(what) + " must be one " + runtime::to_string(runtime::dtype_of<T>()) +
                                    ", got " + runtime::to_string(t->dtype()) + runtime::shape_text(t->shape())));
  return t->data<T>()[0];
}

class NonMaxSuppression final : public Kernel {
 public:
  explicit NonMaxSuppression(bool center) : center_(center) {}
  static Expected<std::unique_ptr<NonMaxSuppression>, std::string> create(const KernelInit& init) {
    auto center = int_attr(init.node, "center_point_box", 0);
    if (!center) return unexpected(std::move(center.error()));
    if (*center != 0 && *center != 1) return unexpected("attribute center_point_box " + str(*center) + " is not 0 or 1");
    return std::make_unique<NonMaxSuppression>(*center == 1);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* boxes = tensor_in(inv, 0, error);
    if (boxes == nullptr) return error;
    const Tensor* scores = tensor_in(inv, 1, error);
    if (scores == nullptr) return error;
    if (boxes->dtype() != DType::kFloat) return type_mismatch("input boxes", boxes->dtype());
    if (scores->dtype() != DType::kFloat) return type_mismatch("input scores", scores->dtype());
    if (boxes->rank() != 3 || boxes->dim(2) != 4 || scores->rank() != 3 || scores->dim(0) != boxes->dim(0) ||
        scores->dim(2) != boxes->dim(1))
      return shape_mismatch("boxes " + runtime::shape_text(boxes->shape()) + " must be [B,N,4] and scores " +
                            runtime::shape_text(scores->shape()) + " [B,C,N]");
    auto max_out = scalar_in<std::int64_t>(inv, 2, 0, "input max_output_boxes_per_class");
    if (!max_out) return std::move(max_out.error());
    auto iou = scalar_in<float>(inv, 3, 0.0f, "input iou_threshold");
    if (!iou) return std::move(iou.error());
    const bool has_threshold = inv.input_count() > 4 && inv.in(4).has_value();
    auto threshold = scalar_in<float>(inv, 4, 0.0f, "input score_threshold");
    if (!threshold) return std::move(threshold.error());
    const std::int64_t batches = boxes->dim(0), n = boxes->dim(1), classes = scores->dim(1);
    std::vector<std::int64_t> selected;
    const float* bd = boxes->data<float>();
    const float* sd = scores->data<float>();
    for (std::int64_t b = 0; b < batches; ++b)
      for (std::int64_t c = 0; c < classes; ++c) {
        const float* s = sd + (b * classes + c) * n;
        std::vector<std::int64_t> candidates;
        for (std::int64_t i = 0; i < n; ++i)
          if (!has_threshold || s[i] > *threshold) candidates.push_back(i);
        std::stable_sort(candidates.begin(), candidates.end(), [&](std::int64_t x, std::int64_t y) { return s[x] > s[y]; });
        std::vector<std::int64_t> kept;
        for (std::int64_t i : candidates) {
          if (static_cast<std::int64_t>(kept.size()) >= *max_out) break;
          bool suppressed = false;
          for (std::int64_t k : kept)
            if (overlap(bd + (b * n + i) * 4, bd + (b * n + k) * 4) > *iou) {
              suppressed = true;
              break;
            }
          if (suppressed) continue;
          kept.push_back(i);
          selected.insert(selected.end(), {b, c, i});
        }
      }
    Tensor out = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(selected.size() / 3), 3});
    std::copy(selected.begin(), selected.end(), out.mutable_data<std::int64_t>());
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // Intersection over union of two boxes (corners in either order, or centre + size).
  float overlap(const float* a, const float* b) const {
    auto corners = [&](const float* p, float& y1, float& x1, float& y2, float& x2) {
      if (center_) {
        x1 = p[0] - p[2] / 2;
        x2 = p[0] + p[2] / 2;
        y1 = p[1] - p[3] / 2;
        y2 = p[1] + p[3] / 2;
      } else {
        y1 = std::min(p[0], p[2]);
        y2 = std::max(p[0], p[2]);
        x1 = std::min(p[1], p[3]);
        x2 = std::max(p[1], p[3]);
      }
    };
    float ay1, ax1, ay2, ax2, by1, bx1, by2, bx2;
    corners(a, ay1, ax1, ay2, ax2);
    corners(b, by1, bx1, by2, bx2);
    const float iw = std::max(0.0f, std::min(ax2, bx2) - std::max(ax1, bx1));
    const float ih = std::max(0.0f, std::min(ay2, by2) - std::max(ay1, by1));
    const float inter = iw * ih;
    const float area = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    return area <= 0 ? 0.0f : inter / area;
  }

  bool center_;
};

// RoiAlign(X [N,C,H,W], rois [R,4] as x1,y1,x2,y2, batch_indices [R]) → [R,C,oh,ow].
// Opset 10 knows only output_half_pixel coordinates; 16 adds half_pixel, its default.
template <bool kHalfPixelDefault>
class RoiAlign final : public Kernel {
 public:
  struct Attrs {
    bool max = false, half_pixel = true;
    std::int64_t height = 1, width = 1, sampling = 0;
    float scale = 1;
  };
  explicit RoiAlign(Attrs a) : a_(a) {}
  static Expected<std::unique_ptr<RoiAlign>, std::string> create(const KernelInit& init) {
    Attrs a;
    auto mode = string_attr(init.node, "mode", "avg");
    if (!mode) return unexpected(std::move(mode.error()));
    if (*mode != "avg" && *mode != "max")
      return unexpected("attribute mode '" + std::string(*mode) + "' is not avg or max");
    a.max = *mode == "max";
    auto ctm = string_attr(init.node, "coordinate_transformation_mode",
                           kHalfPixelDefault ? "half_pixel" : "output_half_pixel");
    if (!ctm) return unexpected(std::move(ctm.error()));
    if (*ctm != "half_pixel" && *ctm != "output_half_pixel")
      return unexpected("attribute coordinate_transformation_mode '" + std::string(*ctm) +
                        "' is not half_pixel or output_half_pixel");
    a.half_pixel = *ctm == "half_pixel";
    for (auto [name, field, fallback_value] : {std::tuple{"output_height", &a.height, std::int64_t{1}},
                                               std::tuple{"output_width", &a.width, std::int64_t{1}},
                                               std::tuple{"sampling_ratio", &a.sampling, std::int64_t{0}}}) {
      auto v = int_attr(init.node, name, fallback_value);
      if (!v) return unexpected(std::move(v.error()));
      if (*v < 0 || (*v == 0 && fallback_value == 1) || *v > (1 << 16))
        return unexpected("attribute " + std::string(name) + " " + str(*v) + " is out of range");
      *field = *v;
    }
    auto scale = float_attr(init.node, "spatial_scale", 1.0f);
    if (!scale) return unexpected(std::move(scale.error()));
    a.scale = *scale;
    return std::make_unique<RoiAlign>(a);
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* rois = tensor_in(inv, 1, error);
    if (rois == nullptr) return error;
    const Tensor* idx = tensor_in(inv, 2, error);
    if (idx == nullptr) return error;
    if (x->dtype() != DType::kFloat) return type_mismatch("input X", x->dtype());
    if (rois->dtype() != DType::kFloat) return type_mismatch("input rois", rois->dtype());
    if (x->rank() != 4 || rois->rank() != 2 || rois->dim(1) != 4 || idx->rank() != 1 || idx->dim(0) != rois->dim(0))
      return shape_mismatch("X " + runtime::shape_text(x->shape()) + ", rois " + runtime::shape_text(rois->shape()) +
                            " and batch_indices " + runtime::shape_text(idx->shape()) + " must be [N,C,H,W], [R,4], [R]");
    auto batch = int_values(*idx, "input batch_indices");
    if (!batch) return OpResult::fail(Reason::kTypeMismatch, batch.error());
    for (std::int64_t b : *batch)
      if (b < 0 || b >= x->dim(0))
        return invalid_value("input batch_indices holds " + str(b) + ", outside [0, " + str(x->dim(0) - 1) + "]");
    const std::int64_t r = rois->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
    Tensor out = Tensor::allocate(DType::kFloat, {r, c, a_.height, a_.width});
    float* yd = out.mutable_data<float>();
    const float* xd = x->data<float>();
    for (std::int64_t i = 0; i < r; ++i) {
      const float* roi = rois->data<float>() + i * 4;
      const double offset = a_.half_pixel ? 0.5 : 0.0;
      const double x0 = roi[0] * a_.scale - offset, y0 = roi[1] * a_.scale - offset;
      double rw = roi[2] * a_.scale - offset - x0, rh = roi[3] * a_.scale - offset - y0;
      if (!a_.half_pixel) {
        rw = std::max(rw, 1.0);
        rh = std::max(rh, 1.0);
      }
      const double bh = rh / static_cast<double>(a_.height), bw = rw / static_cast<double>(a_.width);
      const std::int64_t gh = a_.sampling > 0 ? a_.sampling : static_cast<std::int64_t>(std::ceil(rh / static_cast<double>(a_.height)));
      const std::int64_t gw = a_.sampling > 0 ? a_.sampling : static_cast<std::int64_t>(std::ceil(rw / static_cast<double>(a_.width)));
      const double count = static_cast<double>(std::max<std::int64_t>(gh * gw, 1));
      for (std::int64_t ch = 0; ch < c; ++ch) {
        const float* plane = xd + ((*batch)[static_cast<std::size_t>(i)] * c + ch) * h * w;
        for (std::int64_t ph = 0; ph < a_.height; ++ph)
          for (std::int64_t pw = 0; pw < a_.width; ++pw) {
            double acc = 0;
            bool first = true;
            for (std::int64_t iy = 0; iy < gh; ++iy)
              for (std::int64_t ix = 0; ix < gw; ++ix) {
                const double yy = y0 + static_cast<double>(ph) * bh + (static_cast<double>(iy) + 0.5) * bh / static_cast<double>(gh);
                const double xx = x0 + static_cast<double>(pw) * bw + (static_cast<double>(ix) + 0.5) * bw / static_cast<double>(gw);
                const double v = sample(plane, h, w, yy, xx, a_.max);
                if (a_.max) acc = first ? v : std::max(acc, v);
                else acc += v;
                first = false;
              }
            yd[((i * c + ch) * a_.height + ph) * a_.width + pw] = static_cast<float>(a_.max ? acc : acc / count);
          }
      }
    }
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  // Bilinear sample at (y, x): the weighted sum, or for max mode the largest weighted
  // corner (as ONNX Runtime defines max pooling here).
  static double sample(const float* plane, std::int64_t h, std::int64_t w, double y, double x, bool max) {
    if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return 0;
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    auto yl = static_cast<std::int64_t>(y), xl = static_cast<std::int64_t>(x);
    std::int64_t yh = yl + 1, xh = xl + 1;
    if (yl >= h - 1) {
      yh = yl = h - 1;
      y = static_cast<double>(yl);
    }
    if (xl >= w - 1) {
      xh = xl = w - 1;
      x = static_cast<double>(xl);
    }
    const double ly = y - static_cast<double>(yl), lx = x - static_cast<double>(xl), hy = 1 - ly, hx = 1 - lx;
    const double v1 = hy * hx * plane[yl * w + xl], v2 = hy * lx * plane[yl * w + xh], v3 = ly * hx * plane[yh * w + xl],
                 v4 = ly * lx * plane[yh * w + xh];
    return max ? std::max({v1, v2, v3, v4}) : v1 + v2 + v3 + v4;
  }

  Attrs a_;
};

constexpr auto kCompute = ir::OpKind::kCompute;
const runtime::OpRegistrar kNonMaxSuppression{"", "NonMaxSuppression", runtime::OpsetRange{10}, kCompute,
                                              &runtime::make_kernel<NonMaxSuppression>, OnlyFloat::kNames};
const runtime::OpRegistrar kRoiAlign10{"", "RoiAlign", runtime::OpsetRange{10, 15}, kCompute,
                                       &runtime::make_kernel<RoiAlign<false>>, OnlyFloat::kNames};
const runtime::OpRegistrar kRoiAlign16{"", "RoiAlign", runtime::OpsetRange{16}, kCompute,
                                       &runtime::make_kernel<RoiAlign<true>>, OnlyFloat::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
