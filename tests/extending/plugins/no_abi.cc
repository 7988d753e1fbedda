// Registers a kernel but forgot BB_KERNEL_PLUGIN(): not a bb kernel plugin.
#include "kernel.h"

namespace {
const bb::runtime::OpRegistrar kForward{"test.plugin", "NoAbi", bb::ir::OpKind::kCompute,
                                        &bb::runtime::make_kernel<bb::test_plugin::Forward>};
}  // namespace
