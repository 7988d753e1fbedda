// The attempt/outcome bookkeeping on its own: one Pending per deferred node, one id per
// attempt, recycled slots recognised by their generation, and the rule that a Pending
// completes once armed and with nothing outstanding, successful when any attempt was
// delivered.
#include <gtest/gtest.h>

#include "bb/runtime/attempts.h"

namespace bb::runtime {
namespace {

TEST(AttemptTable, CompletesWhenArmedAndNothingIsOutstanding) {
  AttemptTable t;
  const PendingId p = t.open(/*frame=*/3, /*node=*/7);
  const AttemptId a = t.add(p, /*dst=*/1);
  const AttemptId b = t.add(p, /*dst=*/2);
  EXPECT_NE(a, b);
  EXPECT_EQ(t.live(), 2u);
  EXPECT_FALSE(t.arm(p)) << "two attempts are outstanding";

  const auto first = t.end(a);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->pending, p);
  EXPECT_EQ(first->dst, 1u);
  EXPECT_FALSE(t.record(p, OutcomeKind::kUnreachable));
  const auto second = t.end(b);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->dst, 2u);
  EXPECT_TRUE(t.record(p, OutcomeKind::kDelivered)) << "the last outcome of an armed Pending completes it";
  EXPECT_EQ(t.live(), 0u);

  const AttemptTable::Completed done = t.complete(p);
  EXPECT_EQ(done.frame, 3u);
  EXPECT_EQ(done.node, 7u);
  EXPECT_EQ(done.failure, Reason::kNone) << "one delivered attempt is enough";
}

TEST(AttemptTable, FailsWithTheFirstFailureWhenNothingWasDelivered) {
  AttemptTable t;
  const PendingId p = t.open(0, 0);
  const AttemptId a = t.add(p, 1);
  const AttemptId b = t.add(p, 2);
  ASSERT_TRUE(t.end(a));
  EXPECT_FALSE(t.record(p, OutcomeKind::kTimeout)) << "not armed yet";
  ASSERT_TRUE(t.end(b));
  EXPECT_FALSE(t.record(p, OutcomeKind::kRejected)) << "not armed yet";
  EXPECT_TRUE(t.arm(p)) << "armed with nothing outstanding: complete now";
  EXPECT_EQ(t.complete(p).failure, Reason::kTimeout);
}

TEST(AttemptTable, AnOutcomeForAnEndedOrRecycledAttemptIsUnknown) {
  AttemptTable t;
  const PendingId p = t.open(0, 0);
  const AttemptId a = t.add(p, 1);
  ASSERT_TRUE(t.end(a));
  EXPECT_FALSE(t.end(a)) << "an attempt ends once";
  const AttemptId again = t.add(p, 1);  // reuses the slot with a new generation
  EXPECT_NE(again, a);
  EXPECT_FALSE(t.end(a)) << "the old id does not end the new attempt";
  EXPECT_TRUE(t.end(again));
  EXPECT_FALSE(t.end(AttemptId{12345})) << "never handed out";
}

TEST(AttemptTable, ARecycledPendingHasANewId) {
  AttemptTable t;
  const PendingId p = t.open(0, 1);
  EXPECT_TRUE(t.arm(p));
  t.complete(p);
  const PendingId q = t.open(2, 3);
  EXPECT_NE(p, q);
  EXPECT_EQ(t.pending(q).frame, 2u);
  EXPECT_EQ(t.pending(q).node, 3u);
}

}  // namespace
}  // namespace bb::runtime
