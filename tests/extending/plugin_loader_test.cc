// The plugin loader in this process: what a refused plugin leaves in the registry
// (nothing), and where an adopted kernel says it came from.
#include <gtest/gtest.h>

#include <string>

#include "bb/runtime/plugin_loader.h"
#include "bb/runtime/registry.h"

namespace bb::runtime {
namespace {

const std::string kDir = PLUGIN_DIR;

TEST(PluginLoader, WrongAbiRegistersNothing) {
  const std::string lib = kDir + "/libbb_test_plugin_wrong_abi.so";
  const std::size_t before = registry::all().size();
  auto r = load_plugin(lib);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind(lib + ": built against bb kernel ABI 4, this bbrun has ABI 3", 0), 0u) << r.error();
  EXPECT_EQ(registry::find("test.plugin", "WrongAbi"), nullptr);
  EXPECT_EQ(registry::all().size(), before);
  EXPECT_EQ(registry::staged_count(), 0u);
}

TEST(PluginLoader, DuplicateKeyAdoptsNoneOfTheLibrary) {
  const std::string lib = kDir + "/libbb_test_plugin_duplicate.so";
  auto r = load_plugin(lib);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(lib + ": the plugin registers (ai.bytesandbrains.syscall, PassThrough), which built-in "
                                 "registers already"),
            std::string::npos)
      << r.error();
  // All or none: its other, unclaimed key is not registered either.
  EXPECT_EQ(registry::find("test.plugin", "Duplicate"), nullptr);
  const auto* builtin = registry::find(ir::kSyscallDomain, ir::kPassThrough);
  ASSERT_NE(builtin, nullptr);
  EXPECT_TRUE(builtin->origin.empty());
  EXPECT_TRUE(registry::check());
}

TEST(PluginLoader, AdoptedKernelNamesItsPluginAndLoadsOnce) {
  const std::string lib = kDir + "/libbb_test_plugin_clipped_sum.so";
  ASSERT_TRUE(load_plugin(lib));
  const auto* reg = registry::find("com.example", "ClippedSum");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->origin, lib);
  EXPECT_EQ(reg->kind, ir::OpKind::kCompute);
  // The same file again (another node of a deployment names it): no second registration.
  EXPECT_TRUE(load_plugin(lib));
  EXPECT_TRUE(registry::check());
  EXPECT_NE(registry::list_text().find("com.example\tClippedSum\tcompute\t" + lib + "\n"), std::string::npos);
}

TEST(PluginLoader, MissingFileNamesThePath) {
  auto r = load_plugin(kDir + "/no_such_plugin.so");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind(kDir + "/no_such_plugin.so: cannot load the kernel plugin", 0), 0u) << r.error();
}

}  // namespace
}  // namespace bb::runtime
