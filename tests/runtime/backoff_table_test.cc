#include "bb/runtime/backoff_table.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace bb::runtime {
namespace {

constexpr std::int64_t kMs = kMillisecond;

PeerId peer(std::string_view name) { return *PeerId::identity(name); }

TEST(BackoffDelay, DoublesFromBaseUpToCap) {
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 0), 0);
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 1), 10 * kMs);
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 2), 20 * kMs);
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 3), 40 * kMs);
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 13), 40960 * kMs);
  EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, 14), 60 * kSecond);
}

TEST(BackoffDelay, SaturatesAtAnyFailureCount) {
  for (std::uint32_t n : {62u, 63u, 64u, 65u, 100u, 1000u, UINT32_MAX})
    EXPECT_EQ(backoff_delay(10 * kMs, 60 * kSecond, n), 60 * kSecond) << n;
  EXPECT_EQ(backoff_delay(INT64_MAX, INT64_MAX, 2), INT64_MAX);
}

TEST(BackoffTable, ScheduleFollowsTheFormula) {
  PeerInterner peers;
  BackoffTable table(peers, BackoffSettings{});
  const auto bob = peer("bob");
  EXPECT_TRUE(table.should_retry(bob, 0));
  std::int64_t now = 0;
  std::int64_t expected = 10 * kMs;
  for (int n = 1; n <= 20; ++n) {
    table.record_failure(bob, now);
    const auto st = table.state(bob);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->failures, static_cast<std::uint32_t>(n));
    EXPECT_EQ(st->next_retry_ns, now + expected) << "after failure " << n;
    EXPECT_FALSE(table.should_retry(bob, now + expected - 1));
    EXPECT_TRUE(table.should_retry(bob, now + expected));
    now += expected;
    expected = std::min(expected * 2, 60 * kSecond);
  }
}

TEST(BackoffTable, NoOverflowAfterManyFailures) {
  PeerInterner peers;
  BackoffTable table(peers, BackoffSettings{});
  const auto bob = peer("bob");
  const std::int64_t now = INT64_MAX - 5 * kSecond;
  for (int i = 0; i < 200; ++i) table.record_failure(bob, now);
  EXPECT_EQ(table.state(bob)->failures, 200u);
  EXPECT_EQ(table.state(bob)->next_retry_ns, INT64_MAX);  // saturated, not wrapped
  EXPECT_FALSE(table.should_retry(bob, now));
  PeerInterner p2;
  BackoffTable t2(p2, BackoffSettings{});
  for (int i = 0; i < 70; ++i) t2.record_failure(bob, 0);
  EXPECT_EQ(t2.state(bob)->next_retry_ns, 60 * kSecond);
}

TEST(BackoffTable, SuccessClears) {
  PeerInterner peers;
  BackoffTable table(peers, BackoffSettings{});
  const auto bob = peer("bob");
  table.record_failure(bob, 0);
  table.record_failure(bob, 0);
  EXPECT_FALSE(table.should_retry(bob, 1));
  table.record_success(bob);
  EXPECT_TRUE(table.should_retry(bob, 1));
  EXPECT_FALSE(table.state(bob));
  EXPECT_EQ(table.tracked(), 0u);
  EXPECT_EQ(peers.size(), 0u);  // the id was released
  table.record_failure(bob, 100);
  EXPECT_EQ(table.state(bob)->next_retry_ns, 100 + 10 * kMs);  // starts again at base
}

TEST(BackoffTable, UnknownPeersMayBeTried) {
  PeerInterner peers;
  BackoffTable table(peers, BackoffSettings{});
  EXPECT_TRUE(table.should_retry(peer("never-seen"), 0));
  EXPECT_TRUE(table.should_retry(PeerIndex{12345}, 0));
  EXPECT_FALSE(table.state(peer("never-seen")));
}

TEST(BackoffTable, AdvisoryIsCappedAndNeverShortens) {
  PeerInterner peers;
  BackoffTable table(peers, BackoffSettings{});
  const auto bob = peer("bob");
  table.record_remote_advisory(bob, 1000, 3600 * kSecond);
  EXPECT_EQ(table.state(bob)->next_retry_ns, 1000 + 60 * kSecond);
  EXPECT_EQ(table.state(bob)->failures, 1u);
  table.record_remote_advisory(bob, 2000, 1 * kMs);  // shorter: keeps the later retry
  EXPECT_EQ(table.state(bob)->next_retry_ns, 1000 + 60 * kSecond);
  EXPECT_EQ(table.state(bob)->failures, 2u);
  const auto carol = peer("carol");
  table.record_failure(carol, 0);                         // retry at 10 ms
  table.record_remote_advisory(carol, 5 * kMs, 50 * kMs);  // later: 55 ms
  EXPECT_EQ(table.state(carol)->next_retry_ns, 55 * kMs);
  EXPECT_EQ(table.state(carol)->failures, 2u);
}

TEST(BackoffTable, TtlSweepDropsIdleEntries) {
  PeerInterner peers;
  BackoffSettings s;
  s.ttl_ns = 10 * kSecond;
  BackoffTable table(peers, s);
  std::vector<PeerIndex> dropped;
  table.on_drop = [&](PeerIndex p) { dropped.push_back(p); };
  table.record_failure(peer("a"), 0);
  table.record_failure(peer("b"), 5 * kSecond);
  // a may retry at 10 ms: idle from then on.
  EXPECT_EQ(table.sweep(10 * kSecond + 10 * kMs - 1), 0u);
  EXPECT_EQ(table.sweep(10 * kSecond + 10 * kMs), 1u);
  EXPECT_FALSE(table.state(peer("a")));
  EXPECT_TRUE(table.state(peer("b")));
  EXPECT_EQ(dropped.size(), 1u);
  // Recording also sweeps: a's slot is free again.
  table.record_failure(peer("c"), 20 * kSecond);
  EXPECT_FALSE(table.state(peer("b")));
  EXPECT_EQ(table.tracked(), 1u);
  EXPECT_EQ(peers.size(), 1u);
}

TEST(BackoffTable, CapEvictsTheOldestIdle) {
  PeerInterner peers;
  BackoffSettings s;
  s.max_peers = 3;
  BackoffTable table(peers, s);
  table.record_failure(peer("a"), 1);
  table.record_failure(peer("b"), 2);
  table.record_failure(peer("c"), 3);
  table.record_failure(peer("a"), 4);  // a is now the most recent
  table.record_failure(peer("d"), 5);  // evicts b
  EXPECT_EQ(table.tracked(), 3u);
  EXPECT_FALSE(table.state(peer("b")));
  EXPECT_TRUE(table.state(peer("a")));
  EXPECT_TRUE(table.state(peer("c")));
  EXPECT_TRUE(table.state(peer("d")));
}

TEST(BackoffTable, HeldIdsStayValidAcrossChurn) {
  PeerInterner peers;
  BackoffSettings s;
  s.max_peers = 100;
  BackoffTable table(peers, s);
  const PeerIndex gate_peer = peers.acquire(peer("gate"));  // a gate holds its id
  for (int i = 0; i < 10000; ++i) table.record_failure(peer("p" + std::to_string(i)), i);
  EXPECT_EQ(table.tracked(), 100u);
  EXPECT_EQ(peers.bytes(gate_peer), peer("gate").bytes());
  table.record_failure(gate_peer, 20000);
  EXPECT_FALSE(table.should_retry(gate_peer, 20000));
  EXPECT_LE(peers.size(), 101u);
}

BackoffSettings jitter_settings(Jitter j) {
  BackoffSettings s;
  s.jitter = j;
  return s;
}

RC_GTEST_PROP(BackoffTableProp, FullJitterStaysInZeroToDelay, (std::uint64_t seed, std::uint8_t n)) {
  Rng rng(seed);
  PeerInterner peers;
  BackoffTable table(peers, jitter_settings(Jitter::kFull), &rng);
  const auto bob = peer("bob");
  const std::uint32_t failures = 1 + n % 80;
  for (std::uint32_t i = 1; i <= failures; ++i) {
    table.record_failure(bob, 1000);
    const auto wait = table.state(bob)->next_retry_ns - 1000;
    RC_ASSERT(wait >= 0);
    RC_ASSERT(wait <= backoff_delay(10 * kMs, 60 * kSecond, i));
  }
}

RC_GTEST_PROP(BackoffTableProp, EqualJitterStaysInUpperHalf, (std::uint64_t seed, std::uint8_t n)) {
  Rng rng(seed);
  PeerInterner peers;
  BackoffTable table(peers, jitter_settings(Jitter::kEqual), &rng);
  const auto bob = peer("bob");
  const std::uint32_t failures = 1 + n % 80;
  for (std::uint32_t i = 1; i <= failures; ++i) {
    table.record_failure(bob, 0);
    const auto wait = table.state(bob)->next_retry_ns;
    const auto d = backoff_delay(10 * kMs, 60 * kSecond, i);
    RC_ASSERT(wait >= d / 2);
    RC_ASSERT(wait <= d);
  }
}

RC_GTEST_PROP(BackoffTableProp, DecorrelatedJitterStaysInBaseToCap, (std::uint64_t seed, std::uint8_t n)) {
  Rng rng(seed);
  PeerInterner peers;
  BackoffTable table(peers, jitter_settings(Jitter::kDecorrelated), &rng);
  const auto bob = peer("bob");
  std::int64_t now = 0;
  std::int64_t previous = 10 * kMs;
  for (int i = 0; i < 1 + n % 80; ++i) {
    table.record_failure(bob, now);
    const auto wait = table.state(bob)->next_retry_ns - now;
    RC_ASSERT(wait >= 10 * kMs);
    RC_ASSERT(wait <= 60 * kSecond);
    RC_ASSERT(wait <= std::max<std::int64_t>(10 * kMs, previous * 3));
    previous = wait;
    now += wait;
  }
}

RC_GTEST_PROP(BackoffTableProp, NoJitterMatchesFormulaForAnySettings,
              (std::uint32_t base_ms, std::uint32_t cap_ms, std::uint8_t n)) {
  BackoffSettings s;
  s.base_ns = (1 + base_ms % 100000) * kMs;
  s.cap_ns = s.base_ns + static_cast<std::int64_t>(cap_ms) * kMs;
  PeerInterner peers;
  BackoffTable table(peers, s);
  const auto bob = peer("bob");
  std::int64_t now = 0;
  for (std::uint32_t i = 1; i <= 1u + n; ++i) {
    table.record_failure(bob, now);
    const auto wait = table.state(bob)->next_retry_ns - now;
    const std::int64_t expect = i - 1 >= 62 ? s.cap_ns
                                            : std::min<std::int64_t>(s.cap_ns, static_cast<std::int64_t>(std::min<
                                                  long double>(static_cast<long double>(s.base_ns) * (1ULL << std::min<std::uint32_t>(i - 1, 62)),
                                                               9.2e18L)));
    RC_ASSERT(wait == expect);
    now += wait;
  }
}

}  // namespace
}  // namespace bb::runtime
