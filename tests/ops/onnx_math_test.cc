// The ai.onnx math kernels (elementwise, matmul, activations, softmax, reductions)
// run one node at a time through their registered factories: values against
// hand-computed or numpy-computed expectations, broadcasting, opset-keyed semantics and
// every error path; then a two-layer perceptron and one softmax-regression training step
// against numpy (tests/ops/data/math_reference.py).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bb/ir/names.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/tensor_proto.h"
#include "engine_harness.h"
#include "../support/temp_dir.h"

namespace bb::testing {
namespace {

using runtime::DType;
using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Shape;
using runtime::Status;
using runtime::Tensor;
using runtime::Value;

template <class T>
Tensor tensor(std::vector<T> values, Shape dims) {
  Tensor t = Tensor::allocate(runtime::dtype_of<T>(), std::move(dims));
  EXPECT_EQ(static_cast<std::size_t>(t.size()), values.size());
  std::copy(values.begin(), values.end(), t.mutable_data<T>());
  return t;
}
Tensor floats(std::vector<float> values, Shape dims) { return tensor<float>(std::move(values), std::move(dims)); }
Tensor int64s(std::vector<std::int64_t> values, Shape dims) {
  return tensor<std::int64_t>(std::move(values), std::move(dims));
}

// The node whose services every kernel under test gets.
runtime::Node& services() {
  static Harness* harness = [] {
    GraphBuilder g;
    g.syscall(ir::kPulse, "p", {}, {"t"});
    return new Harness(g.compiled(), {}, false);
  }();
  return harness->node();
}

struct Outcome {
  std::string load_error;  // the factory's error, if it failed
  OpResult result;
  std::vector<Value> out;
  const Tensor& at(std::size_t i) const { return out.at(i).as_tensor(); }
  bool ok() const { return load_error.empty() && result.status == Status::kOk; }
};

// One ai.onnx node: attributes, then run() with its inputs (nullopt: absent).
class Call {
 public:
  explicit Call(std::string op_type, int opset = 17) : opset_(opset) { node_.set_op_type(std::move(op_type)); }

  Call& attr(const std::string& name, std::int64_t v) {
    auto* a = add(name, onnx::AttributeProto::INT);
    a->set_i(v);
    return *this;
  }
  Call& attr(const std::string& name, float v) {
    auto* a = add(name, onnx::AttributeProto::FLOAT);
    a->set_f(v);
    return *this;
  }
  Call& attr(const std::string& name, const std::string& v) {
    auto* a = add(name, onnx::AttributeProto::STRING);
    a->set_s(v);
    return *this;
  }
  Call& attr(const std::string& name, std::vector<std::int64_t> vs) {
    auto* a = add(name, onnx::AttributeProto::INTS);
    for (auto v : vs) a->add_ints(v);
    return *this;
  }

  Outcome run(std::vector<std::optional<Tensor>> inputs, std::uint32_t outputs = 1) const {
    Outcome o;
    const auto* reg = runtime::registry::find("", node_.op_type(), opset_);
    if (reg == nullptr) {
      o.load_error = "no kernel for " + node_.op_type() + " at opset " + std::to_string(opset_);
      return o;
    }
    auto kernel = reg->factory(runtime::KernelInit{node_, 0, nullptr, services(), services()});
    if (!kernel) {
      o.load_error = kernel.error();
      return o;
    }
    std::vector<Value> values;
    for (auto& in : inputs) values.push_back(in ? Value::tensor(*in) : Value{});
    std::vector<const Value*> ptrs;
    for (auto& v : values) ptrs.push_back(&v);
    o.out.resize(outputs);
    Invocation inv(ptrs.data(), static_cast<std::uint32_t>(ptrs.size()), o.out.data(), outputs, services(), services(), 0, 1,
                   nullptr);
    o.result = (*kernel)->compute(inv);
    return o;
  }

 private:
  onnx::AttributeProto* add(const std::string& name, onnx::AttributeProto::AttributeType type) {
    auto* a = node_.add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  }

  onnx::NodeProto node_;
  int opset_;
};

template <class T>
std::vector<T> values_of(const Tensor& t) {
  auto v = t.values<T>();
  return {v.begin(), v.end()};
}

void expect_near(const Tensor& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.dtype(), DType::kFloat);
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got.data<float>()[i])) << "element " << i;
    } else {
      EXPECT_NEAR(got.data<float>()[i], want[i], tol * std::max(1.0f, std::abs(want[i]))) << "element " << i;
    }
  }
}

// ---- Elementwise ---------------------------------------------------------------------------

TEST(OnnxMath, AddBroadcastsRowAndColumn) {
  auto o = Call("Add").run({floats({1, 2, 3, 4, 5, 6}, {2, 3}), floats({10, 20, 30}, {3})});
  ASSERT_TRUE(o.ok()) << o.result.detail;
  EXPECT_EQ(o.at(0).shape(), (Shape{2, 3}));
  expect_near(o.at(0), {11, 22, 33, 14, 25, 36});
  auto col = Call("Add").run({floats({1, 2}, {2, 1}), floats({10, 20, 30}, {1, 3})});
  ASSERT_TRUE(col.ok());
  EXPECT_EQ(col.at(0).shape(), (Shape{2, 3}));
  expect_near(col.at(0), {11, 21, 31, 12, 22, 32});
  auto scalar = Call("Add").run({floats({5}, {}), floats({1, 2}, {2})});
  ASSERT_TRUE(scalar.ok());
  expect_near(scalar.at(0), {6, 7});
}

TEST(OnnxMath, BinaryOpsOnIntegersAndFloats) {
  auto sub = Call("Sub").run({int64s({5, 7}, {2}), int64s({2, 10}, {2})});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(values_of<std::int64_t>(sub.at(0)), (std::vector<std::int64_t>{3, -3}));
  auto mul = Call("Mul").run({tensor<std::uint8_t>({3, 4}, {2}), tensor<std::uint8_t>({5, 6}, {2})});
  ASSERT_TRUE(mul.ok());
  EXPECT_EQ(values_of<std::uint8_t>(mul.at(0)), (std::vector<std::uint8_t>{15, 24}));
  auto div = Call("Div").run({tensor<std::int32_t>({7, -7}, {2}), tensor<std::int32_t>({2, 2}, {2})});
  ASSERT_TRUE(div.ok());
  EXPECT_EQ(values_of<std::int32_t>(div.at(0)), (std::vector<std::int32_t>{3, -3}));  // truncation
  auto fdiv = Call("Div").run({floats({1, -1, 0}, {3}), floats({0, 0, 0}, {3})});
  ASSERT_TRUE(fdiv.ok());
  EXPECT_TRUE(std::isinf(fdiv.at(0).data<float>()[0]));
  EXPECT_TRUE(std::isnan(fdiv.at(0).data<float>()[2]));
}

TEST(OnnxMath, IntegerDivisionByZeroIsInvalidValue) {
  auto div = Call("Div").run({int64s({1, 2}, {2}), int64s({1, 0}, {2})});
  EXPECT_EQ(div.result.reason, Reason::kInvalidValue);
  auto mod = Call("Mod").run({int64s({1}, {1}), int64s({0}, {1})});
  EXPECT_EQ(mod.result.reason, Reason::kInvalidValue);
}

TEST(OnnxMath, ModFollowsTheDivisorOrTheDividend) {
  // numpy: np.mod([-4, 7, 5, 4, -7], [3, -5, 2, -3, 8]) = [2, -3, 1, -2, 1]
  auto m = Call("Mod").run({int64s({-4, 7, 5, 4, -7}, {5}), int64s({3, -5, 2, -3, 8}, {5})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(values_of<std::int64_t>(m.at(0)), (std::vector<std::int64_t>{2, -3, 1, -2, 1}));
  // np.fmod: [-1, 2, 1, 1, -7]
  auto f = Call("Mod").attr("fmod", std::int64_t{1}).run({int64s({-4, 7, 5, 4, -7}, {5}), int64s({3, -5, 2, -3, 8}, {5})});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(values_of<std::int64_t>(f.at(0)), (std::vector<std::int64_t>{-1, 2, 1, 1, -7}));
  auto ff = Call("Mod").attr("fmod", std::int64_t{1}).run({floats({-4.5f, 7.5f}, {2}), floats({2, -2}, {2})});
  ASSERT_TRUE(ff.ok());
  expect_near(ff.at(0), {-0.5f, 1.5f});
  EXPECT_FALSE(Call("Mod").attr("fmod", std::int64_t{2}).run({}).load_error.empty());
}

TEST(OnnxMath, PowTakesAnExponentOfAnotherType) {
  auto p = Call("Pow").run({floats({2, 3, 4}, {3}), int64s({3, 2, 0}, {3})});
  ASSERT_TRUE(p.ok()) << p.result.detail;
  expect_near(p.at(0), {8, 9, 1});
  auto q = Call("Pow").run({tensor<std::int32_t>({2, 5}, {2}), floats({2, 1}, {1, 2})});
  ASSERT_TRUE(q.ok()) << p.result.detail;
  EXPECT_EQ(q.at(0).dtype(), DType::kInt32);
  EXPECT_EQ(values_of<std::int32_t>(q.at(0)), (std::vector<std::int32_t>{4, 5}));
  EXPECT_EQ(Call("Pow").run({tensor<bool>({true}, {1}), floats({1}, {1})}).result.reason, Reason::kTypeMismatch);
}

TEST(OnnxMath, BitShiftBothDirections) {
  auto l = Call("BitShift").attr("direction", std::string("LEFT")).run(
      {tensor<std::uint8_t>({1, 2, 255}, {3}), tensor<std::uint8_t>({3, 1, 9}, {3})});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(values_of<std::uint8_t>(l.at(0)), (std::vector<std::uint8_t>{8, 4, 0}));
  auto r = Call("BitShift").attr("direction", std::string("RIGHT")).run(
      {tensor<std::uint32_t>({16, 4}, {2}), tensor<std::uint32_t>({2}, {1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values_of<std::uint32_t>(r.at(0)), (std::vector<std::uint32_t>{4, 1}));
  EXPECT_FALSE(Call("BitShift").attr("direction", std::string("UP")).run({}).load_error.empty());
  EXPECT_EQ(Call("BitShift").attr("direction", std::string("LEFT")).run({int64s({1}, {1}), int64s({1}, {1})}).result.reason,
            Reason::kTypeMismatch);
}

TEST(OnnxMath, BadBroadcastNamesBothShapes) {
  auto o = Call("Add").run({floats({1, 2, 3}, {3}), floats({1, 2}, {2})});
  EXPECT_EQ(o.result.status, Status::kFailed);
  EXPECT_EQ(o.result.reason, Reason::kShapeMismatch);
  EXPECT_NE(o.result.detail.find("[3]"), std::string::npos) << o.result.detail;
  EXPECT_NE(o.result.detail.find("[2]"), std::string::npos) << o.result.detail;
}

TEST(OnnxMath, WrongTypesAreTypeMismatch) {
  auto mixed = Call("Add").run({floats({1}, {1}), int64s({1}, {1})});
  EXPECT_EQ(mixed.result.reason, Reason::kTypeMismatch);
  EXPECT_NE(mixed.result.detail.find("float and int64"), std::string::npos) << mixed.result.detail;
  EXPECT_EQ(Call("Sqrt").run({int64s({4}, {1})}).result.reason, Reason::kTypeMismatch);
  EXPECT_EQ(Call("Add").run({tensor<bool>({true}, {1}), tensor<bool>({true}, {1})}).result.reason,
            Reason::kTypeMismatch);
  EXPECT_EQ(Call("Neg").run({tensor<std::uint8_t>({1}, {1})}).result.reason, Reason::kTypeMismatch);
}

TEST(OnnxMath, MissingOrNonTensorInputIsBadInput) {
  EXPECT_EQ(Call("Add").run({floats({1}, {1})}).result.reason, Reason::kBadInput);
  EXPECT_EQ(Call("Relu").run({std::nullopt}).result.reason, Reason::kBadInput);
}

TEST(OnnxMath, UnaryMath) {
  auto x = floats({-2.5f, -0.5f, 0.5f, 1.5f, 2.5f}, {5});
  expect_near(Call("Neg").run({x}).at(0), {2.5f, 0.5f, -0.5f, -1.5f, -2.5f});
  expect_near(Call("Abs").run({x}).at(0), {2.5f, 0.5f, 0.5f, 1.5f, 2.5f});
  expect_near(Call("Floor").run({x}).at(0), {-3, -1, 0, 1, 2});
  expect_near(Call("Ceil").run({x}).at(0), {-2, -0, 1, 2, 3});
  expect_near(Call("Round").run({x}).at(0), {-2, -0, 0, 2, 2});  // half to even
  expect_near(Call("Sign").run({x}).at(0), {-1, -1, 1, 1, 1});
  expect_near(Call("Reciprocal").run({x}).at(0), {-0.4f, -2, 2, 1 / 1.5f, 0.4f});
  auto p = floats({0.25f, 1, 4}, {3});
  expect_near(Call("Sqrt").run({p}).at(0), {0.5f, 1, 2});
  expect_near(Call("Log").run({p}).at(0), {std::log(0.25f), 0, std::log(4.0f)});
  expect_near(Call("Exp").run({p}).at(0), {std::exp(0.25f), std::exp(1.0f), std::exp(4.0f)});
  expect_near(Call("Erf").run({floats({0, 0.5f, -1}, {3})}).at(0), {0, 0.5204999f, -0.8427008f});
  expect_near(Call("Sin").run({floats({0, 1}, {2})}).at(0), {0, 0.84147098f});
  expect_near(Call("Acosh").run({floats({1, 2}, {2})}).at(0), {0, 1.3169579f});
  expect_near(Call("Atanh").run({floats({0, 0.5f}, {2})}).at(0), {0, 0.5493061f});
  EXPECT_EQ(values_of<std::int32_t>(Call("Abs").run({tensor<std::int32_t>({-3, 3}, {2})}).at(0)),
            (std::vector<std::int32_t>{3, 3}));
  EXPECT_EQ(values_of<std::int64_t>(Call("Sign").run({int64s({-9, 0, 4}, {3})}).at(0)),
            (std::vector<std::int64_t>{-1, 0, 1}));
}

TEST(OnnxMath, IsNaNAndIsInf) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  auto x = floats({1, nan, inf, -inf}, {4});
  EXPECT_EQ(values_of<bool>(Call("IsNaN").run({x}).at(0)), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(values_of<bool>(Call("IsInf").run({x}).at(0)), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(values_of<bool>(Call("IsInf").attr("detect_negative", std::int64_t{0}).run({x}).at(0)),
            (std::vector<bool>{false, false, true, false}));
}

TEST(OnnxMath, VariadicMaxMinSumMeanBroadcast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto a = floats({1, 5, nan}, {3}), b = floats({3, 2, 1}, {3}), c = floats({4}, {1});
  expect_near(Call("Max").run({a, b, c}).at(0), {4, 5, nan});
  expect_near(Call("Min").run({a, b}).at(0), {1, 2, nan});
  expect_near(Call("Sum").run({b, c}).at(0), {7, 6, 5});
  expect_near(Call("Mean").run({b, c}).at(0), {3.5f, 3, 2.5f});
  expect_near(Call("Sum").run({b}).at(0), {3, 2, 1});
  EXPECT_EQ(values_of<std::int32_t>(Call("Max").run({tensor<std::int32_t>({1, 9}, {2}), tensor<std::int32_t>({5}, {})}).at(0)),
            (std::vector<std::int32_t>{5, 9}));
  EXPECT_EQ(Call("Max").run({a, floats({1, 2}, {2})}).result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("Sum").run({a, int64s({1}, {1})}).result.reason, Reason::kTypeMismatch);
  EXPECT_EQ(Call("Mean").run({int64s({1}, {1})}).result.reason, Reason::kTypeMismatch);
}

TEST(OnnxMath, ClipByOpset) {
  auto x = floats({-2, 0, 3}, {3});
  expect_near(Call("Clip", 6).attr("min", -1.0f).attr("max", 1.0f).run({x}).at(0), {-1, 0, 1});
  expect_near(Call("Clip", 6).run({x}).at(0), {-2, 0, 3});
  expect_near(Call("Clip", 13).run({x, floats({-1}, {}), floats({2}, {})}).at(0), {-1, 0, 2});
  expect_near(Call("Clip", 13).run({x, std::nullopt, floats({0}, {})}).at(0), {-2, 0, 0});
  EXPECT_EQ(values_of<std::int64_t>(Call("Clip", 13).run({int64s({-5, 5}, {2}), int64s({0}, {})}).at(0)),
            (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(Call("Clip", 13).run({x, floats({0, 1}, {2})}).result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("Clip", 13).run({x, int64s({0}, {})}).result.reason, Reason::kTypeMismatch);
}

// ---- MatMul / Gemm -------------------------------------------------------------------------

TEST(OnnxMath, MatMul2DAndPromoted1D) {
  auto a = floats({1, 2, 3, 4, 5, 6}, {2, 3}), b = floats({7, 8, 9, 10, 11, 12}, {3, 2});
  auto o = Call("MatMul").run({a, b});
  ASSERT_TRUE(o.ok()) << o.result.detail;
  EXPECT_EQ(o.at(0).shape(), (Shape{2, 2}));
  expect_near(o.at(0), {58, 64, 139, 154});
  auto mv = Call("MatMul").run({a, floats({1, 0, -1}, {3})});
  ASSERT_TRUE(mv.ok());
  EXPECT_EQ(mv.at(0).shape(), (Shape{2}));
  expect_near(mv.at(0), {-2, -2});
  auto vm = Call("MatMul").run({floats({1, 1}, {2}), b.reshaped({2, 3})});
  ASSERT_TRUE(vm.ok());
  EXPECT_EQ(vm.at(0).shape(), (Shape{3}));
  expect_near(vm.at(0), {17, 19, 21});
  auto dot = Call("MatMul").run({floats({1, 2}, {2}), floats({3, 4}, {2})});
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot.at(0).shape(), (Shape{}));
  expect_near(dot.at(0), {11});
}

TEST(OnnxMath, MatMulBroadcastsBatchDims) {
  // A: [2,1,2,2] (two identity-like blocks), B: [3,2,2] → [2,3,2,2].
  auto a = floats({1, 0, 0, 1, 2, 0, 0, 2}, {2, 1, 2, 2});
  auto b = floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 2, 2});
  auto o = Call("MatMul").run({a, b});
  ASSERT_TRUE(o.ok()) << o.result.detail;
  EXPECT_EQ(o.at(0).shape(), (Shape{2, 3, 2, 2}));
  std::vector<float> want;
  for (float s : {1.0f, 2.0f})
    for (int i = 1; i <= 12; ++i) want.push_back(s * static_cast<float>(i));
  expect_near(o.at(0), want);
  auto ints = Call("MatMul").run({int64s({1, 2, 3, 4}, {2, 2}), int64s({1, 1}, {2, 1})});
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(values_of<std::int64_t>(ints.at(0)), (std::vector<std::int64_t>{3, 7}));
}

TEST(OnnxMath, MatMulErrors) {
  auto inner = Call("MatMul").run({floats({1, 2, 3, 4, 5, 6}, {2, 3}), floats({1, 2, 3, 4}, {2, 2})});
  EXPECT_EQ(inner.result.reason, Reason::kShapeMismatch);
  EXPECT_NE(inner.result.detail.find("[2,3]"), std::string::npos) << inner.result.detail;
  EXPECT_NE(inner.result.detail.find("[2,2]"), std::string::npos) << inner.result.detail;
  auto batch = Call("MatMul").run({floats(std::vector<float>(8, 1), {2, 2, 2}), floats(std::vector<float>(12, 1), {3, 2, 2})});
  EXPECT_EQ(batch.result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("MatMul").run({floats({1}, {}), floats({1}, {1})}).result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("MatMul").run({floats({1}, {1, 1}), int64s({1}, {1, 1})}).result.reason, Reason::kTypeMismatch);
  EXPECT_EQ(Call("MatMul").run({tensor<bool>({true}, {1, 1}), tensor<bool>({true}, {1, 1})}).result.reason,
            Reason::kTypeMismatch);
}

TEST(OnnxMath, GemmTransposesScalesAndBroadcastsC) {
  auto a = floats({1, 2, 3, 4, 5, 6}, {3, 2});  // transA → [2,3]
  auto b = floats({1, 0, 0, 1, 1, 1}, {2, 3});  // transB → [3,2]
  auto o = Call("Gemm")
               .attr("transA", std::int64_t{1})
               .attr("transB", std::int64_t{1})
               .attr("alpha", 2.0f)
               .attr("beta", 0.5f)
               .run({a, b, floats({10, 20}, {2})});
  ASSERT_TRUE(o.ok()) << o.result.detail;
  // A^T = [[1,3,5],[2,4,6]], B^T = [[1,1],[0,1],[0,1]]: A^T B^T = [[1,9],[2,12]].
  expect_near(o.at(0), {2 * 1 + 5, 2 * 9 + 10, 2 * 2 + 5, 2 * 12 + 10});
  auto no_c = Call("Gemm").run({floats({1, 2}, {1, 2}), floats({3, 4}, {2, 1})});
  ASSERT_TRUE(no_c.ok());
  expect_near(no_c.at(0), {11});
  auto scalar_c = Call("Gemm").run({floats({1, 2}, {1, 2}), floats({3, 4}, {2, 1}), floats({1}, {})});
  expect_near(scalar_c.at(0), {12});
  EXPECT_EQ(Call("Gemm").run({floats({1, 2}, {1, 2}), floats({3, 4}, {2, 1}), floats({1, 2, 3}, {3})}).result.reason,
            Reason::kShapeMismatch);
  EXPECT_EQ(Call("Gemm").run({floats({1, 2}, {1, 2}), floats({3, 4}, {1, 2})}).result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("Gemm").run({floats({1, 2}, {2}), floats({3, 4}, {2, 1})}).result.reason, Reason::kShapeMismatch);
}

// Operands large enough for the blocked product (its packing buffers kept between calls:
// matmul.cc), with k over one depth panel, in all four transpositions, with and without C,
// batched, in float and int64. Small integers keep every float sum exact, so the kernel
// must equal the plain triple loop here.
template <class T>
std::vector<T> small_ints(std::int64_t count, int seed) {
  std::vector<T> v(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) v[static_cast<std::size_t>(i)] = static_cast<T>((i * 7 + seed) % 11 - 5);
  return v;
}

// op(A)·op(B) for row-major A and B, by the definition.
template <class T>
std::vector<T> reference_product(const std::vector<T>& a, const std::vector<T>& b, std::int64_t m, std::int64_t n,
                                 std::int64_t k, bool trans_a, bool trans_b) {
  std::vector<T> y(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      T sum{};
      for (std::int64_t p = 0; p < k; ++p)
        sum += a[static_cast<std::size_t>(trans_a ? p * m + i : i * k + p)] *
               b[static_cast<std::size_t>(trans_b ? j * k + p : p * n + j)];
      y[static_cast<std::size_t>(i * n + j)] = sum;
    }
  return y;
}

template <class T>
void check_blocked_products() {
  for (const auto [m, n, k] : {std::array<std::int64_t, 3>{37, 23, 29}, {70, 90, 600}}) {
    const std::vector<T> a = small_ints<T>(m * k, 1), b = small_ints<T>(k * n, 4), c = small_ints<T>(n, 9);
    for (const bool trans_a : {false, true})
      for (const bool trans_b : {false, true}) {
        SCOPED_TRACE(::testing::Message() << m << "x" << n << "x" << k << " transA=" << trans_a
                                          << " transB=" << trans_b);
        const Tensor ta = tensor<T>(a, trans_a ? Shape{k, m} : Shape{m, k});
        const Tensor tb = tensor<T>(b, trans_b ? Shape{n, k} : Shape{k, n});
        const std::vector<T> ab = reference_product(a, b, m, n, k, trans_a, trans_b);
        std::vector<T> want(ab.size());
        for (std::size_t i = 0; i < ab.size(); ++i)
          want[i] = static_cast<T>(2 * ab[i] + 3 * c[i % static_cast<std::size_t>(n)]);
        auto with_c = Call("Gemm")
                          .attr("transA", std::int64_t{trans_a})
                          .attr("transB", std::int64_t{trans_b})
                          .attr("alpha", 2.0f)
                          .attr("beta", 3.0f)
                          .run({ta, tb, tensor<T>(c, {n})});
        ASSERT_TRUE(with_c.ok()) << with_c.result.detail;
        EXPECT_EQ(values_of<T>(with_c.at(0)), want);
        auto plain =
            Call("Gemm").attr("transA", std::int64_t{trans_a}).attr("transB", std::int64_t{trans_b}).run({ta, tb});
        ASSERT_TRUE(plain.ok()) << plain.result.detail;
        EXPECT_EQ(values_of<T>(plain.at(0)), ab);
      }
    // MatMul [2,1,m,k] x [3,k,n] → [2,3,m,n]: the second A block is the first negated.
    std::vector<T> a2 = a;
    for (const T v : a) a2.push_back(static_cast<T>(-v));
    std::vector<T> b3;
    for (int i = 0; i < 3; ++i) b3.insert(b3.end(), b.begin(), b.end());
    auto o = Call("MatMul").run({tensor<T>(a2, {2, 1, m, k}), tensor<T>(b3, {3, k, n})});
    ASSERT_TRUE(o.ok()) << o.result.detail;
    const std::vector<T> ab = reference_product(a, b, m, n, k, false, false);
    std::vector<T> want;
    for (const int sign : {1, -1})
      for (int i = 0; i < 3; ++i)
        for (const T v : ab) want.push_back(static_cast<T>(sign * v));
    EXPECT_EQ(values_of<T>(o.at(0)), want);
  }
}

TEST(OnnxMath, BlockedProductsEqualTheDefinition) {
  check_blocked_products<float>();
  check_blocked_products<std::int64_t>();
}

TEST(OnnxMath, Einsum) {
  auto a = floats({1, 2, 3, 4, 5, 6}, {2, 3});
  auto t = Call("Einsum").attr("equation", std::string("ij->ji")).run({a});
  ASSERT_TRUE(t.ok()) << t.load_error << t.result.detail;
  EXPECT_EQ(t.at(0).shape(), (Shape{3, 2}));
  expect_near(t.at(0), {1, 4, 2, 5, 3, 6});
  expect_near(Call("Einsum").attr("equation", std::string("ij->i")).run({a}).at(0), {6, 15});
  expect_near(Call("Einsum").attr("equation", std::string("i,i")).run({floats({1, 2}, {2}), floats({3, 4}, {2})}).at(0), {11});
  auto mm = Call("Einsum").attr("equation", std::string("bij, bjk -> bik")).run({a.reshaped({1, 2, 3}), floats({1, 0, 0, 1, 1, 1}, {1, 3, 2})});
  ASSERT_TRUE(mm.ok()) << mm.result.detail;
  EXPECT_EQ(mm.at(0).shape(), (Shape{1, 2, 2}));
  expect_near(mm.at(0), {4, 5, 10, 11});
  auto diag = Call("Einsum").attr("equation", std::string("...ii->...i")).run({floats({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})});
  ASSERT_TRUE(diag.ok()) << diag.result.detail;
  EXPECT_EQ(diag.at(0).shape(), (Shape{2, 2}));
  expect_near(diag.at(0), {1, 4, 5, 8});
  EXPECT_FALSE(Call("Einsum").attr("equation", std::string("i-j")).run({}).load_error.empty());
  EXPECT_EQ(Call("Einsum").attr("equation", std::string("ij,jk")).run({a, a}).result.reason, Reason::kShapeMismatch);
  EXPECT_EQ(Call("Einsum").attr("equation", std::string("ijk")).run({a}).result.reason, Reason::kShapeMismatch);
}

TEST(OnnxMath, Det) {
  auto d = Call("Det").run({floats({1, 2, 3, 4, 2, 0, 0, 3}, {2, 2, 2})});
  ASSERT_TRUE(d.ok()) << d.result.detail;
  EXPECT_EQ(d.at(0).shape(), (Shape{2}));
  expect_near(d.at(0), {-2, 6});
  EXPECT_EQ(Call("Det").run({floats({1, 2}, {1, 2})}).result.reason, Reason::kShapeMismatch);
}

// ---- Activations ---------------------------------------------------------------------------

TEST(OnnxMath, Activations) {
  auto x = floats({-2, -0.5f, 0, 1.5f}, {4});
  expect_near(Call("Relu").run({x}).at(0), {0, 0, 0, 1.5f});
  expect_near(Call("Sigmoid").run({x}).at(0), {0.11920292f, 0.37754067f, 0.5f, 0.81757448f});
  expect_near(Call("Tanh").run({x}).at(0), {-0.96402758f, -0.46211716f, 0, 0.90514825f});
  expect_near(Call("LeakyRelu").run({x}).at(0), {-0.02f, -0.005f, 0, 1.5f});
  expect_near(Call("LeakyRelu").attr("alpha", 0.1f).run({x}).at(0), {-0.2f, -0.05f, 0, 1.5f});
  expect_near(Call("Elu").run({x}).at(0), {-0.86466472f, -0.39346934f, 0, 1.5f});
  expect_near(Call("Selu").run({x}).at(0), {-1.5201665f, -0.6917582f, 0, 1.5760515f});
  expect_near(Call("HardSigmoid").run({x}).at(0), {0.1f, 0.4f, 0.5f, 0.8f});
  expect_near(Call("Softplus").run({x}).at(0), {0.12692801f, 0.47407698f, 0.69314718f, 1.70141328f});
  expect_near(Call("Softsign").run({x}).at(0), {-2.0f / 3, -1.0f / 3, 0, 0.6f});
  expect_near(Call("ThresholdedRelu").run({x}).at(0), {0, 0, 0, 1.5f});
  expect_near(Call("Celu").run({x}).at(0), {-0.86466472f, -0.39346934f, 0, 1.5f});
  expect_near(Call("HardSwish").run({x}).at(0), {-0.33333334f, -0.20833333f, 0, 1.125f});
  expect_near(Call("Shrink").attr("bias", 0.5f).run({floats({-2, 0.3f, 2}, {3})}).at(0), {-1.5f, 0, 1.5f});
  EXPECT_EQ(values_of<std::int32_t>(Call("Relu").run({tensor<std::int32_t>({-1, 2}, {2})}).at(0)),
            (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(Call("Sigmoid").run({int64s({1}, {1})}).result.reason, Reason::kTypeMismatch);
  // A large negative input does not overflow.
  expect_near(Call("Sigmoid").run({floats({-1000}, {1})}).at(0), {0});
  expect_near(Call("Softplus").run({floats({1000}, {1})}).at(0), {1000});
}

TEST(OnnxMath, PReluBroadcastsTheSlope) {
  auto x = floats({-1, 2, -3, 4, -5, 6}, {2, 3});
  auto per_channel = Call("PRelu").run({x, floats({0.1f, 0.2f, 0.3f}, {3})});
  ASSERT_TRUE(per_channel.ok()) << per_channel.result.detail;
  expect_near(per_channel.at(0), {-0.1f, 2, -0.9f, 4, -1.0f, 6});
  expect_near(Call("PRelu").run({x, floats({0.5f}, {1})}).at(0), {-0.5f, 2, -1.5f, 4, -2.5f, 6});
  EXPECT_EQ(Call("PRelu").run({x, floats({1, 2}, {2})}).result.reason, Reason::kShapeMismatch);
  // The slope broadcasts to X, never the other way round.
  EXPECT_EQ(Call("PRelu").run({floats({1}, {1}), floats({1, 2}, {2})}).result.reason, Reason::kShapeMismatch);
}

// ---- Softmax ------------------------------------------------------------------------------

TEST(OnnxMath, SoftmaxPerAxisFromOpset13) {
  auto x = floats({1, 2, 3, 1, 1, 1}, {2, 3});
  auto o = Call("Softmax", 13).run({x});
  ASSERT_TRUE(o.ok());
  expect_near(o.at(0), {0.09003057f, 0.24472847f, 0.66524096f, 1.0f / 3, 1.0f / 3, 1.0f / 3});
  auto col = Call("Softmax", 13).attr("axis", std::int64_t{0}).run({x});
  expect_near(col.at(0), {0.5f, 0.73105858f, 0.88079708f, 0.5f, 0.26894142f, 0.11920292f});
  auto log = Call("LogSoftmax", 13).run({x});
  expect_near(log.at(0), {-2.40760596f, -1.40760596f, -0.40760596f, -1.09861229f, -1.09861229f, -1.09861229f});
  auto hard = Call("Hardmax", 13).run({floats({1, 3, 3, 0}, {2, 2})});
  expect_near(hard.at(0), {0, 1, 1, 0});  // the first maximum wins
  EXPECT_EQ(Call("Softmax", 13).attr("axis", std::int64_t{2}).run({x}).result.reason, Reason::kInvalidValue);
  EXPECT_EQ(Call("Softmax", 13).run({int64s({1}, {1})}).result.reason, Reason::kTypeMismatch);
}

TEST(OnnxMath, SoftmaxFlattensUpToOpset12) {
  // [1,2,2] at axis 1: one row of 4 elements (opset 13 would normalise each pair).
  auto x = floats({0, 0, 0, 0}, {1, 2, 2});
  expect_near(Call("Softmax", 11).run({x}).at(0), {0.25f, 0.25f, 0.25f, 0.25f});
  expect_near(Call("Softmax", 13).run({x}).at(0), {0.5f, 0.5f, 0.5f, 0.5f});
  expect_near(Call("Hardmax", 11).run({floats({1, 2, 5, 3}, {1, 2, 2})}).at(0), {0, 0, 1, 0});
}

// ---- Reductions ---------------------------------------------------------------------------

TEST(OnnxMath, ReduceSumAxesFromAttributeOrInput) {
  auto x = floats({1, 2, 3, 4, 5, 6}, {2, 3});
  auto a = Call("ReduceSum", 11).attr("axes", std::vector<std::int64_t>{1}).run({x});
  ASSERT_TRUE(a.ok()) << a.result.detail;
  EXPECT_EQ(a.at(0).shape(), (Shape{2, 1}));
  expect_near(a.at(0), {6, 15});
  auto b = Call("ReduceSum", 13).attr("keepdims", std::int64_t{0}).run({x, int64s({0}, {1})});
  EXPECT_EQ(b.at(0).shape(), (Shape{3}));
  expect_near(b.at(0), {5, 7, 9});
  auto all = Call("ReduceSum", 13).run({x});
  EXPECT_EQ(all.at(0).shape(), (Shape{1, 1}));
  expect_near(all.at(0), {21});
  auto noop = Call("ReduceSum", 13).attr("noop_with_empty_axes", std::int64_t{1}).run({x, int64s({}, {0})});
  EXPECT_EQ(noop.at(0).shape(), (Shape{2, 3}));
  EXPECT_EQ(Call("ReduceSum", 13).run({x, int64s({2}, {1})}).result.reason, Reason::kInvalidValue);
  EXPECT_EQ(Call("ReduceSum", 13).run({x, int64s({1, -1}, {2})}).result.reason, Reason::kInvalidValue);
  EXPECT_EQ(Call("ReduceSum", 13).run({x, floats({1}, {1})}).result.reason, Reason::kTypeMismatch);
}

TEST(OnnxMath, ReduceFamily) {
  auto x = floats({1, -2, 3, 4, 5, -6}, {2, 3});
  auto run = [&](const char* op) {
    return Call(op).attr("axes", std::vector<std::int64_t>{-1}).attr("keepdims", std::int64_t{0}).run({x});
  };
  expect_near(run("ReduceMean").at(0), {2.0f / 3, 1});
  expect_near(run("ReduceMax").at(0), {3, 5});
  expect_near(run("ReduceMin").at(0), {-2, -6});
  expect_near(run("ReduceProd").at(0), {-6, -120});
  expect_near(run("ReduceSumSquare").at(0), {14, 77});
  expect_near(run("ReduceL1").at(0), {6, 15});
  expect_near(run("ReduceL2").at(0), {std::sqrt(14.0f), std::sqrt(77.0f)});
  expect_near(Call("ReduceLogSum").run({floats({1, 2, 3, 4}, {2, 2})}).at(0), {std::log(10.0f)});
  expect_near(Call("ReduceLogSumExp").attr("axes", std::vector<std::int64_t>{0}).run({floats({0, 1, 0, 1}, {2, 2})}).at(0),
              {std::log(2.0f), 1 + std::log(2.0f)});
  auto middle = Call("ReduceMax").attr("axes", std::vector<std::int64_t>{1}).run(
      {floats({1, 8, 2, 7, 3, 6, 4, 5}, {2, 2, 2})});
  EXPECT_EQ(middle.at(0).shape(), (Shape{2, 1, 2}));
  expect_near(middle.at(0), {2, 8, 4, 6});
  EXPECT_EQ(values_of<std::int64_t>(Call("ReduceMean").run({int64s({2, 4, 7, 7}, {4})}).at(0)),
            (std::vector<std::int64_t>{5}));
}

TEST(OnnxMath, ArgMaxArgMin) {
  auto x = floats({2, 5, 5, 1, 0, 1}, {2, 3});
  auto am = Call("ArgMax").attr("axis", std::int64_t{1}).run({x});
  EXPECT_EQ(am.at(0).shape(), (Shape{2, 1}));
  EXPECT_EQ(values_of<std::int64_t>(am.at(0)), (std::vector<std::int64_t>{1, 0}));
  auto last = Call("ArgMax").attr("axis", std::int64_t{1}).attr("select_last_index", std::int64_t{1}).run({x});
  EXPECT_EQ(values_of<std::int64_t>(last.at(0)), (std::vector<std::int64_t>{2, 2}));
  auto mn = Call("ArgMin").attr("keepdims", std::int64_t{0}).run({x});
  EXPECT_EQ(mn.at(0).shape(), (Shape{3}));
  EXPECT_EQ(values_of<std::int64_t>(mn.at(0)), (std::vector<std::int64_t>{1, 1, 1}));
  EXPECT_EQ(Call("ArgMax").attr("axis", std::int64_t{-3}).run({x}).result.reason, Reason::kInvalidValue);
  EXPECT_EQ(Call("ArgMax").run({floats({}, {0, 2})}).result.reason, Reason::kInvalidValue);
}

TEST(OnnxMath, TopKLargestSmallestAndTies) {
  auto x = floats({3, 1, 3, 2, 0, 5, 5, 4}, {2, 4});
  auto o = Call("TopK", 11).run({x, int64s({2}, {1})}, 2);
  ASSERT_TRUE(o.ok()) << o.result.detail;
  EXPECT_EQ(o.at(0).shape(), (Shape{2, 2}));
  expect_near(o.at(0), {3, 3, 5, 5});
  EXPECT_EQ(values_of<std::int64_t>(o.at(1)), (std::vector<std::int64_t>{0, 2, 1, 2}));  // lower index first
  auto small = Call("TopK", 11).attr("largest", std::int64_t{0}).attr("axis", std::int64_t{0}).run({x, int64s({1}, {1})}, 2);
  expect_near(small.at(0), {0, 1, 3, 2});
  EXPECT_EQ(values_of<std::int64_t>(small.at(1)), (std::vector<std::int64_t>{1, 0, 0, 0}));
  auto v1 = Call("TopK", 1).attr("k", std::int64_t{1}).run({x}, 2);
  expect_near(v1.at(0), {3, 5});
  EXPECT_EQ(Call("TopK", 11).run({x, int64s({5}, {1})}, 2).result.reason, Reason::kInvalidValue);
  EXPECT_EQ(Call("TopK", 11).run({x, int64s({1, 2}, {2})}, 2).result.reason, Reason::kShapeMismatch);
}

TEST(OnnxMath, CumSum) {
  auto x = floats({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_near(Call("CumSum").run({x, int64s({1}, {})}).at(0), {1, 3, 6, 4, 9, 15});
  expect_near(Call("CumSum").run({x, tensor<std::int32_t>({0}, {})}).at(0), {1, 2, 3, 5, 7, 9});
  expect_near(Call("CumSum").attr("exclusive", std::int64_t{1}).attr("reverse", std::int64_t{1}).run({x, int64s({1}, {})}).at(0),
              {5, 3, 0, 11, 6, 0});
  EXPECT_EQ(Call("CumSum").run({x, int64s({2}, {})}).result.reason, Reason::kInvalidValue);
}

// ---- Models against numpy -------------------------------------------------------------------

class NumpyReference : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string script = std::string(BB_SOURCE_DIR) + "/tests/ops/data/math_reference.py";
    const std::string command = "/usr/bin/python3 " + script + " " + dir_.path().string();
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  Tensor load(const std::string& name) {
    std::ifstream in(dir_ / (name + ".pb"), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    onnx::TensorProto proto;
    EXPECT_TRUE(proto.ParseFromString(bytes.str())) << name;
    auto t = runtime::from_proto(proto);
    EXPECT_TRUE(t) << name;
    return t ? *t : Tensor{};
  }
  static Tensor must(const Outcome& o) {
    EXPECT_TRUE(o.ok()) << o.load_error << o.result.detail;
    return o.ok() ? o.at(0) : Tensor{};
  }
  // numpy.allclose(got, want, rtol=1e-3, atol=1e-7).
  static void expect_close(const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.shape(), want.shape());
    int bad = 0;
    for (std::int64_t i = 0; i < want.size(); ++i) {
      const float g = got.data<float>()[i], w = want.data<float>()[i];
      if (std::abs(g - w) > 1e-7f + 1e-3f * std::abs(w) && ++bad <= 5) ADD_FAILURE() << i << ": " << g << " vs " << w;
    }
    EXPECT_EQ(bad, 0);
  }

  TempDir dir_;
};

TEST_F(NumpyReference, TwoLayerPerceptron) {
  const Tensor x = load("perceptron_x");
  ASSERT_EQ(x.shape(), (Shape{64, 784}));
  const Tensor h = must(Call("Relu").run({must(Call("Gemm").run({x, load("perceptron_w1"), load("perceptron_b1")}))}));
  const Tensor y = must(Call("Softmax", 13).run({must(Call("Gemm").run({h, load("perceptron_w2"), load("perceptron_b2")}))}));
  expect_close(y, load("perceptron_y"));
}

TEST_F(NumpyReference, SoftmaxRegressionTrainingStep) {
  const Tensor x = load("regression_x"), w = load("regression_w"), labels = load("regression_labels");
  const Tensor p = must(Call("Softmax", 13).run({must(Call("MatMul").run({x, w}))}));
  const Tensor d = must(Call("Sub").run({p, labels}));
  const Tensor xt = must(Call("Transpose", 13).run({x}));
  const Tensor scale = Tensor::scalar(1.0f / static_cast<float>(x.dim(0)));
  const Tensor grad = must(Call("Mul").run({must(Call("MatMul").run({xt, d})), scale}));
  const Tensor w_next = must(Call("Sub").run({w, must(Call("Mul").run({load("regression_lr"), grad}))}));
  expect_close(w_next, load("regression_w_next"));
  const Tensor loss = must(Call("ReduceMean", 13).attr("keepdims", std::int64_t{0}).run({must(Call("Mul").run({d, d}))}));
  expect_close(loss, load("regression_loss"));
}

}  // namespace
}  // namespace bb::testing
