// The structural ai.onnx kernels (shape.cc, cast.cc, logic.cc, nn.cc, resize.cc,
// detection.cc) run one node at a time through the registry, as the engine resolves
// them: values, zero-copy forwarding, and every refusal (stable reason, a detail naming
// the value and its bound).
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "bb/runtime/clock.h"
#include "bb/runtime/kernel.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"

namespace bb::testing {
namespace {

using runtime::DType;
using runtime::OpResult;
using runtime::Reason;
using runtime::Shape;
using runtime::Status;
using runtime::Tensor;
using runtime::Value;

// The clock, scheduler and settings a node's services refer to, built before them.
struct ServiceParts {
  runtime::VirtualClock part_clock;
  runtime::Scheduler part_scheduler{part_clock};
  runtime::NodeSettings part_settings;
};
class Services final : private ServiceParts, public runtime::KernelServices, public runtime::NetworkServices {
 public:
  Services()
      : KernelServices(part_scheduler, 1), NetworkServices(*PeerId::identity("local"), 1, part_settings, rng_) {}
  void fire(std::uint32_t) override {}
  void send_attempt(runtime::PendingId, runtime::PeerIndex, const bb::Envelope&) override {}
};

template <class T>
Tensor tensor(std::initializer_list<T> values, Shape shape) {
  Tensor t = Tensor::allocate(runtime::dtype_of<T>(), std::move(shape));
  std::copy(values.begin(), values.end(), t.mutable_data<T>());
  return t;
}
Tensor ints(std::initializer_list<std::int64_t> values) {
  return tensor<std::int64_t>(values, {static_cast<std::int64_t>(values.size())});
}

// One ai.onnx node: attributes set on `node`, inputs given as tensors (an undefined
// tensor is an absent optional input).
struct Op {
  onnx::NodeProto node;
  int opset = 17;
  explicit Op(std::string type, int version = 17) : opset(version) { node.set_op_type(std::move(type)); }
  Op& i(const std::string& name, std::int64_t v) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
    return *this;
  }
  Op& f(const std::string& name, float v) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
    return *this;
  }
  Op& s(const std::string& name, const std::string& v) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
    return *this;
  }
  Op& is(const std::string& name, std::initializer_list<std::int64_t> v) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
    return *this;
  }

  // Loads the kernel (a load error fails the test) and runs it once.
  OpResult run(std::vector<Tensor> inputs, std::size_t outputs = 1) {
    const auto* reg = runtime::registry::find("", node.op_type(), opset);
    if (reg == nullptr) {
      ADD_FAILURE() << "no kernel for " << node.op_type() << " at opset " << opset;
      return OpResult::fail(Reason::kBadInput, "no kernel");
    }
    runtime::KernelInit init{node, 0, nullptr, services, services};
    auto kernel = reg->factory(init);
    if (!kernel) {
      ADD_FAILURE() << "load error: " << kernel.error();
      return OpResult::fail(Reason::kBadInput, kernel.error());
    }
    in.clear();
    for (Tensor& t : inputs) in.push_back(t.defined() ? Value::tensor(std::move(t)) : Value());
    std::vector<const Value*> ptrs;
    for (const Value& v : in) ptrs.push_back(&v);
    out.assign(outputs, Value());
    runtime::Invocation inv(ptrs.data(), static_cast<std::uint32_t>(ptrs.size()), out.data(),
                            static_cast<std::uint32_t>(out.size()), services, services, 0, 1, nullptr);
    return (*kernel)->compute(inv);
  }
  // The load error of this node (empty when it loads).
  std::string load_error() {
    const auto* reg = runtime::registry::find("", node.op_type(), opset);
    if (reg == nullptr) return "no kernel";
    runtime::KernelInit init{node, 0, nullptr, services, services};
    auto kernel = reg->factory(init);
    return kernel ? "" : kernel.error();
  }
  const Tensor& output(std::size_t j = 0) const { return out[j].as_tensor(); }

  Services services;
  std::vector<Value> in, out;
};

template <class T>
std::vector<T> values_of(const Tensor& t) {
  auto v = t.values<T>();
  return {v.begin(), v.end()};
}

void expect_ok(const OpResult& r) { EXPECT_EQ(r.status, Status::kOk) << r.detail; }
void expect_fail(const OpResult& r, Reason reason, std::initializer_list<std::string> mentions) {
  EXPECT_EQ(r.status, Status::kFailed);
  EXPECT_EQ(r.reason, reason) << r.detail;
  for (const auto& m : mentions) EXPECT_NE(r.detail.find(m), std::string::npos) << "'" << m << "' not in: " << r.detail;
}

// ---- zero-copy ------------------------------------------------------------------------------

TEST(OnnxShape, ReshapeCopiesDimsWithZeroInfersMinusOneAndSharesTheBuffer) {
  Op op("Reshape", 14);
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_ok(op.run({x, ints({0, -1, 1})}));
  EXPECT_EQ(op.output().shape(), (Shape{2, 3, 1}));
  EXPECT_TRUE(op.output().shares_buffer_with(op.in[0].as_tensor()));
  EXPECT_EQ(values_of<float>(op.output()), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(OnnxShape, ReshapeAllowZeroKeepsZeroAsADim) {
  Op op("Reshape", 14);
  op.i("allowzero", 1);
  expect_ok(op.run({Tensor::allocate(DType::kFloat, {0, 3}), ints({3, 0})}));
  EXPECT_EQ(op.output().shape(), (Shape{3, 0}));
}

TEST(OnnxShape, ReshapeRefusesNegativeDimsTwoInferredDimsAndWrongCounts) {
  Op op("Reshape", 14);
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_fail(op.run({x, ints({-2, 3})}), Reason::kInvalidValue, {"-2"});
  expect_fail(op.run({x, ints({-1, -1})}), Reason::kInvalidValue, {"more than one -1"});
  expect_fail(op.run({x, ints({4, 2})}), Reason::kShapeMismatch, {"[2,3]", "[4,2]"});
  expect_fail(op.run({x, ints({INT64_MAX, INT64_MAX, 0})}), Reason::kInvalidValue, {"elements"});
  expect_fail(op.run({x, tensor<float>({6}, {1})}), Reason::kTypeMismatch, {"shape"});
}

TEST(OnnxShape, SqueezeUnsqueezeFlattenAndIdentityShareTheBuffer) {
  Tensor x = tensor<float>({1, 2, 3}, {1, 3, 1});
  Op squeeze("Squeeze", 13);
  expect_ok(squeeze.run({x, ints({0})}));
  EXPECT_EQ(squeeze.output().shape(), (Shape{3, 1}));
  EXPECT_TRUE(squeeze.output().shares_buffer_with(x));
  Op squeeze_all("Squeeze", 11);
  expect_ok(squeeze_all.run({x}));
  EXPECT_EQ(squeeze_all.output().shape(), (Shape{3}));
  Op unsqueeze("Unsqueeze", 13);
  expect_ok(unsqueeze.run({x, ints({-1, 0})}));
  EXPECT_EQ(unsqueeze.output().shape(), (Shape{1, 1, 3, 1, 1}));
  EXPECT_TRUE(unsqueeze.output().shares_buffer_with(x));
  Op unsqueeze11("Unsqueeze", 11);
  unsqueeze11.is("axes", {1});
  expect_ok(unsqueeze11.run({x}));
  EXPECT_EQ(unsqueeze11.output().shape(), (Shape{1, 1, 3, 1}));
  Op flatten("Flatten");
  flatten.i("axis", 2);
  expect_ok(flatten.run({x}));
  EXPECT_EQ(flatten.output().shape(), (Shape{3, 1}));
  EXPECT_TRUE(flatten.output().shares_buffer_with(x));
  Op identity("Identity");
  expect_ok(identity.run({x}));
  EXPECT_TRUE(identity.output().shares_buffer_with(x));
}

TEST(OnnxShape, SqueezeRefusesAxesOutOfRangeOrNotOne) {
  Tensor x = tensor<float>({1, 2, 3}, {1, 3});
  Op op("Squeeze", 13);
  expect_fail(op.run({x, ints({2})}), Reason::kInvalidValue, {"axis 2", "[-2, 1]"});
  expect_fail(op.run({x, ints({1})}), Reason::kShapeMismatch, {"axis 1", "[1,3]"});
  Op flatten("Flatten");
  flatten.i("axis", 5);
  expect_fail(flatten.run({x}), Reason::kInvalidValue, {"axis 5"});
}

// ---- moving elements ----------------------------------------------------------------------------

TEST(OnnxShape, TransposeDefaultsToReversedAxes) {
  Op op("Transpose");
  expect_ok(op.run({tensor<std::int32_t>({1, 2, 3, 4, 5, 6}, {2, 3})}));
  EXPECT_EQ(op.output().shape(), (Shape{3, 2}));
  EXPECT_EQ(values_of<std::int32_t>(op.output()), (std::vector<std::int32_t>{1, 4, 2, 5, 3, 6}));
  Op bad("Transpose");
  bad.is("perm", {0, 0});
  expect_fail(bad.run({tensor<std::int32_t>({1, 2}, {1, 2})}), Reason::kInvalidValue, {"appears twice"});
  Op short_perm("Transpose");
  short_perm.is("perm", {0});
  expect_fail(short_perm.run({tensor<std::int32_t>({1, 2}, {1, 2})}), Reason::kShapeMismatch, {"rank 2"});
}

TEST(OnnxShape, ConcatAndSplitAreInverse) {
  Op concat("Concat");
  concat.i("axis", -1);
  expect_ok(concat.run({tensor<float>({1, 2, 3, 4}, {2, 2}), tensor<float>({5, 6}, {2, 1})}));
  EXPECT_EQ(values_of<float>(concat.output()), (std::vector<float>{1, 2, 5, 3, 4, 6}));
  Op split("Split", 13);
  split.i("axis", 1);
  expect_ok(split.run({concat.output(), ints({2, 1})}, 2));
  EXPECT_EQ(values_of<float>(split.output(0)), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values_of<float>(split.output(1)), (std::vector<float>{5, 6}));
  Op split_attr("Split", 11);
  split_attr.is("split", {1, 1});
  expect_ok(split_attr.run({tensor<float>({1, 2, 3, 4}, {2, 2})}, 2));
  EXPECT_EQ(values_of<float>(split_attr.output(1)), (std::vector<float>{3, 4}));
  expect_fail(split.run({concat.output(), ints({2, 2})}, 2), Reason::kShapeMismatch, {"sum to 4", "is 3"});
  expect_fail(concat.run({tensor<float>({1, 2}, {2}), tensor<float>({5, 6}, {2, 1})}), Reason::kShapeMismatch,
              {"[2,1]", "[2]"});
}

TEST(OnnxShape, SliceClampsAndStepsBackwards) {
  Op op("Slice", 13);
  Tensor x = tensor<std::int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  expect_ok(op.run({x, ints({-1}), ints({-1000}), ints({0}), ints({-3})}));
  EXPECT_EQ(values_of<std::int64_t>(op.output()), (std::vector<std::int64_t>{9, 6, 3, 0}));
  expect_ok(op.run({x, ints({2}), ints({1000}), Tensor(), Tensor()}));
  EXPECT_EQ(op.output().size(), 8);
  expect_fail(op.run({x, ints({0}), ints({1}), ints({1}), Tensor()}), Reason::kInvalidValue, {"axis 1", "[-1, 0]"});
  expect_fail(op.run({x, ints({0}), ints({1}), ints({0}), ints({0})}), Reason::kInvalidValue, {"step"});
  // Extreme starts, ends and steps clamp without overflowing.
  expect_ok(op.run({x, ints({1}), ints({INT64_MAX}), ints({0}), ints({INT64_MAX})}));
  EXPECT_EQ(values_of<std::int64_t>(op.output()), (std::vector<std::int64_t>{1}));
  expect_ok(op.run({x, ints({INT64_MAX}), ints({INT64_MIN}), ints({0}), ints({INT64_MIN})}));
  EXPECT_EQ(values_of<std::int64_t>(op.output()), (std::vector<std::int64_t>{9}));
  Op v1("Slice", 9);
  v1.is("starts", {1}).is("ends", {3});
  expect_ok(v1.run({x}));
  EXPECT_EQ(values_of<std::int64_t>(v1.output()), (std::vector<std::int64_t>{1, 2}));
}

TEST(OnnxShape, PadReflectEdgeAndConstant) {
  Tensor x = tensor<float>({1, 2, 3}, {3});
  Op reflect("Pad", 13);
  reflect.s("mode", "reflect");
  expect_ok(reflect.run({x, ints({2, 2})}));
  EXPECT_EQ(values_of<float>(reflect.output()), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  Op edge("Pad", 13);
  edge.s("mode", "edge");
  expect_ok(edge.run({x, ints({1, 2})}));
  EXPECT_EQ(values_of<float>(edge.output()), (std::vector<float>{1, 1, 2, 3, 3, 3}));
  Op constant("Pad", 2);
  constant.is("pads", {1, -1}).f("value", 7);
  expect_ok(constant.run({x}));
  EXPECT_EQ(values_of<float>(constant.output()), (std::vector<float>{7, 1, 2}));
  expect_fail(reflect.run({x, ints({1})}), Reason::kShapeMismatch, {"2 × rank"});
  expect_fail(reflect.run({x, ints({-4, 0})}), Reason::kInvalidValue, {"negative dim"});
  expect_fail(edge.run({x, ints({INT64_MAX, 1})}), Reason::kInvalidValue, {"outside"});
}

TEST(OnnxShape, ExpandAndTileRefuseHugeOrNegativeShapesWithoutAllocating) {
  Tensor x = tensor<float>({1, 2}, {2});
  Op expand("Expand");
  expect_ok(expand.run({x, ints({2, 1})}));
  EXPECT_EQ(values_of<float>(expand.output()), (std::vector<float>{1, 2, 1, 2}));
  expect_fail(expand.run({x, ints({1 << 20, 1 << 20, 2})}), Reason::kInvalidValue, {"elements"});
  expect_fail(expand.run({x, ints({-1, 2})}), Reason::kInvalidValue, {"negative"});
  expect_fail(expand.run({x, ints({3})}), Reason::kShapeMismatch, {"[2]", "[3]"});
  Op tile("Tile");
  expect_ok(tile.run({x, ints({2})}));
  EXPECT_EQ(values_of<float>(tile.output()), (std::vector<float>{1, 2, 1, 2}));
  expect_fail(tile.run({x, ints({-2})}), Reason::kInvalidValue, {"-2"});
  expect_fail(tile.run({x, ints({2, 2})}), Reason::kShapeMismatch, {"rank 1"});
}

// ---- indexing -------------------------------------------------------------------------------------

TEST(OnnxShape, GatherTakesNegativeIndicesAndRefusesOutOfRangeOnes) {
  Op op("Gather");
  op.i("axis", 1);
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_ok(op.run({x, ints({-1, 0})}));
  EXPECT_EQ(op.output().shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of<float>(op.output()), (std::vector<float>{3, 1, 6, 4}));
  expect_fail(op.run({x, ints({3})}), Reason::kInvalidValue, {"3", "[-3, 2]"});
  expect_fail(op.run({x, ints({-4})}), Reason::kInvalidValue, {"-4", "[-3, 2]"});
  Op bad_axis("Gather");
  bad_axis.i("axis", 2);
  expect_fail(bad_axis.run({x, ints({0})}), Reason::kInvalidValue, {"axis 2", "[-2, 1]"});
}

TEST(OnnxShape, GatherElementsScatterElementsAndNdVariants) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {2, 2});
  Op ge("GatherElements");
  ge.i("axis", 1);
  expect_ok(ge.run({x, tensor<std::int64_t>({1, 1, 0, 1}, {2, 2})}));
  EXPECT_EQ(values_of<float>(ge.output()), (std::vector<float>{2, 2, 3, 4}));
  expect_fail(ge.run({x, tensor<std::int64_t>({2, 0}, {1, 2})}), Reason::kInvalidValue, {"2", "[-2, 1]"});
  expect_fail(ge.run({x, ints({0})}), Reason::kShapeMismatch, {"same rank"});
  Op se("ScatterElements", 16);
  se.s("reduction", "add");
  expect_ok(se.run({x, tensor<std::int64_t>({1, 1}, {1, 2}), tensor<float>({10, 20}, {1, 2})}));
  EXPECT_EQ(values_of<float>(se.output()), (std::vector<float>{1, 2, 13, 24}));
  Op gnd("GatherND");
  expect_ok(gnd.run({x, tensor<std::int64_t>({1, 0}, {1, 2})}));
  EXPECT_EQ(values_of<float>(gnd.output()), (std::vector<float>{3}));
  expect_fail(gnd.run({x, tensor<std::int64_t>({0, 5}, {1, 2})}), Reason::kInvalidValue, {"5", "[-2, 1]"});
  Op snd("ScatterND");
  expect_ok(snd.run({x, tensor<std::int64_t>({0}, {1, 1}), tensor<float>({8, 9}, {1, 2})}));
  EXPECT_EQ(values_of<float>(snd.output()), (std::vector<float>{8, 9, 3, 4}));
  expect_fail(snd.run({x, tensor<std::int64_t>({0}, {1, 1}), tensor<float>({8}, {1, 1})}), Reason::kShapeMismatch,
              {"[1,2]"});
}

TEST(OnnxShape, OneHotCompressNonZeroTriluRange) {
  Op onehot("OneHot");
  expect_ok(onehot.run({ints({0, -1, 5}), ints({3}), tensor<float>({0, 1}, {2})}));
  EXPECT_EQ(values_of<float>(onehot.output()), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));  // 5: all off
  expect_fail(onehot.run({ints({0}), ints({0}), tensor<float>({0, 1}, {2})}), Reason::kInvalidValue, {"depth 0"});
  Op compress("Compress");
  compress.i("axis", 0);
  expect_ok(compress.run({tensor<float>({1, 2, 3}, {3}), tensor<bool>({false, true}, {2})}));
  EXPECT_EQ(values_of<float>(compress.output()), (std::vector<float>{2}));
  expect_fail(compress.run({tensor<float>({1}, {1}), tensor<bool>({false, true}, {2})}), Reason::kInvalidValue,
              {"index 1"});
  Op nonzero("NonZero");
  expect_ok(nonzero.run({tensor<std::int32_t>({0, 3, 4, 0}, {2, 2})}));
  EXPECT_EQ(values_of<std::int64_t>(nonzero.output()), (std::vector<std::int64_t>{0, 1, 1, 0}));
  Op trilu("Trilu");
  trilu.i("upper", 0);
  expect_ok(trilu.run({tensor<float>({1, 2, 3, 4}, {2, 2})}));
  EXPECT_EQ(values_of<float>(trilu.output()), (std::vector<float>{1, 0, 3, 4}));
  Op range("Range");
  expect_ok(range.run({Tensor::scalar<float>(1), Tensor::scalar<float>(2), Tensor::scalar<float>(0.25f)}));
  EXPECT_EQ(values_of<float>(range.output()), (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  expect_fail(range.run({Tensor::scalar<float>(0), Tensor::scalar<float>(1e30f), Tensor::scalar<float>(1e-30f)}),
              Reason::kInvalidValue, {"elements"});
}

TEST(OnnxShape, ShapeSizeConstantOfShapeAndConstant) {
  Tensor x = Tensor::allocate(DType::kFloat, {2, 3, 4});
  Op shape("Shape", 15);
  shape.i("start", -2);
  expect_ok(shape.run({x}));
  EXPECT_EQ(values_of<std::int64_t>(shape.output()), (std::vector<std::int64_t>{3, 4}));
  Op size("Size");
  expect_ok(size.run({x}));
  EXPECT_EQ(values_of<std::int64_t>(size.output()), (std::vector<std::int64_t>{24}));
  Op fill("ConstantOfShape");
  expect_ok(fill.run({ints({2})}));
  EXPECT_EQ(values_of<float>(fill.output()), (std::vector<float>{0, 0}));
  expect_fail(fill.run({ints({-2})}), Reason::kInvalidValue, {"negative"});
  Op constant("Constant");
  constant.is("value_ints", {4, 5});
  expect_ok(constant.run({}));
  EXPECT_EQ(values_of<std::int64_t>(constant.output()), (std::vector<std::int64_t>{4, 5}));
  Op two("Constant");
  two.i("value_int", 1).f("value_float", 2);
  EXPECT_NE(two.load_error().find("exactly one"), std::string::npos);
}

TEST(OnnxShape, DepthToSpaceAndSpaceToDepthAreInverse) {
  Tensor x = Tensor::allocate(DType::kFloat, {1, 8, 2, 3});
  for (std::int64_t i = 0; i < x.size(); ++i) x.mutable_data<float>()[i] = static_cast<float>(i);
  for (const char* mode : {"DCR", "CRD"}) {
    Op d2s("DepthToSpace");
    d2s.i("blocksize", 2).s("mode", mode);
    expect_ok(d2s.run({x}));
    EXPECT_EQ(d2s.output().shape(), (Shape{1, 2, 4, 6}));
    if (std::string(mode) == "DCR") {
      Op s2d("SpaceToDepth");
      s2d.i("blocksize", 2);
      expect_ok(s2d.run({d2s.output()}));
      EXPECT_EQ(values_of<float>(s2d.output()), values_of<float>(x));
    }
  }
  Op bad("DepthToSpace");
  bad.i("blocksize", 3);
  expect_fail(bad.run({x}), Reason::kShapeMismatch, {"blocksize² = 9"});
}

TEST(OnnxShape, MissingAndNonTensorInputsAreBadInput) {
  Op op("Gather");
  expect_fail(op.run({tensor<float>({1}, {1})}), Reason::kBadInput, {"input 1"});
}

// ---- cast -------------------------------------------------------------------------------------------

TEST(OnnxCast, NumbersHalfFloatsAndStrings) {
  Op to_half("Cast");
  to_half.i("to", static_cast<std::int64_t>(DType::kFloat16));
  expect_ok(to_half.run({tensor<float>({1.0f, -2.5f, 65504.0f, 1e6f, 5.96046448e-8f, 0.1f}, {6})}));
  ASSERT_EQ(to_half.output().dtype(), DType::kFloat16);
  const auto* h = static_cast<const std::uint16_t*>(to_half.output().raw());
  EXPECT_EQ(h[0], 0x3c00);
  EXPECT_EQ(h[1], 0xc100);
  EXPECT_EQ(h[2], 0x7bff);
  EXPECT_EQ(h[3], 0x7c00);  // overflow: inf
  EXPECT_EQ(h[4], 0x0001);  // smallest subnormal
  EXPECT_EQ(h[5], 0x2e66);  // 0.1 rounded to nearest
  Op back("Cast");
  back.i("to", static_cast<std::int64_t>(DType::kFloat));
  expect_ok(back.run({to_half.output()}));
  EXPECT_EQ(values_of<float>(back.output())[1], -2.5f);
  EXPECT_TRUE(std::isinf(values_of<float>(back.output())[3]));

  Op to_int("Cast");
  to_int.i("to", static_cast<std::int64_t>(DType::kInt32));
  expect_ok(to_int.run({tensor<float>({-1.7f, 2.9f, NAN}, {3})}));
  EXPECT_EQ(values_of<std::int32_t>(to_int.output()), (std::vector<std::int32_t>{-1, 2, 0}));

  Op to_string("Cast");
  to_string.i("to", static_cast<std::int64_t>(DType::kString));
  expect_ok(to_string.run({tensor<float>({0.039187793f, -1.0f, INFINITY}, {3})}));
  EXPECT_EQ(values_of<std::string>(to_string.output()), (std::vector<std::string>{"0.039187793", "-1", "INF"}));
  Op from_string("Cast");
  from_string.i("to", static_cast<std::int64_t>(DType::kFloat));
  expect_ok(from_string.run({tensor<std::string>({"0.5", "-INF", "NaN"}, {3})}));
  EXPECT_EQ(values_of<float>(from_string.output())[0], 0.5f);
  EXPECT_TRUE(std::isnan(values_of<float>(from_string.output())[2]));
  expect_fail(from_string.run({tensor<std::string>({"1.5x"}, {1})}), Reason::kInvalidValue, {"\"1.5x\"", "element 0"});

  Op bad("Cast");
  bad.i("to", 14);  // complex128
  EXPECT_NE(bad.load_error().find("14"), std::string::npos);
  Op like("CastLike");
  expect_ok(like.run({tensor<std::int64_t>({3}, {1}), tensor<double>({0}, {1})}));
  EXPECT_EQ(values_of<double>(like.output()), (std::vector<double>{3.0}));
}

// ---- logic -----------------------------------------------------------------------------------------------

TEST(OnnxLogic, ComparisonsBroadcastAndWhereTakesThreeShapes) {
  Op less("Less");
  expect_ok(less.run({tensor<std::int32_t>({1, 5, 3, 0}, {2, 2}), tensor<std::int32_t>({2, 2}, {1, 2})}));
  EXPECT_EQ(values_of<bool>(less.output()), (std::vector<bool>{true, false, false, true}));
  expect_fail(less.run({tensor<std::int32_t>({1}, {1}), tensor<float>({1}, {1})}), Reason::kTypeMismatch,
              {"int32", "float"});
  expect_fail(less.run({tensor<std::int32_t>({1, 2, 3}, {3}), tensor<std::int32_t>({1, 2}, {2})}),
              Reason::kShapeMismatch, {"[3]", "[2]"});
  Op xr("Xor");
  expect_ok(xr.run({tensor<bool>({true, false}, {2}), tensor<bool>({true}, {1})}));
  EXPECT_EQ(values_of<bool>(xr.output()), (std::vector<bool>{false, true}));
  Op where("Where");
  expect_ok(where.run({tensor<bool>({true, false}, {2, 1}), tensor<float>({1, 2, 3}, {3}), Tensor::scalar<float>(0)}));
  EXPECT_EQ(where.output().shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(where.output()), (std::vector<float>{1, 2, 3, 0, 0, 0}));
  expect_fail(where.run({tensor<bool>({true, false}, {2}), tensor<float>({1, 2, 3}, {3}), Tensor::scalar<float>(0)}),
              Reason::kShapeMismatch, {"[2]", "[3]"});
}

// ---- nn ------------------------------------------------------------------------------------------------------

TEST(OnnxNn, ConvMatchesADirectSumWithPaddingStridesAndGroups) {
  // 1 × 2 × 3 × 3 input, two groups of one channel, 2 × 2 kernel, pads 1, stride 2.
  Tensor x = Tensor::allocate(DType::kFloat, {1, 2, 3, 3});
  for (std::int64_t i = 0; i < 18; ++i) x.mutable_data<float>()[i] = static_cast<float>(i + 1);
  Tensor w = tensor<float>({1, 2, 3, 4, -1, 0, 0, 1}, {2, 1, 2, 2});
  Op conv("Conv");
  conv.i("group", 2).is("pads", {1, 1, 1, 1}).is("strides", {2, 2});
  expect_ok(conv.run({x, w, tensor<float>({0.5f, -0.5f}, {2})}));
  ASSERT_EQ(conv.output().shape(), (Shape{1, 2, 2, 2}));
  const auto y = values_of<float>(conv.output());
  // Channel 0, output (0,0): only x[0][0] (=1) meets w[1][1] (=4).
  EXPECT_FLOAT_EQ(y[0], 4 * 1 + 0.5f);
  // Channel 0, output (1,1): rows 1-2, cols 1-2 of x: 5 6 / 8 9 with w 1 2 / 3 4.
  EXPECT_FLOAT_EQ(y[3], 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9 + 0.5f);
  // Channel 1, output (1,1): x[1] rows 1-2, cols 1-2: 14 15 / 17 18 with w -1 0 / 0 1.
  EXPECT_FLOAT_EQ(y[7], -14 + 18 - 0.5f);
  expect_fail(conv.run({x, tensor<float>({1}, {1, 1, 1, 1})}), Reason::kShapeMismatch, {"group 2"});
  expect_fail(conv.run({tensor<float>({1}, {1}), w}), Reason::kShapeMismatch, {"rank ≥ 3"});
}

TEST(OnnxNn, MaxPoolReportsIndicesAndAveragePoolCountsPadsWhenAsked) {
  Tensor x = tensor<float>({1, 5, 3, 4, 2, 6, 0, 8, 7}, {1, 1, 3, 3});
  Op max("MaxPool");
  max.is("kernel_shape", {2, 2});
  expect_ok(max.run({x}, 2));
  EXPECT_EQ(values_of<float>(max.output(0)), (std::vector<float>{5, 6, 8, 8}));
  EXPECT_EQ(values_of<std::int64_t>(max.output(1)), (std::vector<std::int64_t>{1, 5, 7, 7}));
  Op avg("AveragePool");
  avg.is("kernel_shape", {2, 2}).is("pads", {1, 1, 0, 0}).i("count_include_pad", 1);
  expect_ok(avg.run({x}));
  EXPECT_FLOAT_EQ(values_of<float>(avg.output())[0], 1.0f / 4);
  Op avg_excl("AveragePool");
  avg_excl.is("kernel_shape", {2, 2}).is("pads", {1, 1, 0, 0});
  expect_ok(avg_excl.run({x}));
  EXPECT_FLOAT_EQ(values_of<float>(avg_excl.output())[0], 1.0f);
  Op too_big("MaxPool");
  too_big.is("kernel_shape", {4, 4});
  expect_fail(too_big.run({x}), Reason::kInvalidValue, {"larger"});
  Op huge("MaxPool");
  huge.is("kernel_shape", {1, 1}).is("pads", {INT64_MAX, 0, 0, 0});
  expect_fail(huge.run({x}), Reason::kInvalidValue, {"over"});
  Op no_kernel("MaxPool");
  EXPECT_NE(no_kernel.load_error().find("kernel_shape"), std::string::npos);
}

TEST(OnnxNn, BatchNormalizationDropoutAndGlobalPools) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {1, 2, 2});
  Op bn("BatchNormalization", 15);
  bn.f("epsilon", 0);
  expect_ok(bn.run({x, tensor<float>({1, 2}, {2}), tensor<float>({0, 1}, {2}), tensor<float>({1, 3}, {2}),
                    tensor<float>({1, 4}, {2})}));
  EXPECT_EQ(values_of<float>(bn.output()), (std::vector<float>{0, 1, 1, 2}));
  expect_fail(bn.run({x, tensor<float>({1}, {1}), tensor<float>({0, 1}, {2}), tensor<float>({1, 3}, {2}),
                      tensor<float>({1, 4}, {2})}),
              Reason::kShapeMismatch, {"scale", "[2]"});
  Op dropout("Dropout", 13);
  expect_ok(dropout.run({x}, 2));
  EXPECT_TRUE(dropout.output(0).shares_buffer_with(x));
  EXPECT_EQ(values_of<bool>(dropout.output(1)), (std::vector<bool>{true, true, true, true}));
  Op gap("GlobalAveragePool");
  expect_ok(gap.run({x}));
  EXPECT_EQ(values_of<float>(gap.output()), (std::vector<float>{1.5f, 3.5f}));
  Op gmp("GlobalMaxPool");
  expect_ok(gmp.run({x}));
  EXPECT_EQ(values_of<float>(gmp.output()), (std::vector<float>{2, 4}));
}

TEST(OnnxNn, ConvTransposeSpreadsEachInputOverItsWindow) {
  Op op("ConvTranspose");
  op.is("strides", {2});
  // x = [1, 2], w = [1, 1, 1] (1 channel in, 1 out), stride 2: [1 1 1+2 2 2].
  expect_ok(op.run({tensor<float>({1, 2}, {1, 1, 2}), tensor<float>({1, 1, 1}, {1, 1, 3})}));
  EXPECT_EQ(values_of<float>(op.output()), (std::vector<float>{1, 1, 3, 2, 2}));
  Op shaped("ConvTranspose");
  shaped.is("strides", {2}).is("output_shape", {6});
  expect_ok(shaped.run({tensor<float>({1, 2}, {1, 1, 2}), tensor<float>({1, 1, 1}, {1, 1, 3})}));
  EXPECT_EQ(values_of<float>(shaped.output()), (std::vector<float>{1, 1, 3, 2, 2, 0}));
  expect_fail(op.run({tensor<float>({1, 2}, {1, 1, 2}), tensor<float>({1, 1, 1, 1, 1, 1}, {2, 1, 3})}),
              Reason::kShapeMismatch, {"[2,1,3]"});
}

TEST(OnnxNn, MaxUnpoolPutsValuesBackAndRefusesIndicesOutsideTheOutput) {
  Op op("MaxUnpool", 11);
  op.is("kernel_shape", {2}).is("strides", {2});
  expect_ok(op.run({tensor<float>({5, 6}, {1, 1, 2}), tensor<std::int64_t>({1, 2}, {1, 1, 2})}));
  EXPECT_EQ(values_of<float>(op.output()), (std::vector<float>{0, 5, 6, 0}));
  expect_fail(op.run({tensor<float>({5, 6}, {1, 1, 2}), tensor<std::int64_t>({1, 4}, {1, 1, 2})}),
              Reason::kInvalidValue, {"4", "[0, 3]"});
}

TEST(OnnxResize, NearestLinearAndCubicAgreeWithHandValues) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Op nearest("Resize", 13);
  expect_ok(nearest.run({x, Tensor(), tensor<float>({1, 1, 2, 2}, {4})}));
  EXPECT_EQ(values_of<float>(nearest.output()),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  Op linear("Resize", 13);
  linear.s("mode", "linear").s("coordinate_transformation_mode", "align_corners");
  expect_ok(linear.run({tensor<float>({0, 3}, {1, 2}), Tensor(), Tensor(), ints({1, 4})}));
  EXPECT_EQ(values_of<float>(linear.output()), (std::vector<float>{0, 1, 2, 3}));
  Op cubic("Resize", 13);
  cubic.s("mode", "cubic");
  expect_ok(cubic.run({tensor<float>({2, 2, 2}, {3}), Tensor(), Tensor(), ints({5})}));
  for (float v : values_of<float>(cubic.output())) EXPECT_NEAR(v, 2.0f, 1e-6f);  // weights sum to 1
  expect_fail(nearest.run({x, Tensor(), tensor<float>({1, 1, 2}, {3})}), Reason::kShapeMismatch, {"rank 4"});
  expect_fail(nearest.run({x, Tensor(), Tensor()}), Reason::kInvalidValue, {"scales or sizes"});
  expect_fail(nearest.run({x, Tensor(), tensor<float>({1, 1, -2, 2}, {4})}), Reason::kInvalidValue, {"> 0"});
  Op bad("Resize", 13);
  bad.s("coordinate_transformation_mode", "sideways");
  EXPECT_NE(bad.load_error().find("sideways"), std::string::npos);
}

TEST(OnnxResize, GridSampleReadsTheCornersAndZeroPadsOutside) {
  Tensor x = tensor<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Op op("GridSample", 16);
  op.i("align_corners", 1);
  expect_ok(op.run({x, tensor<float>({-1, -1, 1, 1, 0, 0, 3, 0}, {1, 1, 4, 2})}));
  EXPECT_EQ(values_of<float>(op.output()), (std::vector<float>{1, 4, 2.5f, 0}));
  expect_fail(op.run({x, tensor<float>({0, 0, 0}, {1, 1, 1, 3})}), Reason::kShapeMismatch, {"[1,1,1,3]"});
}

TEST(OnnxShape, UniqueAndReverseSequence) {
  Op unique("Unique", 11);
  unique.i("sorted", 0);
  expect_ok(unique.run({tensor<float>({2, 1, 2, 3, 1}, {5})}, 4));
  EXPECT_EQ(values_of<float>(unique.output(0)), (std::vector<float>{2, 1, 3}));
  EXPECT_EQ(values_of<std::int64_t>(unique.output(1)), (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(values_of<std::int64_t>(unique.output(2)), (std::vector<std::int64_t>{0, 1, 0, 2, 1}));
  EXPECT_EQ(values_of<std::int64_t>(unique.output(3)), (std::vector<std::int64_t>{2, 2, 1}));
  Op reverse("ReverseSequence", 10);
  reverse.i("time_axis", 1).i("batch_axis", 0);
  expect_ok(reverse.run({tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3}), ints({3, 1})}));
  EXPECT_EQ(values_of<float>(reverse.output()), (std::vector<float>{3, 2, 1, 4, 5, 6}));
  expect_fail(reverse.run({tensor<float>({1, 2, 3, 4, 5, 6}, {2, 3}), ints({4, 1})}), Reason::kInvalidValue,
              {"4", "[0, 3]"});
}

TEST(OnnxDetection, NonMaxSuppressionKeepsTheBestOfOverlappingBoxesAndRoiAlignChecksBatchIndices) {
  // Two boxes overlapping by far more than 0.5, one apart; scores favour box 1.
  Tensor boxes = tensor<float>({0, 0, 1, 1, 0, 0.05f, 1, 1.05f, 5, 5, 6, 6}, {1, 3, 4});
  Tensor scores = tensor<float>({0.8f, 0.9f, 0.1f}, {1, 1, 3});
  Op nms("NonMaxSuppression", 11);
  expect_ok(nms.run({boxes, scores, ints({3}), tensor<float>({0.5f}, {1}), tensor<float>({0.0f}, {1})}));
  EXPECT_EQ(values_of<std::int64_t>(nms.output()), (std::vector<std::int64_t>{0, 0, 1, 0, 0, 2}));
  expect_fail(nms.run({boxes, tensor<float>({1}, {1, 1, 1})}), Reason::kShapeMismatch, {"[1,1,1]"});
  Op roi("RoiAlign", 16);
  Tensor x = tensor<float>({1, 1, 1, 1}, {1, 1, 2, 2});
  expect_ok(roi.run({x, tensor<float>({0, 0, 2, 2}, {1, 4}), ints({0})}));
  EXPECT_FLOAT_EQ(values_of<float>(roi.output())[0], 1.0f);
  expect_fail(roi.run({x, tensor<float>({0, 0, 2, 2}, {1, 4}), ints({1})}), Reason::kInvalidValue, {"1", "[0, 0]"});
}

}  // namespace
}  // namespace bb::testing
