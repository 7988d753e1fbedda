// A static initializer that throws while the library loads.
#include <stdexcept>

#include "bb/runtime/plugin.h"
#include "kernel.h"

BB_KERNEL_PLUGIN();

namespace {
const bb::runtime::OpRegistrar kForward{"test.plugin", "Throws", bb::ir::OpKind::kCompute,
                                        &bb::runtime::make_kernel<bb::test_plugin::Forward>};
const int kBoom = [] {
  throw std::runtime_error("boom in a static initializer");
  return 0;
}();
}  // namespace
