#include "bb/runtime/tensor.h"

#include <array>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

namespace bb::runtime {

// A buffer is one allocation: this 64-byte header, then the elements, 64-byte aligned.
// Small buffers are recycled through a per-thread pool by size class, so a kernel's
// output in steady state costs no call into the allocator.
struct alignas(64) Tensor::Buffer {
  std::uint32_t refs = 1;
  DType type = DType::kUndefined;
  std::int64_t count = 0;  // elements constructed (strings are destroyed one by one)
  std::uint8_t size_class = 0;  // kNoClass: not pooled

  void* data() { return reinterpret_cast<std::byte*>(this) + sizeof(Buffer); }
};
static_assert(sizeof(Tensor::Buffer) == 64);

namespace {

constexpr std::size_t kAlign = 64;
constexpr std::uint8_t kNoClass = 0xff;
// Size classes: 64 B << k for k < kClasses (64 B … 256 KiB of elements); each keeps at
// most kPoolDepth free buffers per thread.
constexpr std::size_t kClasses = 13;
constexpr std::size_t kPoolDepth = 64;

std::uint8_t size_class_of(std::size_t bytes) {
  std::size_t cap = 64;
  for (std::uint8_t k = 0; k < kClasses; ++k, cap <<= 1)
    if (bytes <= cap) return k;
  return kNoClass;
}
std::size_t class_bytes(std::uint8_t k) { return std::size_t{64} << k; }

// A kAlign-aligned block from the plain operator new, its offset kept in the byte before
// it. Not the aligned operator new: glibc's memalign asks for more than the block and
// returns the excess, so a freed block is too small for the next request of its own
// size. A kernel writing one large (unpooled) tensor per call then got fresh pages on
// every call, each page a fault: MatMul 1024² ran at 0.8× of Eigen's own product, and
// Add of 1M floats 30 times slower than a loop in some runs (docs/performance.md,
// "Round 5").
void* aligned_block(std::size_t bytes) {
  auto* raw = static_cast<std::byte*>(::operator new(bytes + kAlign));
  const std::size_t shift = kAlign - reinterpret_cast<std::uintptr_t>(raw) % kAlign;  // 1 … kAlign
  std::byte* p = raw + shift;
  p[-1] = static_cast<std::byte>(shift);
  return p;
}
void free_block(void* p) {
  auto* b = static_cast<std::byte*>(p);
  ::operator delete(b - static_cast<std::size_t>(b[-1]));
}

// Tensors released after the thread's pool is gone (statics destroyed at exit) go
// straight back to the allocator.
enum class PoolState : std::uint8_t { kUnborn, kAlive, kGone };
thread_local PoolState g_pool_state = PoolState::kUnborn;
struct Pool {
  std::array<std::vector<void*>, kClasses> free;
  Pool() { g_pool_state = PoolState::kAlive; }
  ~Pool() {
    g_pool_state = PoolState::kGone;
    for (auto& list : free)
      for (void* p : list) free_block(p);
  }
};
thread_local Pool g_pool;

void* take_memory(std::size_t data_bytes, std::uint8_t& size_class) {
  size_class = g_pool_state == PoolState::kGone ? kNoClass : size_class_of(data_bytes);
  if (size_class != kNoClass) {
    auto& list = g_pool.free[size_class];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      return p;
    }
    return aligned_block(sizeof(Tensor::Buffer) + class_bytes(size_class));
  }
  return aligned_block(sizeof(Tensor::Buffer) + data_bytes);
}

void give_memory(void* p, std::uint8_t size_class) {
  if (size_class != kNoClass && g_pool_state == PoolState::kAlive) {
    auto& list = g_pool.free[size_class];
    if (list.size() < kPoolDepth) {
      list.push_back(p);
      return;
    }
  }
  free_block(p);
}

}  // namespace

std::size_t element_size(DType type) {
  switch (type) {
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool: return 1;
    case DType::kUint16:
    case DType::kInt16:
    case DType::kFloat16:
    case DType::kBfloat16: return 2;
    case DType::kFloat:
    case DType::kInt32:
    case DType::kUint32: return 4;
    case DType::kInt64:
    case DType::kDouble:
    case DType::kUint64: return 8;
    case DType::kString: return sizeof(std::string);
    case DType::kUndefined: return 0;
  }
  return 0;
}

bool is_supported(std::int32_t raw) { return raw != 0 && element_size(static_cast<DType>(raw)) != 0; }

std::string to_string(DType type) {
  switch (type) {
    case DType::kUndefined: return "undefined";
    case DType::kFloat: return "float";
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kUint16: return "uint16";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kString: return "string";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kDouble: return "double";
    case DType::kUint32: return "uint32";
    case DType::kUint64: return "uint64";
    case DType::kBfloat16: return "bfloat16";
  }
  return "type" + std::to_string(static_cast<std::int32_t>(type));
}

std::int64_t element_count(std::span<const std::int64_t> dims, std::int64_t limit) {
  for (const std::int64_t d : dims)
    if (d < 0) return -1;
  for (const std::int64_t d : dims)
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (const std::int64_t d : dims) {
    if (n > limit / d) return -1;
    n *= d;
  }
  return n;
}

std::string shape_text(std::span<const std::int64_t> dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

Tensor Tensor::allocate(DType type, Shape shape) {
  Tensor t;
  const std::int64_t n = element_count(shape);
  assert(n >= 0 && element_size(type) != 0 && "Tensor::allocate: unchecked shape or type");
  t.type_ = type;
  t.shape_ = std::move(shape);
  t.size_ = n;
  std::uint8_t size_class = kNoClass;
  void* memory = take_memory(static_cast<std::size_t>(n) * element_size(type), size_class);
  t.buffer_ = ::new (memory) Buffer{};
  t.buffer_->type = type;
  t.buffer_->size_class = size_class;
  if (type == DType::kString) {
    auto* s = static_cast<std::string*>(t.buffer_->data());
    for (std::int64_t i = 0; i < n; ++i) ::new (s + i) std::string();
    t.buffer_->count = n;
  }
  return t;
}

Tensor Tensor::zeros(DType type, Shape shape) {
  Tensor t = allocate(type, std::move(shape));
  if (type != DType::kString) std::memset(t.mutable_raw(), 0, t.byte_size());
  return t;
}

const void* Tensor::raw() const { return buffer_ == nullptr ? nullptr : buffer_->data(); }
void* Tensor::mutable_raw() { return buffer_ == nullptr ? nullptr : buffer_->data(); }

Tensor Tensor::reshaped(Shape shape) const {
  assert(element_count(shape) == size_ && "Tensor::reshaped: element count differs");
  Tensor t(*this);
  t.shape_ = std::move(shape);
  return t;
}

bool Tensor::unique() const { return buffer_ != nullptr && buffer_->refs == 1; }

void Tensor::retain() const {
  if (buffer_ != nullptr) ++buffer_->refs;
}

void Tensor::release() {
  if (buffer_ == nullptr || --buffer_->refs != 0) return;
  if (buffer_->type == DType::kString) {
    auto* s = static_cast<std::string*>(buffer_->data());
    for (std::int64_t i = 0; i < buffer_->count; ++i) s[i].~basic_string();
  }
  const std::uint8_t size_class = buffer_->size_class;
  buffer_->~Buffer();
  give_memory(buffer_, size_class);
  buffer_ = nullptr;
}

void Tensor::check_type([[maybe_unused]] DType expected) const {
  assert(type_ == expected && "Tensor: element type differs from the one asked for");
}

bool operator==(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DType::kString) {
    const auto x = a.values<std::string>(), y = b.values<std::string>();
    return std::equal(x.begin(), x.end(), y.begin());
  }
  if (a.dtype() == DType::kFloat) {
    const auto x = a.values<float>(), y = b.values<float>();
    return std::equal(x.begin(), x.end(), y.begin());
  }
  if (a.dtype() == DType::kDouble) {
    const auto x = a.values<double>(), y = b.values<double>();
    return std::equal(x.begin(), x.end(), y.begin());
  }
  return a.byte_size() == 0 || std::memcmp(a.raw(), b.raw(), a.byte_size()) == 0;
}

}  // namespace bb::runtime
