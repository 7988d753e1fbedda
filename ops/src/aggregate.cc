// Aggregate (docs/ops.md): element-wise mean or sum of the float tensors of a round,
// across executions. Stateful: the running sums live in the kernel.
//
// A round closes when `count` updates arrived, or — with `timeout_ns` — when the
// timeout passes after the round's first update and at least `quorum` updates arrived
// (fewer: the round is dropped, its updates discarded). The timeout starts an execution
// of its own (KernelServices::fire), so a round closed by it flows downstream like one
// closed by its last update. An optional second input weights each update (an example
// count): the mean is then Σwᵢxᵢ / Σwᵢ. An update whose shape or type differs from the
// round's first is denied with `shape_mismatch`, a weight that is not a finite scalar
// > 0 with `invalid_value`; the round continues without it.
//
// Counters (named after the node): `<name>.rounds` (closed rounds), `.rounds_timeout`
// (of which closed by the timeout), `.rounds_dropped` (below quorum at the timeout),
// `.updates` (updates taken); the series `<name>.updates_per_round` has one point per
// closed round.
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::DType;
using runtime::Invocation;
using runtime::KernelServices;
using runtime::OpResult;
using runtime::Reason;
using runtime::Value;


struct Counters {
  std::uint32_t rounds, rounds_timeout, rounds_dropped, updates, per_round;
};

// A scalar weight as a double, or nullopt when it is not a finite number > 0.
std::optional<double> weight_of(const Value& v) {
  if (v.kind() != runtime::ValueKind::kTensor) return std::nullopt;
  const runtime::Tensor& t = v.as_tensor();
  if (t.size() != 1) return std::nullopt;
  double w = 0;
  switch (t.dtype()) {
    case DType::kFloat: w = t.data<float>()[0]; break;
    case DType::kDouble: w = t.data<double>()[0]; break;
    case DType::kInt32: w = t.data<std::int32_t>()[0]; break;
    case DType::kInt64: w = static_cast<double>(t.data<std::int64_t>()[0]); break;
    default: return std::nullopt;
  }
  if (!std::isfinite(w) || w <= 0) return std::nullopt;
  return w;
}

class Aggregate final : public runtime::Kernel {
 public:
  struct Config {
    std::int64_t count = 1, quorum = 1, timeout_ns = 0;  // timeout 0: none
    bool mean = true;
  };

  static Expected<std::unique_ptr<Aggregate>, std::string> create(const runtime::KernelInit& init) {
    Config c;
    // Ranges, choices and the quorum rule are the op table's (the loader checked them).
    const DeclaredReader attributes(init);
    auto count = attributes.required_int(ir::kAttrCount);
    if (!count) return unexpected(count.error());
    c.count = *count;
    auto mode = attributes.get_string(ir::kAttrMode);
    if (!mode) return unexpected(mode.error());
    c.mean = mode->value_or(ir::kModeMean) == ir::kModeMean;
    auto timeout = attributes.get_int(ir::kAttrTimeoutNs);
    if (!timeout) return unexpected(timeout.error());
    auto quorum = attributes.get_int(ir::kAttrQuorum);
    if (!quorum) return unexpected(quorum.error());
    if (init.spec != nullptr && init.spec->rule != nullptr)
      if (auto broken = init.spec->rule(init.node); !broken.empty()) return unexpected(broken);
    c.timeout_ns = timeout->value_or(0);
    c.quorum = quorum->value_or(c.count);
    const std::string label = init.node.name().empty() ? std::string(ir::kAggregate) + "#" + std::to_string(init.index)
                                                        : init.node.name();
    KernelServices& s = init.services;
    const Counters counters{s.counter_id(label + ".rounds"), s.counter_id(label + ".rounds_timeout"),
                            s.counter_id(label + ".rounds_dropped"), s.counter_id(label + ".updates"),
                            s.series_id(label + ".updates_per_round")};
    return std::make_unique<Aggregate>(s, c, counters);
  }
  Aggregate(KernelServices& node, const Config& config, const Counters& counters)
      : config_(config), counters_(counters), node_(node) {}
  ~Aggregate() override { disarm(); }

  OpResult compute(Invocation& inv) override {
    // An execution started by the round's timer has no update.
    if (!inv.in(0).has_value()) return close_at_timeout(inv);
    const Value& in = inv.in(0);
    if (in.kind() != runtime::ValueKind::kTensor)
      return OpResult::fail(Reason::kBadInput, "input must be a tensor, got " + std::string(runtime::to_string(in.kind())));
    const runtime::Tensor& t = in.as_tensor();
    if (t.dtype() != DType::kFloat) return OpResult::deny(Reason::kShapeMismatch);
    if (seen_ > 0 && t.shape() != shape_) return OpResult::deny(Reason::kShapeMismatch);
    double w = 1.0;
    if (inv.input_count() > 1 && inv.in(1).has_value()) {
      const auto weight = weight_of(inv.in(1));
      if (!weight) return OpResult::deny(Reason::kInvalidValue);
      w = *weight;
    }
    if (seen_ == 0) {
      shape_ = t.shape();
      sum_.assign(static_cast<std::size_t>(t.size()), 0.0);
      weights_ = 0;
    }
    const float* x = t.data<float>();
    for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += w * x[i];
    weights_ += w;
    inv.add_to_counter(counters_.updates, 1);
    if (++seen_ >= config_.count) return close(inv, false);
    if (seen_ == 1 && config_.timeout_ns > 0) arm(inv.node_index());
    return OpResult::ok();  // no output until the round closes
  }

 private:
  OpResult close_at_timeout(Invocation& inv) {
    if (seen_ == 0) return OpResult::ok();  // the round closed at its last update in the meantime
    if (seen_ >= config_.quorum) return close(inv, true);
    inv.add_to_counter(counters_.rounds_dropped, 1);
    seen_ = 0;
    return OpResult::ok();
  }

  OpResult close(Invocation& inv, bool by_timeout) {
    disarm();
    runtime::Tensor out = runtime::Tensor::allocate(DType::kFloat, shape_);
    float* y = out.mutable_data<float>();
    const double scale = config_.mean ? 1.0 / weights_ : 1.0;
    for (std::size_t i = 0; i < sum_.size(); ++i) y[i] = static_cast<float>(sum_[i] * scale);
    inv.out(0) = Value::tensor(std::move(out));
    if (inv.output_count() > 1) inv.out(1) = Value::tensor(runtime::Tensor::scalar<std::int64_t>(seen_));
    inv.add_to_counter(counters_.rounds, 1);
    if (by_timeout) inv.add_to_counter(counters_.rounds_timeout, 1);
    inv.record(counters_.per_round, static_cast<double>(seen_));
    seen_ = 0;
    return OpResult::ok();
  }

  void arm(std::uint32_t index) {
    const std::int64_t now = node_.now_ns();
    const std::int64_t at = now > std::numeric_limits<std::int64_t>::max() - config_.timeout_ns
                                ? std::numeric_limits<std::int64_t>::max()
                                : now + config_.timeout_ns;
    timer_ = node_.scheduler().at(at, runtime::EventClass::kTimer, [this, index] {
      timer_ = 0;
      node_.fire(index);
    });
  }
  void disarm() {
    if (timer_ != 0) node_.scheduler().cancel(timer_);
    timer_ = 0;
  }

  Config config_;
  Counters counters_;
  std::int64_t seen_ = 0;
  runtime::Shape shape_;
  std::vector<double> sum_;
  double weights_ = 0;
  KernelServices& node_;
  runtime::EventId timer_ = 0;
};

const runtime::OpRegistrar kAggregate{ir::kSyscallDomain, ir::kAggregate, ir::OpKind::kCompute,
                                      &runtime::make_kernel<Aggregate>};

}  // namespace
}  // namespace bb::ops
