// The inbound admission step every transport shares: each refusal's stable label and
// detail, and the counts by label.
#include "bb/runtime/admission.h"

#include <gtest/gtest.h>

#include "transport_suite.h"

namespace bb::runtime {
namespace {

PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

TEST(Admission, RefusesInOrderLimitsAddresseeSenderChannel) {
  const ChannelFilter accepts = [](std::string_view ch) { return ch == "count"; };
  const std::string self = peer("bob").bytes();
  bb::Envelope out;
  AdmissionCounts counts;
  auto check = [&](const bb::Envelope& e, std::string_view authenticated, std::size_t max_bytes) {
    AdmissionPolicy policy{{}, self, authenticated, &accepts};
    policy.limits.max_bytes = max_bytes;
    auto r = admit(ir::encode_envelope(e), policy, out);
    if (!r) counts.record(r.error());
    return r;
  };
  const auto ok = testing::make_envelope(peer("alice"), peer("bob"), 1, "count");
  EXPECT_TRUE(check(ok, peer("alice").bytes(), 1 << 20));
  EXPECT_EQ(out.message_id(), 1u);
  EXPECT_TRUE(check(ok, {}, 1 << 20)) << "insecure: src_peer is a claim";

  auto big = check(ok, {}, 8);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().label(), "oversized");

  auto misaddressed = check(testing::make_envelope(peer("alice"), peer("carol"), 2, "count"), {}, 1 << 20);
  ASSERT_FALSE(misaddressed);
  EXPECT_EQ(misaddressed.error().label(), "misaddressed");
  EXPECT_EQ(misaddressed.error().detail, "addressed to id:carol, not to id:bob");

  auto spoofed = check(ok, peer("mallory").bytes(), 1 << 20);
  ASSERT_FALSE(spoofed);
  EXPECT_EQ(spoofed.error().label(), "unauthenticated");
  EXPECT_EQ(describe(spoofed.error()), "unauthenticated: src_peer id:alice is not the authenticated sender id:mallory");

  auto typo = check(testing::make_envelope(peer("alice"), peer("bob"), 3, "cuont"), {}, 1 << 20);
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().label(), "no_recv");
  EXPECT_EQ(typo.error().detail, "no Recv on channel 'cuont'");

  auto garbage = admit("\xff\xff\xff garbage", AdmissionPolicy{}, out);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().label(), "malformed");

  EXPECT_EQ(counts.total(), 4u);
  const std::vector<std::pair<std::string, std::uint64_t>> expected{
      {"oversized", 1}, {"misaddressed", 1}, {"unauthenticated", 1}, {"no_recv", 1}};
  EXPECT_EQ(counts.nonzero(), expected);
}

}  // namespace
}  // namespace bb::runtime
