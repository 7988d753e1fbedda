#include "bb/runtime/inbound_dedup.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace bb::runtime {
namespace {

std::string peer(std::string_view name) { return PeerId::identity(name)->bytes(); }

TEST(InboundDedup, RepeatIsDuplicateAndKeyHasAllFourParts) {
  PeerInterner peers;
  InboundDedup dedup(peers, DedupSettings{});
  EXPECT_TRUE(dedup.admit(1, peer("a"), 7, 1, 0));
  EXPECT_FALSE(dedup.admit(1, peer("a"), 7, 1, 0));
  EXPECT_TRUE(dedup.admit(2, peer("a"), 7, 1, 0));  // another gate
  EXPECT_TRUE(dedup.admit(1, peer("b"), 7, 1, 0));  // another source
  EXPECT_TRUE(dedup.admit(1, peer("a"), 8, 1, 0));  // a restarted source
  EXPECT_TRUE(dedup.admit(1, peer("a"), 7, 2, 0));  // the next message
}

TEST(InboundDedup, WindowForgetsTheOldest) {
  PeerInterner peers;
  DedupSettings s;
  s.window = 4;
  InboundDedup dedup(peers, s);
  for (std::uint64_t id = 0; id < 5; ++id) EXPECT_TRUE(dedup.admit(0, peer("a"), 1, id, 0));
  EXPECT_EQ(dedup.size(), 4u);
  EXPECT_TRUE(dedup.admit(0, peer("a"), 1, 0, 0));  // fell out of the window
  EXPECT_FALSE(dedup.admit(0, peer("a"), 1, 4, 0));
}

TEST(InboundDedup, TtlExpires) {
  PeerInterner peers;
  DedupSettings s;
  s.ttl_ns = 100;
  InboundDedup dedup(peers, s);
  EXPECT_TRUE(dedup.admit(0, peer("a"), 1, 1, 0));
  EXPECT_FALSE(dedup.admit(0, peer("a"), 1, 1, 99));
  EXPECT_TRUE(dedup.admit(0, peer("a"), 1, 1, 100));
}

TEST(InboundDedup, ReleasesPeersItNoLongerRemembers) {
  PeerInterner peers;
  DedupSettings s;
  s.window = 2;
  {
    InboundDedup dedup(peers, s);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(dedup.admit(0, peer("p" + std::to_string(i)), 1, 1, 0));
    EXPECT_EQ(peers.size(), 2u);
  }
  EXPECT_EQ(peers.size(), 0u);
}

}  // namespace
}  // namespace bb::runtime

namespace bb::runtime {
namespace {

// The window against a plain model: a FIFO of (key, time) of the admitted keys, at most
// `window` long, entries at least `ttl` old dropped first. Small key spaces make repeats,
// evictions and expiries frequent.
RC_GTEST_PROP(InboundDedup, BehavesAsABoundedFifoWithATtl, ()) {
  const auto window = *rc::gen::inRange<std::size_t>(1, 9);
  const auto ttl = *rc::gen::inRange<std::int64_t>(1, 40);
  const auto steps = *rc::gen::container<std::vector<std::array<std::uint8_t, 5>>>(
      rc::gen::container<std::array<std::uint8_t, 5>>(rc::gen::inRange<std::uint8_t>(0, 4)));
  PeerInterner peers;
  InboundDedup dedup(peers, DedupSettings{window, ttl});
  std::deque<std::pair<std::array<std::uint64_t, 4>, std::int64_t>> model;
  std::int64_t now = 0;
  for (const auto& s : steps) {
    now += s[4];
    const std::array<std::uint64_t, 4> key{s[0], s[1], static_cast<std::uint64_t>(s[2] % 2), s[3]};
    while (!model.empty() && now - model.front().second >= ttl) model.pop_front();
    const bool seen = std::any_of(model.begin(), model.end(), [&](const auto& e) { return e.first == key; });
    if (!seen) {
      if (model.size() == window) model.pop_front();
      model.emplace_back(key, now);
    }
    const std::string source = PeerId::identity("p" + std::to_string(key[1]))->bytes();
    RC_ASSERT(dedup.admit(static_cast<std::uint32_t>(key[0]), source, key[2], key[3], now) == !seen);
    RC_ASSERT(dedup.size() == model.size());
  }
}

}  // namespace
}  // namespace bb::runtime
