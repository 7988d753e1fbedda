// Trigger sources and joins (docs/runtime.md, docs/ops.md): Pulse fires once at the node's start,
// Interval at start + k·period, After once at start + delay; each firing starts one
// execution. OnTrigger joins its inputs into one trigger.
#include <limits>
#include <memory>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::KernelServices;
using runtime::OpResult;
using runtime::Value;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

// A source driven by one outstanding timer, cancelled when the kernel goes away (a
// crashed node in a simulation leaves no timer behind).
class TimerSource : public runtime::Kernel {
 public:
  ~TimerSource() override {
    if (event_ != 0 && node_ != nullptr) node_->scheduler().cancel(event_);
  }

 protected:
  void arm(KernelServices& node, std::uint32_t index, std::int64_t t_ns) {
    node_ = &node;
    index_ = index;
    event_ = node.scheduler().at(t_ns, runtime::EventClass::kTimer, [this] {
      event_ = 0;
      on_timer();
    });
  }
  virtual void on_timer() = 0;

  KernelServices* node_ = nullptr;
  std::uint32_t index_ = 0;
  runtime::EventId event_ = 0;
};

class Pulse final : public TimerSource {
 public:
  static Expected<std::unique_ptr<Pulse>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Pulse>();
  }
  void start(KernelServices& node, std::uint32_t index) override { arm(node, index, node.now_ns()); }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::trigger();
    return OpResult::ok();
  }

 private:
  void on_timer() override { node_->fire(index_); }
};

class Interval final : public TimerSource {
 public:
  static Expected<std::unique_ptr<Interval>, std::string> create(const runtime::KernelInit& init) {
    const DeclaredReader attributes(init);
    auto period = attributes.required_int(ir::kAttrPeriodNs);
    if (!period) return unexpected(period.error());
    auto count = attributes.get_int(ir::kAttrCount);
    if (!count) return unexpected(count.error());
    return std::make_unique<Interval>(*period, count->value_or(-1));
  }
  Interval(std::int64_t period, std::int64_t count) : period_(period), count_(count) {}

  void start(KernelServices& node, std::uint32_t index) override {
    start_ = node.now_ns();
    if (count_ != 0) arm(node, index, start_);
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::timestamp(inv.now_ns());
    if (inv.output_count() > 1) inv.out(1) = Value::int64(fired_);  // the counter: 0, 1, 2, …
    return OpResult::ok();
  }

 private:
  void on_timer() override {
    fired_ = ticks_++;
    node_->fire(index_);
    if (count_ >= 0 && ticks_ >= count_) return;
    if (ticks_ > (kMaxI64 - start_) / period_) return;  // past the end of time
    arm(*node_, index_, start_ + ticks_ * period_);
  }

  std::int64_t period_, count_;
  std::int64_t start_ = 0, ticks_ = 0;
  std::int64_t fired_ = 0;  // the index of the tick whose execution runs
};

class After final : public TimerSource {
 public:
  static Expected<std::unique_ptr<After>, std::string> create(const runtime::KernelInit& init) {
    auto delay = DeclaredReader(init).required_int(ir::kAttrDelayNs);
    if (!delay) return unexpected(delay.error());
    return std::make_unique<After>(*delay);
  }
  explicit After(std::int64_t delay) : delay_(delay) {}
  void start(KernelServices& node, std::uint32_t index) override {
    const std::int64_t now = node.now_ns();
    arm(node, index, now > kMaxI64 - delay_ ? kMaxI64 : now + delay_);
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::trigger();
    return OpResult::ok();
  }

 private:
  void on_timer() override { node_->fire(index_); }
  std::int64_t delay_;
};

class OnTrigger final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<OnTrigger>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<OnTrigger>();
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::trigger();
    return OpResult::ok();
  }
};

const runtime::OpRegistrar kPulse{ir::kSyscallDomain, ir::kPulse, ir::OpKind::kSource, &runtime::make_kernel<Pulse>};
const runtime::OpRegistrar kInterval{ir::kSyscallDomain, ir::kInterval, ir::OpKind::kSource,
                                     &runtime::make_kernel<Interval>};
const runtime::OpRegistrar kAfter{ir::kSyscallDomain, ir::kAfter, ir::OpKind::kSource, &runtime::make_kernel<After>};
const runtime::OpRegistrar kOnTrigger{ir::kSyscallDomain, ir::kOnTrigger, ir::OpKind::kCompute,
                                      &runtime::make_kernel<OnTrigger>};

}  // namespace
}  // namespace bb::ops
