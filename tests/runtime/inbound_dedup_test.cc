#include "bb/runtime/inbound_dedup.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <list>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace bb::runtime {
namespace {

std::string peer(std::string_view name) { return PeerId::identity(name)->bytes(); }

constexpr Reason kNew = Reason::kNone;

TEST(InboundDedup, RepeatIsDuplicateAndTheStreamHasThreeParts) {
  PeerInterner peers;
  InboundDedup dedup(peers, DedupSettings{});
  EXPECT_EQ(dedup.admit(1, peer("a"), 7, 1, 0), kNew);
  EXPECT_EQ(dedup.admit(1, peer("a"), 7, 1, 0), Reason::kDuplicate);
  EXPECT_EQ(dedup.admit(2, peer("a"), 7, 1, 0), kNew);  // another gate
  EXPECT_EQ(dedup.admit(1, peer("b"), 7, 1, 0), kNew);  // another source
  EXPECT_EQ(dedup.admit(1, peer("a"), 8, 1, 0), kNew);  // a restarted source
  EXPECT_EQ(dedup.admit(1, peer("a"), 7, 2, 0), kNew);  // the next message
  EXPECT_EQ(dedup.streams(), 4u);
}

TEST(InboundDedup, IdsBelowTheWindowAreReplays) {
  PeerInterner peers;
  DedupSettings s;
  s.window = 4;
  InboundDedup dedup(peers, s);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 10, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 7, 0), kNew);  // late, inside the window (7..10)
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 7, 0), Reason::kDuplicate);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 6, 0), Reason::kReplay);  // at the floor
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 0, 0), Reason::kReplay);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 200, 0), kNew);  // the window jumps
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 10, 0), Reason::kReplay);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 198, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 197, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 197, 0), Reason::kDuplicate);
}

// A window wider than 64 ids spans several words of the bitmap, and the bitmap wraps.
TEST(InboundDedup, WideWindowAcrossWords) {
  PeerInterner peers;
  DedupSettings s;
  s.window = 1000;
  InboundDedup dedup(peers, s);
  for (std::uint64_t id = 1; id <= 5000; id += 3) ASSERT_EQ(dedup.admit(0, peer("a"), 1, id, 0), kNew) << id;
  // highest 4999: the window is 4000..4999
  for (std::uint64_t id = 4000; id <= 4999; ++id)
    ASSERT_EQ(dedup.admit(0, peer("a"), 1, id, 0), (id - 1) % 3 == 0 ? Reason::kDuplicate : kNew) << id;
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 3999, 0), Reason::kReplay);
}

TEST(InboundDedup, IdleStreamsAreSweptAfterTheTtl) {
  PeerInterner peers;
  DedupSettings s;
  s.ttl_ns = 100;
  InboundDedup dedup(peers, s);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 1, 50), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 99), Reason::kDuplicate);  // a refused envelope keeps it alive
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 2, 198), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 198), Reason::kDuplicate);
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 3, 298), kNew);  // a is idle since 198: swept
  EXPECT_EQ(dedup.streams(), 1u);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 299), kNew);
}

TEST(InboundDedup, StreamsAreCappedLeastRecentlyUsedFirst) {
  PeerInterner peers;
  DedupSettings s;
  s.max_streams = 2;
  InboundDedup dedup(peers, s);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 1, 1), kNew);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 2, 2), kNew);  // a is now the most recent
  EXPECT_EQ(dedup.admit(0, peer("c"), 1, 1, 3), kNew);  // b goes
  EXPECT_EQ(dedup.streams(), 2u);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 2, 4), Reason::kDuplicate);
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 1, 5), kNew);  // forgotten
}

TEST(InboundDedup, ReleasesPeersItNoLongerRemembers) {
  PeerInterner peers;
  DedupSettings s;
  s.max_streams = 2;
  {
    InboundDedup dedup(peers, s);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(dedup.admit(0, peer("p" + std::to_string(i)), 1, 1, 0), kNew);
    EXPECT_EQ(peers.size(), 2u);
  }
  EXPECT_EQ(peers.size(), 0u);
}

// Memory is taken as ids arrive, not up front (a window of 65536 ids once reserved its
// whole ring at start-up; 10^11 aborted with bad_alloc), and it stays bounded whatever
// ids a peer sends: a bitmap never outgrows the window.
TEST(InboundDedup, MemoryIsTakenAsUsedAndBounded) {
  PeerInterner peers;
  DedupSettings s;
  s.window = kMaxDedupWindow;
  s.max_streams = 64;
  InboundDedup dedup(peers, s);
  const std::size_t empty = dedup.memory_bytes();
  EXPECT_LT(empty, 1024u);
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1'000'000, 0), kNew);
  EXPECT_LT(dedup.memory_bytes(), 2048u) << "one id, one word";
  // The worst a peer can do: in every stream, an id at the top and one at the bottom of
  // the window, which makes the bitmap as wide as the window.
  for (std::uint64_t inc = 0; inc < 1000; ++inc) {
    dedup.admit(0, peer("a"), inc, 1'000'000, 0);
    dedup.admit(0, peer("a"), inc, 1'000'000 - kMaxDedupWindow + 1, 0);
  }
  EXPECT_EQ(dedup.streams(), 64u);
  const std::size_t per_stream = kMaxDedupWindow / 8 + 16 + 128;  // bitmap (+ the edge words), stream, map slot
  EXPECT_LE(dedup.memory_bytes(), 64 * per_stream) << "bounded by max_streams × (window / 8 + overhead)";
  EXPECT_GE(dedup.memory_bytes(), 64 * (kMaxDedupWindow / 8)) << "the bitmaps are as wide as asked";
}

TEST(InboundDedup, SettingsBeyondTheBoundsAreClamped) {
  PeerInterner peers;
  DedupSettings s;
  s.window = std::size_t{1} << 40;
  s.max_streams = 0;
  InboundDedup dedup(peers, s);  // no allocation sized by the settings
  EXPECT_EQ(dedup.admit(0, peer("a"), 1, 1, 0), kNew);
  EXPECT_EQ(dedup.admit(0, peer("b"), 1, 1, 0), kNew);
  EXPECT_EQ(dedup.streams(), 1u);
}

}  // namespace
}  // namespace bb::runtime

namespace bb::runtime {
namespace {

// The window against a plain model: per stream the set of every id it admitted and the
// highest; an id above the highest is new, one at or below highest - window a replay,
// one in between new unless admitted before. Streams that saw no envelope for the TTL
// are forgotten; beyond max_streams the least recently used is. Small key spaces and ids make
// repeats, late arrivals, replays, sweeps and evictions frequent — and a source that moves
// between gates and incarnations, and ids the interner recycles, check the memo of each
// source's last stream (a stale one would answer for another stream).
RC_GTEST_PROP(InboundDedup, BehavesAsAnAntiReplayWindowPerStream, ()) {
  const auto window = *rc::gen::inRange<std::size_t>(1, 200);
  const auto ttl = *rc::gen::inRange<std::int64_t>(1, 40);
  const auto max_streams = *rc::gen::inRange<std::size_t>(1, 6);
  const auto spread = *rc::gen::element<std::uint64_t>(4, 70, 300, 1000);
  const auto steps = *rc::gen::container<std::vector<std::array<std::uint16_t, 5>>>(
      rc::gen::container<std::array<std::uint16_t, 5>>(rc::gen::inRange<std::uint16_t>(0, 1000)));
  PeerInterner peers;
  InboundDedup dedup(peers, DedupSettings{window, ttl, max_streams});
  using Key = std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>;
  struct Model {
    std::uint64_t highest = 0;
    std::set<std::uint64_t> seen;
    std::int64_t last = 0;
  };
  std::map<Key, Model> model;
  std::list<Key> by_use;  // least recently used first
  std::int64_t now = 0;
  for (const auto& s : steps) {
    now += s[4] % 5;
    const Key key{s[0] % 2, s[1] % 3, s[2] % 2};
    const std::uint64_t id = s[3] % spread;
    while (!by_use.empty() && now - model[by_use.front()].last >= ttl) {
      model.erase(by_use.front());
      by_use.pop_front();
    }
    Reason expected = kNew;
    auto it = model.find(key);
    if (it == model.end()) {
      if (model.size() == max_streams) {
        model.erase(by_use.front());
        by_use.pop_front();
      }
      it = model.emplace(key, Model{id, {}, now}).first;
    } else if (id > it->second.highest) {
      it->second.highest = id;
    } else if (it->second.highest >= window && id <= it->second.highest - window) {
      expected = Reason::kReplay;
    } else if (it->second.seen.contains(id)) {
      expected = Reason::kDuplicate;
    }
    if (expected == kNew) it->second.seen.insert(id);
    it->second.last = now;
    by_use.remove(key);
    by_use.push_back(key);
    const std::string source = PeerId::identity("p" + std::to_string(std::get<1>(key)))->bytes();
    RC_ASSERT(dedup.admit(std::get<0>(key), source, std::get<2>(key), id, now) == expected);
    RC_ASSERT(dedup.streams() == model.size());
  }
}

}  // namespace
}  // namespace bb::runtime
