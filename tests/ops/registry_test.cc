// The registry and the bb op table describe the same ops (docs/runtime.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
#include "bb/ir/wire_shape.h"
#include "bb/runtime/registry.h"

namespace bb::runtime {
namespace {

TEST(Registry, HasNoDuplicates) {
  auto r = registry::check();
  EXPECT_TRUE(r) << (r ? "" : r.error());
}

TEST(Registry, EveryTableOpIsRegisteredWithItsKind) {
  for (const auto& op : ir::bb_op_table()) {
    const auto* reg = registry::find(op.domain, op.op_type);
    ASSERT_NE(reg, nullptr) << op.domain << " " << op.op_type << " has no kernel";
    EXPECT_EQ(reg->kind, op.kind) << op.op_type;
  }
}

TEST(Registry, EveryRegisteredBbOpIsInTheTable) {
  for (const auto& reg : registry::all()) {
    if (!ir::is_bb_domain(reg.domain)) continue;
    const auto* spec = ir::find_bb_op(reg.domain, reg.op_type);
    ASSERT_NE(spec, nullptr) << reg.domain << " " << reg.op_type << " is registered but not in the op table";
    EXPECT_EQ(spec->kind, reg.kind);
  }
}

TEST(Registry, ListTextHasOneLinePerOp) {
  const std::string text = registry::list_text();
  std::set<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    lines.insert(text.substr(start, nl - start));
    start = nl + 1;
  }
  // An op registered for several opset ranges is one line.
  std::set<std::pair<std::string_view, std::string_view>> ops;
  for (const auto& r : registry::all()) ops.emplace(r.domain, r.op_type);
  EXPECT_EQ(lines.size(), ops.size());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<std::ptrdiff_t>(ops.size())) << "a line twice";
  for (const auto& op : ir::bb_op_table()) {
    const std::string line =
        std::string(op.domain) + "\t" + std::string(op.op_type) + "\t" + std::string(ir::to_string(op.kind)) + "\t" +
        std::string(kBuiltInOrigin);
    EXPECT_TRUE(lines.count(line)) << line;
  }
}

// Registrars cannot be removed, so the duplicates live in a child process only: in this
// one they would break HasNoDuplicates and ListTextHasOneLinePerOp whenever those ran
// later (test order, --gtest_shuffle, --gtest_repeat).
[[noreturn]] void register_twice_and_exit() {
  static const OpRegistrar a{"test.dup", "Twice", ir::OpKind::kCompute, nullptr};
  static const OpRegistrar b{"test.dup", "Twice", ir::OpKind::kCompute, nullptr};
  auto r = registry::check();
  const bool reported = !r && r.error().find("(test.dup, Twice) is registered more than once") != std::string::npos;
  std::fprintf(stderr, "%s", reported ? "reported" : "not reported");
  std::exit(reported ? 0 : 1);
}

TEST(Registry, DuplicateRegistrationIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(register_twice_and_exit(), ::testing::ExitedWithCode(0), "^reported$");
  EXPECT_TRUE(registry::check()) << "the duplicates leaked into this process";
  EXPECT_EQ(registry::find("test.dup", "Twice"), nullptr);
}

}  // namespace
}  // namespace bb::runtime
