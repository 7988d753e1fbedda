// dlopen, the ABI check, then adoption: a plugin's registrars are staged while its
// static initializers run and join the registry only once the check has passed.
#include "bb/runtime/plugin_loader.h"

#include <dlfcn.h>

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
  void* handle = nullptr;
  try {
    handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  } catch (const std::exception& e) {
    registry::discard_staged();
    return unexpected(path + ": a static initializer of the kernel plugin threw: " + e.what() +
                      " (fix the plugin: kernels parse their attributes in create(), not at load)");
  } catch (...) {
    registry::discard_staged();
    return unexpected(path + ": a static initializer of the kernel plugin threw a non-standard exception");
  }
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
