#include "bb/runtime/tensor_proto.h"

#include <cstring>

#include "bb/ir/model_io.h"

namespace bb::runtime {
namespace {

Unexpected<std::string> bad(std::string detail) { return unexpected("tensor " + std::move(detail)); }

// Copies `n` values of a typed repeated field into the buffer, narrowing or widening
// to the element type (ONNX stores int8…uint16 and bool in int32_data, float16 as its
// bits in int32_data, uint32 in uint64_data).
template <class Out, class Field>
void copy_field(const Field& field, Tensor& t) {
  Out* out = static_cast<Out*>(t.mutable_raw());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Out>(field.Get(i));
}

// The typed field a type's values live in when raw_data is not used; its size.
int typed_size(const onnx::TensorProto& p, DType type) {
  switch (type) {
    case DType::kFloat: return p.float_data_size();
    case DType::kDouble: return p.double_data_size();
    case DType::kInt64: return p.int64_data_size();
    case DType::kUint32:
    case DType::kUint64: return p.uint64_data_size();
    case DType::kString: return p.string_data_size();
    default: return p.int32_data_size();
  }
}

void copy_typed(const onnx::TensorProto& p, Tensor& t) {
  switch (t.dtype()) {
    case DType::kFloat: copy_field<float>(p.float_data(), t); break;
    case DType::kDouble: copy_field<double>(p.double_data(), t); break;
    case DType::kInt64: copy_field<std::int64_t>(p.int64_data(), t); break;
    case DType::kUint32: copy_field<std::uint32_t>(p.uint64_data(), t); break;
    case DType::kUint64: copy_field<std::uint64_t>(p.uint64_data(), t); break;
    case DType::kInt32: copy_field<std::int32_t>(p.int32_data(), t); break;
    case DType::kInt16: copy_field<std::int16_t>(p.int32_data(), t); break;
    case DType::kInt8: copy_field<std::int8_t>(p.int32_data(), t); break;
    case DType::kUint16:
    case DType::kFloat16:
    case DType::kBfloat16: copy_field<std::uint16_t>(p.int32_data(), t); break;
    case DType::kUint8: copy_field<std::uint8_t>(p.int32_data(), t); break;
    case DType::kBool: {
      bool* out = t.mutable_data<bool>();
      for (int i = 0; i < p.int32_data_size(); ++i) out[i] = p.int32_data(i) != 0;
      break;
    }
    case DType::kString: {
      std::string* out = t.mutable_data<std::string>();
      for (int i = 0; i < p.string_data_size(); ++i) out[i] = p.string_data(i);
      break;
    }
    case DType::kUndefined: break;
  }
}

}  // namespace

Expected<Tensor, std::string> from_proto(const onnx::TensorProto& p, std::int64_t max_elements) {
  if (!is_supported(p.data_type()))
    return bad("has element type " +
               (onnx::TensorProto_DataType_IsValid(p.data_type())
                    ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(p.data_type()))
                    : std::to_string(p.data_type())) +
               ", which bbrun does not hold");
  if (p.data_location() == onnx::TensorProto::EXTERNAL || p.external_data_size() > 0)
    return bad("'" + p.name() + "' refers to external data; embed it in the model");
  if (p.has_segment()) return bad("is a segment of a larger tensor");
  const auto type = static_cast<DType>(p.data_type());
  Shape shape(p.dims().begin(), p.dims().end());
  const std::int64_t n = element_count(shape, max_elements);
  if (n < 0) {
    for (auto d : shape)
      if (d < 0) return bad("has a negative dim (" + std::to_string(d) + ")");
    return bad("declares more than " + std::to_string(max_elements) + " elements");
  }
  const int fields = int{p.has_raw_data()} + int{p.float_data_size() > 0} + int{p.int32_data_size() > 0} +
                     int{p.string_data_size() > 0} + int{p.int64_data_size() > 0} + int{p.double_data_size() > 0} +
                     int{p.uint64_data_size() > 0};
  if (fields > 1) return bad("carries data in more than one field");
  Tensor t = Tensor::allocate(type, std::move(shape));
  if (p.has_raw_data()) {
    if (type == DType::kString) return bad("of type string carries raw_data");
    if (p.raw_data().size() != t.byte_size())
      return bad("declares " + std::to_string(n) + " elements but raw_data holds " +
                 std::to_string(p.raw_data().size()) + " bytes (expected " + std::to_string(t.byte_size()) + ")");
    if (type == DType::kBool) {
      bool* out = t.mutable_data<bool>();
      for (std::size_t i = 0; i < p.raw_data().size(); ++i) out[i] = p.raw_data()[i] != 0;
    } else if (t.byte_size() != 0) {
      std::memcpy(t.mutable_raw(), p.raw_data().data(), t.byte_size());
    }
    return t;
  }
  const int have = typed_size(p, type);
  if (have != n)
    return bad("declares " + std::to_string(n) + " elements but holds " + std::to_string(have) + " values");
  copy_typed(p, t);
  return t;
}

void to_proto(const Tensor& t, onnx::TensorProto& out) {
  out.Clear();
  out.set_data_type(static_cast<std::int32_t>(t.dtype()));
  for (auto d : t.shape()) out.add_dims(d);
  if (t.dtype() == DType::kString) {
    for (const auto& s : t.values<std::string>()) out.add_string_data(s);
    return;
  }
  out.set_raw_data(static_cast<const char*>(t.raw()), t.byte_size());
}

onnx::TensorProto to_proto(const Tensor& t) {
  onnx::TensorProto out;
  to_proto(t, out);
  return out;
}

Expected<Tensor, std::string> read_tensor_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                               std::string* name) {
  auto bytes = ir::read_file(path, max_bytes);
  if (!bytes) {
    // The I/O error names the file ("<path>: <what>"); the caller does.
    std::string_view message = bytes.error().message;
    if (const std::string prefix = path.string() + ": "; message.starts_with(prefix)) message.remove_prefix(prefix.size());
    return unexpected(std::string(message));
  }
  onnx::TensorProto tensor;
  if (!tensor.ParseFromString(*bytes)) return unexpected(std::string("not a serialized onnx.TensorProto"));
  if (name != nullptr) *name = tensor.name();
  return from_proto(tensor);
}

}  // namespace bb::runtime
