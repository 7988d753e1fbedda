// Aggregate (SPEC §5.5): element-wise mean or sum of every `count` float tensors,
// across executions. Stateful: the running sum lives in the kernel. A tensor whose
// shape or type differs from the round's first is denied with `shape_mismatch` (the
// round continues without it).
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
    const runtime::Tensor& t = in.as_tensor();
    if (t.dtype() != runtime::DType::kFloat) return OpResult::deny(Reason::kShapeMismatch);
    if (seen_ == 0) {
      shape_ = t.shape();
      sum_.assign(static_cast<std::size_t>(t.size()), 0.0);
    } else if (t.shape() != shape_) {
      return OpResult::deny(Reason::kShapeMismatch);
    }
    const float* x = t.data<float>();
    for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += x[i];
    if (++seen_ < count_) return OpResult::ok();  // no output until the round is full
    runtime::Tensor out = runtime::Tensor::allocate(runtime::DType::kFloat, shape_);
    float* y = out.mutable_data<float>();
    for (std::size_t i = 0; i < sum_.size(); ++i)
      y[i] = static_cast<float>(mean_ ? sum_[i] / static_cast<double>(count_) : sum_[i]);
    seen_ = 0;
    inv.out(0) = Value::tensor(std::move(out));
    return OpResult::ok();
  }

 private:
  std::int64_t count_;
  bool mean_;
  std::int64_t seen_ = 0;
  runtime::Shape shape_;
  std::vector<double> sum_;
};

const runtime::OpRegistrar kAggregate{ir::kSyscallDomain, ir::kAggregate, ir::OpKind::kCompute,
                                      &runtime::make_kernel<Aggregate>};

}  // namespace
}  // namespace bb::ops
