// Value plumbing (docs/ops.md): PassThrough (identity), Tee (fan-out), Constant (a literal
// parsed once at load), Clock (the node clock's now).
#include <memory>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/tensor_proto.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Value;

class PassThrough final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<PassThrough>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<PassThrough>();
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = inv.in(0);
    return OpResult::ok();
  }
};

class Tee final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Tee>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Tee>();
  }
  OpResult compute(Invocation& inv) override {
    for (std::uint32_t j = 0; j < inv.output_count(); ++j) inv.out(j) = inv.in(0);
    return OpResult::ok();
  }
};

class Constant final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Constant>, std::string> create(const runtime::KernelInit& init) {
    using A = onnx::AttributeProto;
    const DeclaredReader attributes(init);
    Value value;
    int found = 0;
    auto take = [&](std::string_view name, A::AttributeType type, auto make) -> Expected<void, std::string> {
      auto attr = attributes.get(name, type);
      if (!attr) return unexpected(attr.error());
      if (*attr == nullptr) return {};
      ++found;
      auto made = make(**attr);
      if (!made) return unexpected("attribute '" + std::string(name) + "': " + made.error());
      value = std::move(*made);
      return {};
    };
    using Made = Expected<Value, std::string>;
    auto tensor = [](const A& a) -> Made {
      auto t = runtime::from_proto(a.t());
      if (!t) return unexpected(std::move(t.error()));
      return Value::tensor(std::move(*t));
    };
    for (auto r : {take(ir::kAttrValue, A::TENSOR, tensor),
                   take(ir::kAttrValueBytes, A::STRING, [](const A& a) -> Made { return Value::bytes(a.s()); }),
                   take(ir::kAttrValueString, A::STRING, [](const A& a) -> Made { return Value::string(a.s()); }),
                   take(ir::kAttrValueInt, A::INT, [](const A& a) -> Made { return Value::int64(a.i()); })})
      if (!r) return unexpected(r.error());
    if (found != 1)
      return unexpected("needs exactly one of '" + std::string(ir::kAttrValue) + "', '" +
                        std::string(ir::kAttrValueBytes) + "', '" + std::string(ir::kAttrValueString) + "', '" +
                        std::string(ir::kAttrValueInt) + "', found " + std::to_string(found));
    return std::make_unique<Constant>(std::move(value));
  }
  explicit Constant(Value value) : value_(std::move(value)) {}
  OpResult compute(Invocation& inv) override {
    inv.out(0) = value_;
    return OpResult::ok();
  }

 private:
  Value value_;
};

class ClockOp final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<ClockOp>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<ClockOp>();
  }
  OpResult compute(Invocation& inv) override {
    inv.out(0) = Value::timestamp(inv.now_ns());
    return OpResult::ok();
  }
};

const runtime::OpRegistrar kPassThrough{ir::kSyscallDomain, ir::kPassThrough, ir::OpKind::kCompute,
                                        &runtime::make_kernel<PassThrough>};
const runtime::OpRegistrar kTee{ir::kSyscallDomain, ir::kTee, ir::OpKind::kCompute, &runtime::make_kernel<Tee>};
const runtime::OpRegistrar kConstant{ir::kSyscallDomain, ir::kConstant, ir::OpKind::kCompute,
                                     &runtime::make_kernel<Constant>};
const runtime::OpRegistrar kClock{ir::kSyscallDomain, ir::kClock, ir::OpKind::kCompute, &runtime::make_kernel<ClockOp>};

}  // namespace
}  // namespace bb::ops
