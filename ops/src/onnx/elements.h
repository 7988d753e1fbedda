// Element movement for the structural kernels (shape, indexing, nn padding): ops that
// copy elements without looking at them work on every element type by their storage.
//
// dispatch_storage() calls f with a C++ type of the element's size (uint8/16/32/64,
// std::string for strings), so one instantiation moves float, int32 and uint32 alike,
// and float16/bfloat16 (2-byte words) come for free.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bb/runtime/tensor.h"

namespace bb::ops::onnx_ops {

template <class F>
bool dispatch_storage(runtime::DType type, F&& f) {
  if (type == runtime::DType::kString) {
    f(std::string{});
    return true;
  }
  switch (runtime::element_size(type)) {
    case 1: f(std::uint8_t{}); return true;
    case 2: f(std::uint16_t{}); return true;
    case 4: f(std::uint32_t{}); return true;
    case 8: f(std::uint64_t{}); return true;
    default: return false;
  }
}

// The buffer as storage words of type S (S from dispatch_storage).
template <class S>
const S* storage(const runtime::Tensor& t) {
  return static_cast<const S*>(t.raw());
}
template <class S>
S* mutable_storage(runtime::Tensor& t) {
  return static_cast<S*>(t.mutable_raw());
}

// Row-major strides (in elements) of `shape`.
inline runtime::Shape strides_of(const runtime::Shape& shape) {
  runtime::Shape strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// The most elements a kernel allocates for one output (as many as a tensor read from a
// file may hold): a graph asking for more fails with invalid_value instead.
inline constexpr std::int64_t kMaxOutputElements = std::int64_t{1} << 31;

// A sentence when `shape` has a negative dim or more than kMaxOutputElements elements.
inline std::optional<std::string> bad_output_shape(const runtime::Shape& shape) {
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (shape[d] < 0)
      return "output shape " + runtime::shape_text(shape) + " has negative dim " + std::to_string(d) + " (" +
             std::to_string(shape[d]) + ")";
  if (runtime::element_count(shape, kMaxOutputElements) < 0)
    return "output shape " + runtime::shape_text(shape) + " has more than " + std::to_string(kMaxOutputElements) +
           " elements";
  return std::nullopt;
}

// One output dim of a gathering copy: for output coordinate o along this dim, the input
// is read at index[o] * stride (index[o] < 0: the fill value instead).
struct AxisMap {
  std::int64_t stride = 0;
  std::vector<std::int64_t> index;
};

// out[o...] = in[base + Σ index_d[o_d] * stride_d], or `fill` where an index is negative.
// Covers Transpose, Slice, Expand, Tile and Pad with one odometer walk.
template <class S>
void map_copy(const S* in, std::int64_t base, const std::vector<AxisMap>& maps, S* out, const S& fill) {
  const std::size_t rank = maps.size();
  if (rank == 0) {
    out[0] = in[base];
    return;
  }
  for (const AxisMap& m : maps)
    if (m.index.empty()) return;
  std::vector<std::size_t> at(rank, 0);
  std::vector<std::int64_t> offset(rank, base);  // offset[d]: input offset of dims < d
  std::vector<char> filled(rank, 0);             // filled[d]: a dim < d reads the fill
  auto refresh = [&](std::size_t from) {
    for (std::size_t e = from; e + 1 < rank; ++e) {
      const std::int64_t i = maps[e].index[at[e]];
      filled[e + 1] = filled[e] || i < 0;
      offset[e + 1] = offset[e] + (i < 0 ? 0 : i * maps[e].stride);
    }
  };
  refresh(0);
  const AxisMap& last = maps[rank - 1];
  std::int64_t o = 0;
  for (;;) {
    const std::int64_t off = offset[rank - 1];
    if (filled[rank - 1]) {
      for (std::size_t k = 0; k < last.index.size(); ++k) out[o++] = fill;
    } else {
      for (std::int64_t i : last.index) out[o++] = i < 0 ? fill : in[off + i * last.stride];
    }
    std::size_t d = rank - 1;
    bool done = true;
    while (d > 0) {
      --d;
      if (++at[d] < maps[d].index.size()) {
        done = false;
        break;
      }
      at[d] = 0;
    }
    if (done) return;
    refresh(d);
  }
}

}  // namespace bb::ops::onnx_ops
