// Built against "another" kernel ABI: bbrun must refuse it before its kernel registers.
#include "bb/runtime/plugin.h"
#include "kernel.h"

namespace {
const bb::runtime::OpRegistrar kForward{"test.plugin", "WrongAbi", bb::ir::OpKind::kCompute,
                                        &bb::runtime::make_kernel<bb::test_plugin::Forward>};
}  // namespace

extern "C" __attribute__((visibility("default"))) int bb_kernel_abi_version() {
  return bb::runtime::kKernelAbiVersion + 1;
}
