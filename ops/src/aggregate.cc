// Aggregate (docs/ops.md): element-wise mean or sum of every `count` float tensors,
// across executions. Stateful: the running sum lives in the kernel. A tensor whose
// shape or type differs from the round's first is denied with `shape_mismatch` (the
// round continues without it).
#include <cstring>
#include <memory>
#include <vector>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Value;

// The float elements of a FLOAT tensor (float_data or little-endian raw_data); false
// when the data does not match the dims.
bool read_floats(const onnx::TensorProto& t, std::vector<float>& out) {
  std::uint64_t n = 1;
  for (auto d : t.dims()) {
    if (d < 0 || (d != 0 && n > (std::uint64_t{1} << 40) / static_cast<std::uint64_t>(d))) return false;
    n *= static_cast<std::uint64_t>(d);
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != n * sizeof(float)) return false;
    out.resize(n);
    std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
    return true;
  }
  if (static_cast<std::uint64_t>(t.float_data_size()) != n) return false;
  out.assign(t.float_data().begin(), t.float_data().end());
  return true;
}

class Aggregate final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Aggregate>, std::string> create(const runtime::KernelInit& init) {
    auto count = required_int(init.node, ir::kAttrCount, 1, 1'000'000'000);
    if (!count) return unexpected(count.error());
    auto mode = string_attribute(init.node, ir::kAttrMode);
    if (!mode) return unexpected(mode.error());
    const std::string m = mode->value_or(std::string(ir::kModeMean));
    if (m != ir::kModeMean && m != ir::kModeSum)
      return unexpected("attribute '" + std::string(ir::kAttrMode) + "' = '" + m + "' is not '" +
                        std::string(ir::kModeMean) + "' or '" + std::string(ir::kModeSum) + "'");
    return std::make_unique<Aggregate>(*count, m == ir::kModeMean);
  }
  Aggregate(std::int64_t count, bool mean) : count_(count), mean_(mean) {}

  OpResult compute(Invocation& inv) override {
    const Value& in = inv.in(0);
    if (in.kind() != runtime::ValueKind::kTensor)
      return OpResult::fail(Reason::kBadInput, "input must be a tensor, got " + std::string(runtime::to_string(in.kind())));
    const auto& t = in.as_tensor();
    if (t.data_type() != onnx::TensorProto::FLOAT)
      return OpResult::deny(Reason::kShapeMismatch);
    if (!read_floats(t, scratch_))
      return OpResult::fail(Reason::kBadInput, "tensor data does not match its dims");
    if (seen_ == 0) {
      dims_.assign(t.dims().begin(), t.dims().end());
      sum_.assign(scratch_.size(), 0.0);
    } else if (!std::equal(dims_.begin(), dims_.end(), t.dims().begin(), t.dims().end())) {
      return OpResult::deny(Reason::kShapeMismatch);
    }
    for (std::size_t i = 0; i < scratch_.size(); ++i) sum_[i] += scratch_[i];
    if (++seen_ < count_) return OpResult::ok();  // no output until the round is full
    onnx::TensorProto out;
    out.set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims_) out.add_dims(d);
    for (double s : sum_) out.add_float_data(static_cast<float>(mean_ ? s / static_cast<double>(count_) : s));
    seen_ = 0;
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  std::int64_t count_;
  bool mean_;
  std::int64_t seen_ = 0;
  std::vector<std::int64_t> dims_;
  std::vector<double> sum_;
  std::vector<float> scratch_;
};

const runtime::OpRegistrar kAggregate{ir::kSyscallDomain, ir::kAggregate, ir::OpKind::kCompute,
                                      &runtime::make_kernel<Aggregate>};

}  // namespace
}  // namespace bb::ops
