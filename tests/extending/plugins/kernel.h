// A trivial kernel the test plugins register under various keys.
#pragma once

#include <memory>
#include <string>

#include "bb/runtime/kernel.h"
#include "bb/runtime/registry.h"

namespace bb::test_plugin {

class Forward final : public runtime::Kernel {
 public:
  static Expected<std::unique_ptr<Forward>, std::string> create(const runtime::KernelInit&) {
    return std::make_unique<Forward>();
  }
  runtime::OpResult compute(runtime::Invocation& inv) override {
    for (std::uint32_t i = 0; i < inv.output_count() && i < inv.input_count(); ++i) inv.out(i) = inv.in(i);
    return runtime::OpResult::ok();
  }
};

}  // namespace bb::test_plugin
