// What a kernel plugin includes: the kernel ABI version and the macro that stamps it
// into the library. A plugin is a shared library whose kernels register with the same
// static OpRegistrar as the built-in ones (bb/runtime/registry.h); `bbrun --plugin
// lib.so` loads it. Its registrars are staged while the library loads and join the
// registry only after bbrun has checked the library's ABI version, so a library built
// against another kernel ABI registers nothing.
//
//   #include "bb/runtime/plugin.h"
//   BB_KERNEL_PLUGIN();   // once per plugin, at namespace scope
//
// The plugin does not link bb's libraries: it uses the ones bbrun exports (link it to
// bb::plugin, see docs/extending.md).
#pragma once

namespace bb::runtime {

// Raised whenever a change to the kernel API (Kernel, KernelInit, Invocation, Value,
// Tensor, OpRegistrar, the framework state kernels see) breaks plugins built before it.
inline constexpr int kKernelAbiVersion = 3;

// The symbol bbrun looks up before adopting a plugin's registrations.
inline constexpr const char* kKernelAbiSymbol = "bb_kernel_abi_version";

}  // namespace bb::runtime

// Defines `extern "C" int bb_kernel_abi_version()` returning the ABI version the plugin
// was compiled against.
#define BB_KERNEL_PLUGIN()                                                                   \
  extern "C" __attribute__((visibility("default"))) int bb_kernel_abi_version() noexcept { \
    return ::bb::runtime::kKernelAbiVersion;                                                 \
  }                                                                                          \
  static_assert(true, "BB_KERNEL_PLUGIN() ends with a semicolon")
