// The runtime tensor: an element type, a shape, and one contiguous, 64-byte-aligned,
// reference-counted buffer (docs/runtime.md, "Tensors").
//
// A Tensor is a small handle (type, shape, buffer pointer). Copying it shares the
// buffer: forwarding a tensor through PassThrough, a gate or Reshape costs a counter
// increment, never a copy of the elements. Kernels write only into a buffer they have
// just allocated (or one they hold the only reference to: `unique()`); a buffer that
// two values share is never written.
//
// The counter is not atomic: a tensor belongs to one node, and a node is
// single-threaded. Tensors cross threads only as envelope bytes.
//
// There is no onnx::TensorProto here: conversion from and to it happens at the edges
// (initializers, Constant, --input files, envelopes) in one place, tensor_proto.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <absl/container/inlined_vector.h>

namespace bb::runtime {

// Element types, numbered as ONNX's TensorProto.DataType so a conversion is a cast.
enum class DType : std::int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBfloat16 = 16,
};

// Bytes per element in the buffer (sizeof(std::string) for kString); 0 for types the
// runtime does not hold (complex, undefined, unknown numbers).
std::size_t element_size(DType type);
// "float", "int64", "bool", … (ONNX's names in lower case); "type<N>" for others.
std::string to_string(DType type);
// Whether `raw` is a DType the runtime holds.
bool is_supported(std::int32_t raw);

// The DType of a C++ element type. float16 and bfloat16 have no C++ type here: their
// buffers are held as raw 2-byte words and converted where a kernel supports them.
template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat; }
template <> constexpr DType dtype_of<double>() { return DType::kDouble; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUint8; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::kUint16; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::kUint32; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::kUint64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }
template <> constexpr DType dtype_of<std::string>() { return DType::kString; }

// Dims of a tensor; rank ≤ 6 stays inline (no allocation for the shape).
using Shape = absl::InlinedVector<std::int64_t, 6>;

// The element count of `dims` (1 for a scalar), or -1 when a dim is negative or the
// product exceeds `limit`.
std::int64_t element_count(std::span<const std::int64_t> dims, std::int64_t limit = INT64_MAX);
// "[2,3]"; "[]" for a scalar.
std::string shape_text(std::span<const std::int64_t> dims);

class Tensor {
 public:
  Tensor() = default;
  Tensor(const Tensor& other) : type_(other.type_), shape_(other.shape_), size_(other.size_), buffer_(other.buffer_) {
    retain();
  }
  Tensor(Tensor&& other) noexcept
      : type_(other.type_), shape_(std::move(other.shape_)), size_(other.size_), buffer_(other.buffer_) {
    other.buffer_ = nullptr;
    other.size_ = 0;
    other.type_ = DType::kUndefined;
  }
  Tensor& operator=(const Tensor& other) {
    if (this != &other) {
      Tensor copy(other);
      swap(copy);
    }
    return *this;
  }
  Tensor& operator=(Tensor&& other) noexcept {
    Tensor moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Tensor() { release(); }

  // A new tensor of `type` and `shape`. Numeric elements are uninitialised (every
  // kernel writes all of its output); strings are empty. The caller has checked the
  // shape (non-negative dims, an element count it accepts): see element_count().
  static Tensor allocate(DType type, Shape shape);
  // The same, every element zero (false, "").
  static Tensor zeros(DType type, Shape shape);
  // A rank-0 tensor holding `value`.
  template <class T>
  static Tensor scalar(T value) {
    Tensor t = allocate(dtype_of<T>(), {});
    *t.mutable_data<T>() = std::move(value);
    return t;
  }
  // A rank-1 tensor of `values`.
  template <class T>
  static Tensor vector(std::span<const T> values) {
    Tensor t = allocate(dtype_of<T>(), {static_cast<std::int64_t>(values.size())});
    T* out = t.mutable_data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i];
    return t;
  }

  DType dtype() const { return type_; }
  const Shape& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  std::int64_t dim(std::size_t axis) const { return shape_[axis]; }
  // Number of elements (1 for a scalar, 0 when a dim is 0).
  std::int64_t size() const { return size_; }
  std::size_t byte_size() const { return static_cast<std::size_t>(size_) * element_size(type_); }
  bool defined() const { return type_ != DType::kUndefined; }

  // Typed element access; T must match dtype() (checked in debug builds).
  template <class T>
  const T* data() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(raw());
  }
  template <class T>
  T* mutable_data() {
    check_type(dtype_of<T>());
    return static_cast<T*>(mutable_raw());
  }
  template <class T>
  std::span<const T> values() const {
    return {data<T>(), static_cast<std::size_t>(size_)};
  }
  const void* raw() const;
  // Writing is for the kernel that allocated the buffer (or holds its only reference).
  void* mutable_raw();

  // The same elements under another shape of the same element count: shares the buffer.
  Tensor reshaped(Shape shape) const;
  // Whether this handle holds the only reference to its buffer (a kernel may then
  // write into it in place).
  bool unique() const;
  bool shares_buffer_with(const Tensor& other) const { return buffer_ != nullptr && buffer_ == other.buffer_; }

  void swap(Tensor& other) noexcept {
    std::swap(type_, other.type_);
    shape_.swap(other.shape_);
    std::swap(size_, other.size_);
    std::swap(buffer_, other.buffer_);
  }

  struct Buffer;

 private:
  void retain() const;
  void release();
  void check_type([[maybe_unused]] DType expected) const;

  DType type_ = DType::kUndefined;
  Shape shape_;
  std::int64_t size_ = 0;
  Buffer* buffer_ = nullptr;
};

// Element-wise equality of type, shape and values (NaN never equals NaN): for tests.
bool operator==(const Tensor& a, const Tensor& b);

}  // namespace bb::runtime
