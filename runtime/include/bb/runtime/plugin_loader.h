// Loading kernel plugins at start-up (`bbrun --plugin`, `plugins = [...]` in a
// deployment file). See bb/runtime/plugin.h for the plugin's side.
#pragma once

#include <string>
#include <vector>

#include "bb/ir/expected.h"

namespace bb::runtime {

// Loads the shared library at `path` and adopts its kernels into the registry:
//  1. dlopen with its registrars staged. A static initializer that throws cannot be
//     recovered from (the exception does not unwind through the dynamic loader): the
//     process prints "error: <path>: a static initializer of the kernel plugin threw:
//     <what>" and exits with status 1;
//  2. the library must export bb_kernel_abi_version() returning kKernelAbiVersion;
//  3. its registrations join the registry, all or none (a key registered already is
//     an error naming both origins).
// Every error is one line that starts with the path and says what to do. A path
// loaded already (same file) is skipped. Start-up only: not thread-safe.
Expected<void, std::string> load_plugin(const std::string& path);

// load_plugin for each path in order; stops at the first error.
Expected<void, std::string> load_plugins(const std::vector<std::string>& paths);

}  // namespace bb::runtime
