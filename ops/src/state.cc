// Named node state (docs/ops.md): StateGet reads, StateSet writes a value that outlives
// the execution that stored it — a model kept across rounds. Frames never see each
// other's values; this state, like the framework state, belongs to the node instance:
// a crashed and restarted node starts again from the initial value.
#include <memory>

#include "attributes.h"
#include "bb/ir/names.h"
#include "bb/runtime/registry.h"

namespace bb::ops {
namespace {

using runtime::Invocation;
using runtime::OpResult;
using runtime::Reason;
using runtime::Value;

// The state's id for the node's `name` attribute (required, non-empty).
Expected<std::uint32_t, std::string> state_of(const runtime::KernelInit& init) {
  auto name = DeclaredReader(init).required_string(ir::kAttrName);  // non-empty, as the op table declares
  if (!name) return unexpected(name.error());
  return init.services.state_id(*name);
}

class StateGet final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<StateGet>, std::string> create(const runtime::KernelInit& init) {
    auto id = state_of(init);
    if (!id) return unexpected(id.error());
    return std::make_unique<StateGet>(*id);
  }
  explicit StateGet(std::uint32_t id) : id_(id) {}
  OpResult compute(Invocation& inv) override {
    const Value& current = inv.state(id_);
    if (current.has_value()) {
      inv.out(0) = current;
      return OpResult::ok();
    }
    if (inv.input_count() < 2 || !inv.in(1).has_value())
      return OpResult::fail(Reason::kBadInput, "the state was never set and the node has no initial value (input 1)");
    inv.out(0) = inv.in(1);
    return OpResult::ok();
  }

 private:
  std::uint32_t id_;
};

class StateSet final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<StateSet>, std::string> create(const runtime::KernelInit& init) {
    auto id = state_of(init);
    if (!id) return unexpected(id.error());
    return std::make_unique<StateSet>(*id);
  }
  explicit StateSet(std::uint32_t id) : id_(id) {}
  OpResult compute(Invocation& inv) override {
    inv.state(id_) = inv.in(0);
    if (inv.output_count() > 0) inv.out(0) = Value::trigger();
    return OpResult::ok();
  }

 private:
  std::uint32_t id_;
};

const runtime::OpRegistrar kStateGet{ir::kSyscallDomain, ir::kStateGet, ir::OpKind::kCompute,
                                     &runtime::make_kernel<StateGet>};
const runtime::OpRegistrar kStateSet{ir::kSyscallDomain, ir::kStateSet, ir::OpKind::kEffect,
                                     &runtime::make_kernel<StateSet>};

}  // namespace
}  // namespace bb::ops
