// dlopen, the ABI check, then adoption: a plugin's registrars are staged while its
// static initializers run and join the registry only once the check has passed.
#include "bb/runtime/plugin_loader.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <set>
#include <system_error>

#include "bb/runtime/plugin.h"
#include "bb/runtime/registry.h"

namespace bb::runtime {
namespace {

std::string dl_error() {
  const char* e = dlerror();
  return e != nullptr ? std::string(e) : std::string("unknown dlopen error");
}

// The library whose static initializers run (for the terminate handler).
const std::string* g_loading = nullptr;

// An exception thrown by a static initializer does not unwind through the dynamic
// loader to dlopen's caller: the C++ runtime terminates. This handler, installed only
// while dlopen runs, turns that into the message and exit status of a load error.
[[noreturn]] void static_initializer_threw() {
  std::string what = "an exception that is not a std::exception";
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
    what = "no exception (std::terminate was called)";
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  const std::string message = "error: " + (g_loading ? *g_loading : std::string("a kernel plugin")) +
                              ": a static initializer of the kernel plugin threw: " + what +
                              " (fix the plugin: kernels read their attributes in create(), not at load)\n";
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::_Exit(1);
}

// Files loaded already, by canonical path.
std::set<std::filesystem::path>& loaded() {
  static std::set<std::filesystem::path> files;
  return files;
}

}  // namespace

Expected<void, std::string> load_plugin(const std::string& path) {
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(path, ec);
  if (ec) return unexpected(path + ": cannot load the kernel plugin: " + ec.message() + " (check the path)");
  if (loaded().contains(canonical)) return {};
  // dlopen searches the library path for a bare name; the path given is a file.
  const std::string file = canonical.string();

  registry::begin_staging();
  g_loading = &path;
  const std::terminate_handler previous = std::set_terminate(static_initializer_threw);
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::set_terminate(previous);
  g_loading = nullptr;
  if (handle == nullptr) {
    registry::discard_staged();
    return unexpected(path + ": cannot load the kernel plugin: " + dl_error() +
                      " (a missing symbol means it was built against another bb)");
  }
  auto fail = [&](std::string message) {
    registry::discard_staged();
    dlclose(handle);
    return unexpected(path + ": " + std::move(message));
  };
  dlerror();
  using AbiFn = int (*)();
  auto* abi = reinterpret_cast<AbiFn>(dlsym(handle, kKernelAbiSymbol));
  if (abi == nullptr)
    return fail("not a bb kernel plugin: it does not export " + std::string(kKernelAbiSymbol) +
                "() (add BB_KERNEL_PLUGIN(); from bb/runtime/plugin.h)");
  if (const int version = abi(); version != kKernelAbiVersion)
    return fail("built against bb kernel ABI " + std::to_string(version) + ", this bbrun has ABI " +
                std::to_string(kKernelAbiVersion) + " (rebuild the plugin against this bb)");
  if (registry::staged_count() == 0)
    return fail("the kernel plugin registers no kernels (declare each with a static bb::runtime::OpRegistrar)");
  if (auto adopted = registry::adopt_staged(path); !adopted) {
    dlclose(handle);
    return unexpected(std::move(adopted.error()));
  }
  loaded().insert(canonical);
  return {};  // the handle stays open: the registry points into the library
}

Expected<void, std::string> load_plugins(const std::vector<std::string>& paths) {
  for (const auto& p : paths)
    if (auto ok = load_plugin(p); !ok) return ok;
  return {};
}

}  // namespace bb::runtime
