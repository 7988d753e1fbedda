// The registry and the bb op table describe the same ops (SPEC §5.4).
#include <gtest/gtest.h>

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
  EXPECT_EQ(lines.size(), registry::all().size());
  for (const auto& op : ir::bb_op_table()) {
    const std::string line =
        std::string(op.domain) + "\t" + std::string(op.op_type) + "\t" + std::string(ir::to_string(op.kind)) + "\t" +
        std::string(kBuiltInOrigin);
    EXPECT_TRUE(lines.count(line)) << line;
  }
}

TEST(Registry, DuplicateRegistrationIsReported) {
  static const OpRegistrar a{"test.dup", "Twice", ir::OpKind::kCompute, nullptr};
  static const OpRegistrar b{"test.dup", "Twice", ir::OpKind::kCompute, nullptr};
  auto r = registry::check();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("(test.dup, Twice) is registered more than once"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace bb::runtime
