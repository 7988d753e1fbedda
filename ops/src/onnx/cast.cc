// ai.onnx Cast and CastLike: every numeric type, bool, float16, bfloat16 and string.
//
// Numbers convert as C++ (and numpy) do: float to integer truncates toward zero, any
// non-zero is true; a float that does not fit the integer type (or NaN) becomes 0
// rather than undefined behaviour. float16 rounds to nearest even; bfloat16 keeps the
// upper 16 bits of the float (truncation, as ONNX's reference data does). A number
// becomes the shortest string that reads back as the same value ("0.039187793");
// a string becomes a number as strtod/strtoll read it ("inf", "-INF", "NaN" included),
// and one that is not a number fails with invalid_value naming it.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "bb/runtime/registry.h"
#include "kernel_util.h"

namespace bb::ops::onnx_ops {
namespace {

using runtime::Kernel;
using runtime::KernelInit;

// ---- float16 / bfloat16 -----------------------------------------------------------------

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::uint16_t float_to_half(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to ≥ 65520: inf
  if (abs < 0x38800000u) {                                                    // below the smallest normal half
    if (abs < 0x33000000u) return sign;                                       // below half the smallest subnormal
    const std::uint32_t exp = abs >> 23;
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exp;  // 14 + (113 - exp) - 1 … mantissa bits to drop
    std::uint32_t half = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1);
    const std::uint32_t mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

float bfloat_to_float(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::uint16_t float_to_bfloat(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if (std::isnan(f)) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);  // stays NaN
  return static_cast<std::uint16_t>(bits >> 16);
}

// ---- numbers ----------------------------------------------------------------------------

// from → to without undefined behaviour: an out-of-range or NaN float becomes 0 for
// an integer target.
template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return To{};
    const long double x = std::trunc(static_cast<long double>(v));
    if (x < static_cast<long double>(std::numeric_limits<To>::min()) ||
        x > static_cast<long double>(std::numeric_limits<To>::max()))
      return To{};
    return static_cast<To>(x);
  } else {
    return static_cast<To>(v);
  }
}

// Reads element i of `t` as a double-free "wide" value: float16/bfloat16 as float.
template <class T>
T read_as(const Tensor& t, std::int64_t i) {
  const auto* words = static_cast<const std::uint16_t*>(t.raw());
  if (t.dtype() == DType::kFloat16) return convert<T>(half_to_float(words[i]));
  if (t.dtype() == DType::kBfloat16) return convert<T>(bfloat_to_float(words[i]));
  return T{};
}

template <class T>
std::string number_text(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, end);
  } else {
    return std::to_string(v);
  }
}

// A string as a number of type T, or nullopt when it is not one.
template <class T>
std::optional<T> parse_number(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  if constexpr (std::is_floating_point_v<T>) {
    const double d = std::strtod(begin, &end);
    if (end == begin || *end != '\0') return std::nullopt;
    return static_cast<T>(d);
  } else if constexpr (std::is_same_v<T, bool>) {
    const double d = std::strtod(begin, &end);
    if (end == begin || *end != '\0') return std::nullopt;
    return d != 0;
  } else if constexpr (std::is_signed_v<T>) {
    const long long v = std::strtoll(begin, &end, 10);
    if (end == begin || *end != '\0') return std::nullopt;
    return static_cast<T>(v);
  } else {
    const unsigned long long v = std::strtoull(begin, &end, 10);
    if (end == begin || *end != '\0') return std::nullopt;
    return static_cast<T>(v);
  }
}

bool is_half(DType t) { return t == DType::kFloat16 || t == DType::kBfloat16; }

// `in` converted to element type `to`.
Expected<Tensor, OpResult> cast(const Tensor& in, DType to) {
  if (in.dtype() == to) return in;  // shares the buffer
  Tensor out = Tensor::allocate(to, in.shape());
  const std::int64_t n = in.size();
  const DType from = in.dtype();
  // Writes element i of `out` from a C++ value v.
  auto write = [&](auto v, std::int64_t i) {
    using V = decltype(v);
    if (to == DType::kFloat16) {
      static_cast<std::uint16_t*>(out.mutable_raw())[i] = float_to_half(convert<float>(v));
    } else if (to == DType::kBfloat16) {
      static_cast<std::uint16_t*>(out.mutable_raw())[i] = float_to_bfloat(convert<float>(v));
    } else if (to == DType::kString) {
      static_cast<std::string*>(out.mutable_raw())[i] = number_text<V>(v);
    } else {
      dispatch_number(to, [&](auto tag) {
        using T = decltype(tag);
        static_cast<T*>(out.mutable_raw())[i] = convert<T>(v);
      });
    }
  };
  if (from == DType::kString) {
    if (to == DType::kString) return in;
    const auto* s = in.data<std::string>();
    for (std::int64_t i = 0; i < n; ++i) {
      std::optional<double> d;
      bool ok = true;
      if (is_half(to) || to == DType::kFloat || to == DType::kDouble || to == DType::kBool) {
        d = parse_number<double>(s[i]);
        ok = d.has_value();
        if (ok) write(*d, i);
      } else {
        dispatch_numeric(to, [&](auto tag) {
          using T = decltype(tag);
          auto v = parse_number<T>(s[i]);
          ok = v.has_value();
          if (ok) static_cast<T*>(out.mutable_raw())[i] = *v;
        });
      }
      if (!ok) return unexpected(invalid_value("input element " + std::to_string(i) + " \"" + s[i] +
                                               "\" is not a number of type " + runtime::to_string(to)));
    }
    return out;
  }
  if (is_half(from)) {
    for (std::int64_t i = 0; i < n; ++i) write(read_as<float>(in, i), i);
    return out;
  }
  const bool known = dispatch_number(from, [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(in.raw());
    for (std::int64_t i = 0; i < n; ++i) write(x[i], i);
  });
  if (!known) return unexpected(type_mismatch("input", from));
  return out;
}

bool castable(std::int32_t raw) {
  return runtime::is_supported(raw) && raw != static_cast<std::int32_t>(DType::kUndefined);
}

class Cast final : public Kernel {
 public:
  explicit Cast(DType to) : to_(to) {}
  static Expected<std::unique_ptr<Cast>, std::string> create(const KernelInit& init) {
    auto to = int_attr(init.node, "to", -1);
    if (!to) return unexpected(std::move(to.error()));
    if (*to < 0 || *to > std::numeric_limits<std::int32_t>::max() || !castable(static_cast<std::int32_t>(*to)))
      return unexpected("attribute 'to' = " + std::to_string(*to) +
                        " is not an element type this runtime holds (see TensorProto.DataType)");
    return std::make_unique<Cast>(static_cast<DType>(*to));
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    auto out = cast(*x, to_);
    if (!out) return std::move(out.error());
    inv.out(0) = Value::tensor(std::move(*out));
    return OpResult::ok();
  }

 private:
  DType to_;
};

// CastLike(input, target_type): input cast to target_type's element type.
class CastLike final : public Kernel {
 public:
  static Expected<std::unique_ptr<CastLike>, std::string> create(const KernelInit&) {
    return std::make_unique<CastLike>();
  }
  OpResult compute(Invocation& inv) override {
    OpResult error;
    const Tensor* x = tensor_in(inv, 0, error);
    if (x == nullptr) return error;
    const Tensor* like = tensor_in(inv, 1, error);
    if (like == nullptr) return error;
    auto out = cast(*x, like->dtype());
    if (!out) return std::move(out.error());
    inv.out(0) = Value::tensor(std::move(*out));
    return OpResult::ok();
  }
};

const runtime::OpRegistrar kCast{"", "Cast", runtime::OpsetRange{6}, ir::OpKind::kCompute,
                                 &runtime::make_kernel<Cast>, AnyTypes::kNames};
const runtime::OpRegistrar kCastLike{"", "CastLike", runtime::OpsetRange{15}, ir::OpKind::kCompute,
                                     &runtime::make_kernel<CastLike>, AnyTypes::kNames};

}  // namespace
}  // namespace bb::ops::onnx_ops
