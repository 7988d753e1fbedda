#include "bb/runtime/peer_governor.h"

#include <gtest/gtest.h>

namespace bb::runtime {
namespace {

PeerId peer(std::string_view name) { return *PeerId::identity(name); }

TEST(PeerGovernor, AllowsEveryoneByDefault) {
  PeerInterner peers;
  PeerGovernor gov(peers, GovernorSettings{});
  EXPECT_EQ(gov.check_outbound(peer("x").bytes()), Reason::kNone);
  EXPECT_EQ(gov.check_inbound(peer("x").bytes()), Reason::kNone);
  EXPECT_FALSE(gov.has_allowlist());
}

TEST(PeerGovernor, Blocklist) {
  PeerInterner peers;
  GovernorSettings s;
  s.blocklist = {peer("mallory")};
  PeerGovernor gov(peers, s);
  EXPECT_EQ(gov.check_outbound(peer("mallory").bytes()), Reason::kBlocklisted);
  EXPECT_EQ(gov.check_inbound(peer("mallory").bytes()), Reason::kBlocklisted);
  EXPECT_EQ(gov.check_outbound(peer("bob").bytes()), Reason::kNone);
}

TEST(PeerGovernor, AllowlistWhenSet) {
  PeerInterner peers;
  GovernorSettings s;
  s.allowlist = {peer("bob"), peer("mallory")};
  s.blocklist = {peer("mallory")};
  PeerGovernor gov(peers, s);
  EXPECT_EQ(gov.check_outbound(peer("bob").bytes()), Reason::kNone);
  EXPECT_EQ(gov.check_outbound(peer("carol").bytes()), Reason::kNotAllowlisted);
  EXPECT_EQ(gov.check_inbound(peer("carol").bytes()), Reason::kNotAllowlisted);
  EXPECT_EQ(gov.check_outbound(peer("mallory").bytes()), Reason::kBlocklisted);  // block wins
}

TEST(PeerGovernor, HealthGoesDownAtThresholdAndSuccessClears) {
  PeerInterner peers;
  GovernorSettings s;
  s.threshold = 3;
  PeerGovernor gov(peers, s);
  const PeerIndex bob = peers.acquire(peer("bob"));
  gov.record_failure(bob);
  gov.record_failure(bob);
  EXPECT_FALSE(gov.is_down(bob));
  gov.record_failure(bob);
  EXPECT_TRUE(gov.is_down(bob));
  EXPECT_EQ(gov.consecutive_failures(bob), 3u);
  // Down is reported, never a deny reason.
  EXPECT_EQ(gov.check_outbound(bob), Reason::kNone);
  gov.record_success(bob);
  EXPECT_FALSE(gov.is_down(bob));
  EXPECT_EQ(gov.consecutive_failures(bob), 0u);
  peers.release(bob);
  EXPECT_EQ(peers.size(), 0u);
}

}  // namespace
}  // namespace bb::runtime
