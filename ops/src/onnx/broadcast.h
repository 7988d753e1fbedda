// Numpy-style (multidirectional) broadcasting for the ai.onnx kernels: the shape two
// or more inputs broadcast to, and element-wise loops over broadcast inputs with fast
// paths for equal shapes and scalars.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "bb/ir/expected.h"
#include "bb/runtime/tensor.h"

namespace bb::ops::onnx_ops {

using runtime::Shape;
using runtime::Tensor;

// The broadcast of `a` and `b` (dims aligned from the right; each pair equal or one of
// them 1), or a sentence naming both shapes.
inline Expected<Shape, std::string> broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return unexpected("shapes " + runtime::shape_text(a) + " and " + runtime::shape_text(b) +
                        " do not broadcast (dim " + std::to_string(i) + ": " + std::to_string(da) + " vs " +
                        std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Strides (in elements) of `shape` seen as `out_rank` dims broadcast to `out`: 0 along
// broadcast dims.
inline Shape broadcast_strides(const Shape& shape, const Shape& out) {
  Shape strides(out.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    const std::size_t i = shape.size() - 1 - k;
    const std::size_t o = out.size() - 1 - k;
    strides[o] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

// Calls f(out_index, offset_a, offset_b) for every element of `out`, in row-major
// order, with the offsets of the broadcast inputs. The innermost dimension runs as a
// plain loop.
template <class F>
void for_each_broadcast(const Shape& out, const Shape& sa, const Shape& sb, F f) {
  const std::int64_t total = runtime::element_count(out);
  if (total <= 0) return;
  const std::size_t rank = out.size();
  if (rank == 0) {
    f(0, 0, 0);
    return;
  }
  const std::int64_t inner = out[rank - 1];
  const std::int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  Shape index(rank, 0);
  std::int64_t oa = 0, ob = 0;
  for (std::int64_t o = 0; o < total; o += inner) {
    for (std::int64_t k = 0; k < inner; ++k) f(o + k, oa + k * ia, ob + k * ib);
    // Advance the outer index (odometer), keeping the input offsets in step.
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < out[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= sa[d] * (out[d] - 1);
      ob -= sb[d] * (out[d] - 1);
      index[d] = 0;
    }
  }
}

// The broadcast of three shapes (Where), or a sentence naming the shapes.
inline Expected<Shape, std::string> broadcast_shapes(const Shape& a, const Shape& b, const Shape& c) {
  auto ab = broadcast_shapes(a, b);
  if (!ab) return ab;
  auto abc = broadcast_shapes(*ab, c);
  if (!abc)
    return unexpected("shapes " + runtime::shape_text(a) + ", " + runtime::shape_text(b) + " and " +
                      runtime::shape_text(c) + " do not broadcast");
  return abc;
}

// Calls f(out_index, offset_a, offset_b, offset_c) for every element of `out` over three
// broadcast inputs (strides from broadcast_strides), in row-major order.
template <class F>
void for_each_broadcast(const Shape& out, const Shape& sa, const Shape& sb, const Shape& sc, F f) {
  const std::int64_t total = runtime::element_count(out);
  if (total <= 0) return;
  const std::size_t rank = out.size();
  if (rank == 0) {
    f(0, 0, 0, 0);
    return;
  }
  const std::int64_t inner = out[rank - 1];
  const std::int64_t ia = sa[rank - 1], ib = sb[rank - 1], ic = sc[rank - 1];
  Shape index(rank, 0);
  std::int64_t oa = 0, ob = 0, oc = 0;
  for (std::int64_t o = 0; o < total; o += inner) {
    for (std::int64_t k = 0; k < inner; ++k) f(o + k, oa + k * ia, ob + k * ib, oc + k * ic);
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < out[d]) {
        oa += sa[d];
        ob += sb[d];
        oc += sc[d];
        break;
      }
      oa -= sa[d] * (out[d] - 1);
      ob -= sb[d] * (out[d] - 1);
      oc -= sc[d] * (out[d] - 1);
      index[d] = 0;
    }
  }
}

// out[i] = f(a[i'], b[i'']) over the broadcast of a and b, into a new tensor of type R.
// Equal shapes and scalar operands take straight loops the compiler vectorises.
template <class R, class A, class B, class F>
Expected<Tensor, std::string> binary(const Tensor& a, const Tensor& b, runtime::DType out_type, F f) {
  auto shape = broadcast_shapes(a.shape(), b.shape());
  if (!shape) return unexpected(std::move(shape.error()));
  Tensor out = Tensor::allocate(out_type, *shape);
  R* y = out.mutable_data<R>();
  const A* x = a.data<A>();
  const B* z = b.data<B>();
  const std::int64_t n = out.size();
  if (a.shape() == b.shape()) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i], z[i]);
  } else if (b.size() == 1 && a.size() == n) {
    const B s = z[0];
    for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i], s);
  } else if (a.size() == 1 && b.size() == n) {
    const A s = x[0];
    for (std::int64_t i = 0; i < n; ++i) y[i] = f(s, z[i]);
  } else {
    const Shape sa = broadcast_strides(a.shape(), *shape), sb = broadcast_strides(b.shape(), *shape);
    for_each_broadcast(*shape, sa, sb,
                       [&](std::int64_t o, std::int64_t ia, std::int64_t ib) { y[o] = f(x[ia], z[ib]); });
  }
  return out;
}

}  // namespace bb::ops::onnx_ops
