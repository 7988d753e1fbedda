#include "bb/runtime/inbound_dedup.h"

#include <gtest/gtest.h>

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
