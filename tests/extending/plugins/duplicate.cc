// Claims a key a built-in kernel has (syscall PassThrough), beside a key of its own:
// bbrun must refuse the whole library.
#include "bb/ir/names.h"
#include "bb/runtime/plugin.h"
#include "kernel.h"

BB_KERNEL_PLUGIN();

namespace {
const bb::runtime::OpRegistrar kMine{"test.plugin", "Duplicate", bb::ir::OpKind::kCompute,
                                     &bb::runtime::make_kernel<bb::test_plugin::Forward>};
const bb::runtime::OpRegistrar kTheirs{bb::ir::kSyscallDomain, bb::ir::kPassThrough, bb::ir::OpKind::kCompute,
                                       &bb::runtime::make_kernel<bb::test_plugin::Forward>};
}  // namespace
