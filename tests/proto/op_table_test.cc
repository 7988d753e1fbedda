#include "bb/ir/op_table.h"

#include <gtest/gtest.h>

#include <set>

#include "bb/ir/names.h"

namespace bb::ir {
namespace {

TEST(OpTable, KeysAreUniqueAndInBbDomains) {
  std::set<std::pair<std::string_view, std::string_view>> keys;
  for (const auto& op : bb_op_table()) {
    EXPECT_TRUE(op.domain == kWireDomain || op.domain == kSyscallDomain) << op.op_type;
    EXPECT_TRUE(keys.emplace(op.domain, op.op_type).second) << "duplicate " << op.op_type;
    EXPECT_FALSE(op.summary.empty()) << op.op_type;
    if (op.max_inputs != kVariadic) {
      EXPECT_LE(op.min_inputs, op.max_inputs) << op.op_type;
    }
    if (op.max_outputs != kVariadic) {
      EXPECT_LE(op.min_outputs, op.max_outputs) << op.op_type;
    }
  }
}

TEST(OpTable, HasEveryOpOfTheSpec) {
  for (auto op : {kPeerHealthGateTx, kBackoffGateTx, kDedupGateRx, kPeerHealthGateRx, kBackoffGateRx, kPulse,
                  kInterval, kAfter, kOnTrigger, kPassThrough, kTee, kConstant, kClock, kLog, kIncrMetric, kPeers,
                  kSamplePeers, kAggregate, kStateGet, kStateSet, kRecord})
    EXPECT_NE(find_bb_op(kSyscallDomain, op), nullptr) << op;
  EXPECT_NE(find_bb_op(kWireDomain, kSend), nullptr);
  EXPECT_NE(find_bb_op(kWireDomain, kRecv), nullptr);
  EXPECT_EQ(find_bb_op(kSyscallDomain, kSend), nullptr);
  EXPECT_EQ(bb_op_table().size(), 23u);
}

TEST(OpTable, GatesAreVariadicPassThroughs) {
  for (const auto& op : bb_op_table()) {
    if (op.kind != OpKind::kGate) continue;
    EXPECT_TRUE(op.outputs_match_inputs) << op.op_type;
    EXPECT_EQ(op.max_inputs, kVariadic) << op.op_type;
    EXPECT_NE(find_attr_spec(op, kAttrSource), nullptr) << op.op_type;
  }
}

}  // namespace
}  // namespace bb::ir
