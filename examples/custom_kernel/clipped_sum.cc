// com.example::ClippedSum — a running sum of scaled float tensors, clipped to
// [-limit, limit]:
//
//   total = clip(total + factor * x, -limit, limit)      per execution
//
// Inputs: x (a float tensor; the same shape every execution), then any number of
// trigger values that only decide when it runs. Output: the total. Attributes: factor
// (float, required), limit (float, optional; default: no clipping).
//
// It shows the four parts of a kernel: create() parses the attributes once, compute()
// works on tensors, errors carry stable reasons, and member state lasts across
// executions (one kernel object per node, for the node's life).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "bb/runtime/kernel.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/tensor.h"

namespace example {
namespace {

using bb::runtime::DType;
using bb::runtime::Invocation;
using bb::runtime::Kernel;
using bb::runtime::KernelInit;
using bb::runtime::OpResult;
using bb::runtime::Reason;
using bb::runtime::Tensor;
using bb::runtime::Value;
using bb::runtime::ValueKind;

// The float attribute `name`: absent → fallback; any other type is a load error.
bb::Expected<float, std::string> float_attribute(const onnx::NodeProto& node, const std::string& name,
                                                 std::optional<float> fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() != name) continue;
    if (a.type() != onnx::AttributeProto::FLOAT) return bb::unexpected("attribute '" + name + "' must be a float");
    return a.f();
  }
  if (!fallback) return bb::unexpected("attribute '" + name + "' is required");
  return *fallback;
}

class ClippedSum final : public Kernel {
 public:
  // Load time, once per node: a bad attribute stops the load with a message naming
  // the node (the loader adds the file and the node).
  static bb::Expected<std::unique_ptr<ClippedSum>, std::string> create(const KernelInit& init) {
    auto factor = float_attribute(init.node, "factor", std::nullopt);
    if (!factor) return bb::unexpected(factor.error());
    auto limit = float_attribute(init.node, "limit", std::numeric_limits<float>::infinity());
    if (!limit) return bb::unexpected(limit.error());
    if (!(*limit > 0)) return bb::unexpected("attribute 'limit' must be positive");
    return std::make_unique<ClippedSum>(*factor, *limit);
  }
  ClippedSum(float factor, float limit) : factor_(factor), limit_(limit) {}

  // Every execution: only computes. Failures name a stable reason; the detail is for people.
  OpResult compute(Invocation& inv) override {
    const Value& in = inv.in(0);
    if (in.kind() != ValueKind::kTensor) return OpResult::fail(Reason::kBadInput, "x is not a tensor");
    const Tensor& x = in.as_tensor();
    if (x.dtype() != DType::kFloat)
      return OpResult::fail(Reason::kTypeMismatch, "x is " + bb::runtime::to_string(x.dtype()) + ", expected float");
    if (!total_.defined()) {
      total_ = Tensor::zeros(DType::kFloat, x.shape());
    } else if (total_.shape() != x.shape()) {
      return OpResult::fail(Reason::kShapeMismatch, "x has shape " + bb::runtime::shape_text(x.shape()) +
                                                        ", earlier executions had " +
                                                        bb::runtime::shape_text(total_.shape()));
    }
    // The output shares total_'s buffer; copy before writing when it is still shared.
    if (!total_.unique()) {
      Tensor copy = Tensor::allocate(DType::kFloat, total_.shape());
      std::copy_n(total_.data<float>(), total_.size(), copy.mutable_data<float>());
      total_ = std::move(copy);
    }
    float* sum = total_.mutable_data<float>();
    const float* values = x.data<float>();
    for (std::int64_t i = 0; i < x.size(); ++i) sum[i] = std::clamp(sum[i] + factor_ * values[i], -limit_, limit_);
    inv.out(0) = Value::tensor(total_);
    return OpResult::ok();
  }

 private:
  const float factor_;
  const float limit_;
  Tensor total_;  // state: lasts as long as the node
};

// Registration next to the implementation, as for bb's own kernels.
const bb::runtime::OpRegistrar kClippedSum{"com.example", "ClippedSum", bb::ir::OpKind::kCompute,
                                           &bb::runtime::make_kernel<ClippedSum>};

}  // namespace
}  // namespace example
