#include "bb/runtime/peer_interner.h"

#include <gtest/gtest.h>

namespace bb::runtime {
namespace {

std::string peer(std::string_view name) { return PeerId::identity(name)->bytes(); }

TEST(PeerInterner, SameBytesSameId) {
  PeerInterner peers;
  const auto a = peers.acquire(peer("a"));
  const auto b = peers.acquire(peer("b"));
  EXPECT_NE(a, b);
  EXPECT_EQ(peers.acquire(peer("a")), a);
  EXPECT_EQ(peers.find(peer("a")), a);
  EXPECT_EQ(peers.find(peer("zzz")), kNoPeer);
  EXPECT_EQ(peers.bytes(b), peer("b"));
  EXPECT_EQ(peers.text(b), "id:b");
}

TEST(PeerInterner, ReleasedIdsAreRecycledAndArenaCompacts) {
  PeerInterner peers;
  std::vector<PeerIndex> ids;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 1000; ++i) ids.push_back(peers.acquire(peer("peer-" + std::to_string(round * 1000 + i))));
    for (auto id : ids) peers.release(id);
    ids.clear();
  }
  EXPECT_EQ(peers.size(), 0u);
  EXPECT_LE(peers.id_limit(), 1000u);
  const auto keep = peers.acquire(peer("keep"));
  for (int i = 0; i < 20000; ++i) peers.release(peers.acquire(peer("tmp" + std::to_string(i))));
  EXPECT_EQ(peers.bytes(keep), peer("keep"));
  EXPECT_LT(peers.memory_bytes(), 200000u);
}

}  // namespace
}  // namespace bb::runtime
