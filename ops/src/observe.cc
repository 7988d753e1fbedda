// Observing a run (docs/ops.md): Log writes the values through spdlog (how users see data
// move); IncrMetric adds to a named counter reported in the metrics; Record appends a
// number with its time to a named series of the metrics (accuracy per round).
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "attributes.h"
#include "bb/ir/duration.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::OpResult;

class Log final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Log>, std::string> create(const runtime::KernelInit& init) {
    const DeclaredReader attributes(init);
    auto message = attributes.get_string(ir::kAttrMessage);
    if (!message) return unexpected(message.error());
    auto level_text = attributes.get_string(ir::kAttrLevel);  // one of the op table's levels
    if (!level_text) return unexpected(level_text.error());
    const spdlog::level::level_enum level =
        level_text->has_value() ? spdlog::level::from_str(std::string(**level_text)) : spdlog::level::info;
    // "id:alice Log_1": the peer and the node, so two nodes running one graph are told apart.
    std::string label = init.network.self().to_text() + " " +
                        (init.node.name().empty() ? "#" + std::to_string(init.index) : init.node.name());
    return std::make_unique<Log>(std::move(label), std::string(message->value_or("")), level);
  }
  Log(std::string label, std::string message, spdlog::level::level_enum level)
      : label_(std::move(label)), message_(std::move(message)), level_(level) {}

  OpResult compute(Invocation& inv) override {
    if (!spdlog::should_log(level_)) return OpResult::ok();
    std::string values;
    for (std::uint32_t i = 0; i < inv.input_count(); ++i)
      values += (i ? ", " : "") + runtime::describe_values(inv.in(i));
    spdlog::log(level_, "[{} t={} exec={}] {}{}{}", label_, format_time(inv.now_ns()),
                inv.execution(), message_,
                message_.empty() ? "" : ": ", values);
    return OpResult::ok();
  }

 private:
  std::string label_, message_;
  spdlog::level::level_enum level_;
};

class IncrMetric final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<IncrMetric>, std::string> create(const runtime::KernelInit& init) {
    const DeclaredReader attributes(init);
    auto name = attributes.required_string(ir::kAttrName);  // non-empty, as the op table declares
    if (!name) return unexpected(name.error());
    auto delta = attributes.get_int(ir::kAttrDelta);
    if (!delta) return unexpected(delta.error());
    return std::make_unique<IncrMetric>(init.services.counter_id(*name), delta->value_or(1));
  }
  IncrMetric(std::uint32_t counter, std::int64_t delta) : counter_(counter), delta_(delta) {}
  OpResult compute(Invocation& inv) override {
    inv.add_to_counter(counter_, delta_);
    return OpResult::ok();
  }

 private:
  std::uint32_t counter_;
  std::int64_t delta_;
};

// A scalar tensor of any numeric type as a double, or nullopt.
std::optional<double> scalar_of(const runtime::Tensor& t) {
  if (t.size() != 1) return std::nullopt;
  using runtime::DType;
  switch (t.dtype()) {
    case DType::kFloat: return t.data<float>()[0];
    case DType::kDouble: return t.data<double>()[0];
    case DType::kInt8: return t.data<std::int8_t>()[0];
    case DType::kInt16: return t.data<std::int16_t>()[0];
    case DType::kInt32: return t.data<std::int32_t>()[0];
    case DType::kInt64: return static_cast<double>(t.data<std::int64_t>()[0]);
    case DType::kUint8: return t.data<std::uint8_t>()[0];
    case DType::kUint16: return t.data<std::uint16_t>()[0];
    case DType::kUint32: return t.data<std::uint32_t>()[0];
    case DType::kUint64: return static_cast<double>(t.data<std::uint64_t>()[0]);
    case DType::kBool: return t.data<bool>()[0] ? 1.0 : 0.0;
    default: return std::nullopt;
  }
}

class Record final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Record>, std::string> create(const runtime::KernelInit& init) {
    auto name = DeclaredReader(init).required_string(ir::kAttrName);  // non-empty, as the op table declares
    if (!name) return unexpected(name.error());
    return std::make_unique<Record>(init.services.series_id(*name));
  }
  explicit Record(std::uint32_t series) : series_(series) {}
  OpResult compute(Invocation& inv) override {
    const runtime::Value& v = inv.in(0);
    if (v.kind() != runtime::ValueKind::kTensor)
      return OpResult::fail(runtime::Reason::kBadInput,
                            "input must be a scalar tensor, got " + std::string(runtime::to_string(v.kind())));
    const auto value = scalar_of(v.as_tensor());
    if (!value)
      return OpResult::fail(runtime::Reason::kInvalidValue,
                            "input must be a numeric scalar, got " + runtime::describe(v));
    inv.record(series_, *value);
    return OpResult::ok();
  }

 private:
  std::uint32_t series_;
};

const runtime::OpRegistrar kLog{ir::kSyscallDomain, ir::kLog, ir::OpKind::kEffect, &runtime::make_kernel<Log>};
const runtime::OpRegistrar kIncrMetric{ir::kSyscallDomain, ir::kIncrMetric, ir::OpKind::kEffect,
                                       &runtime::make_kernel<IncrMetric>};
const runtime::OpRegistrar kRecord{ir::kSyscallDomain, ir::kRecord, ir::OpKind::kEffect,
                                   &runtime::make_kernel<Record>};

}  // namespace
}  // namespace bb::ops
