// The runtime tensor and its one conversion to and from onnx::TensorProto.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bb/runtime/tensor.h"
#include "bb/runtime/tensor_proto.h"
#include "bb/runtime/value.h"

namespace bb::runtime {
namespace {

TEST(Tensor, AllocatesAlignedBuffersOfTheShapesElementCount) {
  Tensor t = Tensor::allocate(DType::kFloat, {2, 3});
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.rank(), 2u);
  EXPECT_EQ(t.byte_size(), 24u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw()) % 64, 0u);
  Tensor big = Tensor::allocate(DType::kDouble, {1 << 20});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.raw()) % 64, 0u);
  EXPECT_EQ(Tensor::allocate(DType::kInt64, {}).size(), 1);  // a scalar
  EXPECT_EQ(Tensor::allocate(DType::kInt64, {4, 0, 2}).size(), 0);
}

TEST(Tensor, CopiesShareTheBufferAndReshapeDoesNotCopy) {
  Tensor a = Tensor::zeros(DType::kInt32, {4});
  EXPECT_TRUE(a.unique());
  Tensor b = a;
  EXPECT_TRUE(a.shares_buffer_with(b));
  EXPECT_FALSE(a.unique());
  Tensor c = a.reshaped({2, 2});
  EXPECT_TRUE(c.shares_buffer_with(a));
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  Value v = Value::tensor(c);
  Value w = v;
  EXPECT_TRUE(v.same_payload(w));
  EXPECT_TRUE(w.as_tensor().shares_buffer_with(a));
}

// Copies, moves, assignments and resets of every kind: a payload lives as long as some
// value holds it and is freed once (a tensor's buffer is unique again), and the inline
// kinds are never taken for a payload (their int64 is not a pointer). Catches a wrong
// Value::boxed(); ASan sees a leak or a use after free of the other payloads.
TEST(Value, EveryKindKeepsItsPayloadWhileHeldAndFreesItOnce) {
  const Tensor t = Tensor::zeros(DType::kInt32, {4});
  const PeerId p = *PeerId::identity("alice");
  std::vector<Value> kinds{Value::trigger(),         Value::tensor(t),         Value::bytes(std::string(40, 'b')),
                                 Value::string("text"),    Value::int64(1234567),    Value::timestamp(-5),
                                 Value::peer(p),           Value::peer_list({p, p})};
  for (const Value& made : kinds) {
    SCOPED_TRACE(std::string(to_string(made.kind())));
    const std::string before = describe_values(made);
    Value a = made;
    Value b(a);
    Value c;
    c = b;
    Value d(std::move(c));
    EXPECT_FALSE(c.has_value());
    a.reset();
    b = Value::int64(0);
    EXPECT_EQ(describe_values(d), before);
    EXPECT_TRUE(d.same_payload(made));
    const Value& same = d;
    d = same;  // self-assignment keeps it
    EXPECT_EQ(describe_values(d), before);
  }
  EXPECT_FALSE(t.unique());  // `kinds` still holds it
  {
    Value held = kinds[1];
    kinds.clear();
    EXPECT_FALSE(t.unique());
    EXPECT_EQ(held.as_tensor().size(), 4);
  }
  EXPECT_TRUE(t.unique());  // the last value is gone: the payload, and its share of the buffer
}

TEST(Tensor, StringsAreConstructedAndDestroyed) {
  Tensor s = Tensor::allocate(DType::kString, {3});
  s.mutable_data<std::string>()[1] = std::string(100, 'x');  // heap-allocated string: leak-checked under ASan
  EXPECT_EQ(s.values<std::string>()[0], "");
  EXPECT_EQ(s.values<std::string>()[1].size(), 100u);
}

TEST(Tensor, ElementCountRefusesNegativeAndOverflowingDims) {
  const Shape neg{2, -1};
  EXPECT_EQ(element_count(neg), -1);
  const Shape huge{1 << 30, 1 << 30, 1 << 30};
  EXPECT_EQ(element_count(huge), -1);
  const Shape limited{10, 10};
  EXPECT_EQ(element_count(limited, 99), -1);
  EXPECT_EQ(element_count(limited, 100), 100);
  EXPECT_EQ(shape_text(limited), "[10,10]");
}

TEST(TensorProto, RoundTripsEveryHeldTypeThroughRawData) {
  Tensor f = Tensor::allocate(DType::kFloat, {2});
  f.mutable_data<float>()[0] = 1.5f;
  f.mutable_data<float>()[1] = -2.0f;
  onnx::TensorProto p = to_proto(f);
  EXPECT_TRUE(p.has_raw_data());
  auto back = from_proto(p);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, f);

  Tensor b = Tensor::allocate(DType::kBool, {3});
  b.mutable_data<bool>()[0] = true;
  b.mutable_data<bool>()[1] = false;
  b.mutable_data<bool>()[2] = true;
  auto bb = from_proto(to_proto(b));
  ASSERT_TRUE(bb);
  EXPECT_EQ(*bb, b);

  Tensor s = Tensor::allocate(DType::kString, {2});
  s.mutable_data<std::string>()[0] = "a";
  s.mutable_data<std::string>()[1] = "bc";
  auto sb = from_proto(to_proto(s));
  ASSERT_TRUE(sb);
  EXPECT_EQ(*sb, s);
}

TEST(TensorProto, ReadsTypedFields) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(3);
  for (int v : {-1, 2, 127}) p.add_int32_data(v);
  auto t = from_proto(p);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->data<std::int8_t>()[0], -1);
  EXPECT_EQ(t->data<std::int8_t>()[2], 127);

  onnx::TensorProto d;
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_double_data(0.25);  // no dims: a scalar
  auto s = from_proto(d);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rank(), 0u);
  EXPECT_EQ(s->data<double>()[0], 0.25);
}

TEST(TensorProto, RefusesWhatAFileOrAPeerCanGetWrong) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(3);
  p.set_raw_data(std::string(8, '\0'));
  auto short_raw = from_proto(p);
  ASSERT_FALSE(short_raw);
  EXPECT_NE(short_raw.error().find("raw_data holds 8 bytes (expected 12)"), std::string::npos) << short_raw.error();

  onnx::TensorProto neg;
  neg.set_data_type(onnx::TensorProto::FLOAT);
  neg.add_dims(-2);
  EXPECT_FALSE(from_proto(neg));

  onnx::TensorProto huge;  // declared 2^60 elements, no data: refused before any allocation
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(std::int64_t{1} << 30);
  huge.add_dims(std::int64_t{1} << 30);
  auto big = from_proto(huge);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().find("more than"), std::string::npos);

  onnx::TensorProto complex;
  complex.set_data_type(onnx::TensorProto::COMPLEX64);
  auto c = from_proto(complex);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("COMPLEX64"), std::string::npos) << c.error();

  onnx::TensorProto two;
  two.set_data_type(onnx::TensorProto::FLOAT);
  two.add_float_data(1);
  two.set_raw_data(std::string(4, '\0'));
  EXPECT_FALSE(from_proto(two));

  onnx::TensorProto external;
  external.set_data_type(onnx::TensorProto::FLOAT);
  external.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(from_proto(external));
}

TEST(DescribeValues, ShowsTheFirstElementsShapeAndType) {
  const std::vector<float> f{1, 2.5f, -3};
  EXPECT_EQ(describe_values(Value::tensor(Tensor::vector<float>(f))), "tensor float[3] [1, 2.5, -3]");
  std::vector<std::int64_t> many(1000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::int64_t>(i);
  EXPECT_EQ(describe_values(Value::tensor(Tensor::vector<std::int64_t>(many)), 3),
            "tensor int64[1000] [0, 1, 2, …] (1000 elements)");
  EXPECT_EQ(describe_values(Value::tensor(Tensor::scalar(true))), "tensor bool[] [true]");
  EXPECT_EQ(describe_values(Value::tensor(Tensor::scalar(std::string("hi")))), "tensor string[] [\"hi\"]");
  EXPECT_EQ(describe_values(Value::int64(7)), "int64 7");
}

}  // namespace
}  // namespace bb::runtime
