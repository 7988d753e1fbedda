// The element types docs/ops.md shows for each ai.onnx kernel come from the type sets
// of ops/src/onnx/kernel_util.h: each set's names must be exactly the types its
// dispatch accepts, and "all" must mean every element type the runtime holds.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "../../ops/src/onnx/elements.h"
#include "../../ops/src/onnx/kernel_util.h"
#include "bb/runtime/registry.h"

namespace bb::testing {
namespace {

using runtime::DType;
namespace k = ops::onnx_ops;

// Every element type the runtime holds, in the order the names list them.
const std::vector<DType> kOrder = {DType::kFloat,  DType::kDouble, DType::kInt8,   DType::kInt16,  DType::kInt32,
                                   DType::kInt64,  DType::kUint8,  DType::kUint16, DType::kUint32, DType::kUint64,
                                   DType::kBool,   DType::kString, DType::kFloat16, DType::kBfloat16};

template <class Accepts>
std::string names_accepted(Accepts accepts) {
  std::string out;
  for (DType t : kOrder) {
    if (!accepts(t)) continue;
    if (!out.empty()) out += ", ";
    out += runtime::to_string(t);
  }
  return out;
}

template <class Set>
std::string names_of_dispatch() {
  return names_accepted([](DType t) { return Set::run(t, [](auto) {}); });
}

TEST(KernelTypeSets, EveryTypeTheRuntimeHoldsIsListed) {
  std::size_t supported = 0;
  for (std::int32_t raw = 0; raw < 64; ++raw)
    if (runtime::is_supported(raw) && raw != static_cast<std::int32_t>(DType::kUndefined)) ++supported;
  EXPECT_EQ(supported, kOrder.size());
}

TEST(KernelTypeSets, NamesAreWhatTheDispatchAccepts) {
  EXPECT_EQ(names_of_dispatch<k::FloatTypes>(), k::FloatTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::SignedTypes>(), k::SignedTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::NumericTypes>(), k::NumericTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::NumberTypes>(), k::NumberTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::ValueTypes>(), k::ValueTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::UnsignedTypes>(), k::UnsignedTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::MatMulTypes>(), k::MatMulTypes::kNames);
  EXPECT_EQ(names_of_dispatch<k::PoolTypes>(), k::PoolTypes::kNames);
}

TEST(KernelTypeSets, AllMeansEveryHeldTypeMovesByStorage) {
  const std::string every = names_accepted([](DType) { return true; });
  EXPECT_EQ(names_accepted([](DType t) { return k::dispatch_storage(t, [](auto) {}); }), every);
  EXPECT_EQ(k::AnyTypes::kNames, "all");
}

TEST(KernelTypeSets, EveryAiOnnxKernelNamesItsTypes) {
  for (const runtime::OpRegistration& r : runtime::registry::all()) {
    if (!r.domain.empty()) continue;
    EXPECT_FALSE(r.types.empty()) << "ai.onnx::" << r.op_type << " registers no element types";
  }
}

}  // namespace
}  // namespace bb::testing
