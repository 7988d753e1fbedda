#include "bb/ir/peer_id.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

PeerIdError parse_error(std::string_view input) {
  auto parsed = PeerId::from_bytes(input);
  EXPECT_FALSE(parsed.has_value()) << "accepted " << input.size() << " bytes";
  return parsed ? PeerIdError::kEmpty : parsed.error();
}

TEST(PeerId, IdentityRoundTrip) {
  auto id = PeerId::identity("bob");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->bytes(), bytes({0x00, 0x03, 'b', 'o', 'b'}));
  EXPECT_EQ(id->code(), PeerId::kIdentityCode);
  EXPECT_EQ(id->digest(), "bob");
  EXPECT_EQ(id->to_text(), "id:bob");
  auto again = PeerId::from_bytes(id->bytes());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *id);
  auto from_text = PeerId::from_text("id:bob");
  ASSERT_TRUE(from_text);
  EXPECT_EQ(*from_text, *id);
  auto from_b58 = PeerId::from_base58(id->to_base58());
  ASSERT_TRUE(from_b58);
  EXPECT_EQ(*from_b58, *id);
}

TEST(PeerId, Sha256RoundTrip) {
  std::string mh = bytes({0x12, 0x20});
  for (int i = 0; i < 32; ++i) mh.push_back(static_cast<char>(i * 7));
  auto id = PeerId::from_bytes(mh);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->code(), PeerId::kSha256Code);
  EXPECT_EQ(id->digest().size(), 32u);
  EXPECT_EQ(id->to_text(), id->to_base58());
  auto back = PeerId::from_text(id->to_text());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->bytes(), mh);
}

TEST(PeerId, KnownLibp2pSha256Id) {
  constexpr std::string_view kQm = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
  auto id = PeerId::from_base58(kQm);
  ASSERT_TRUE(id) << describe(id.error());
  EXPECT_EQ(id->bytes().size(), 34u);
  EXPECT_EQ(id->code(), PeerId::kSha256Code);
  EXPECT_EQ(id->to_base58(), kQm);
  EXPECT_EQ(id->to_text(), kQm);
}

TEST(PeerId, KnownLibp2pIdentityId) {
  constexpr std::string_view k12D3 = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
  auto id = PeerId::from_base58(k12D3);
  ASSERT_TRUE(id) << describe(id.error());
  EXPECT_EQ(id->bytes().size(), 38u);
  EXPECT_EQ(id->code(), PeerId::kIdentityCode);
  EXPECT_EQ(id->digest().size(), 36u);  // a protobuf-encoded ed25519 public key
  EXPECT_EQ(id->to_base58(), k12D3);
  // Its digest is binary, so the text form is base58, not `id:`.
  EXPECT_EQ(id->to_text(), k12D3);
}

TEST(PeerId, AttributeAcceptsBytesAndTextForms) {
  auto bob = *PeerId::identity("bob");
  EXPECT_EQ(*PeerId::from_attribute(bob.bytes()), bob);
  EXPECT_EQ(*PeerId::from_attribute("id:bob"), bob);
  EXPECT_EQ(*PeerId::from_attribute(bob.to_base58()), bob);
  EXPECT_FALSE(PeerId::from_attribute(""));
  EXPECT_EQ(PeerId::from_attribute(bytes({0x00, 0x05, 'b'})).error(), PeerIdError::kLengthMismatch);
}

TEST(PeerId, RejectsEmptyInput) {
  EXPECT_EQ(parse_error(""), PeerIdError::kEmpty);
  EXPECT_EQ(PeerId::from_text("").error(), PeerIdError::kEmpty);
  EXPECT_EQ(PeerId::from_base58("").error(), PeerIdError::kEmpty);
  EXPECT_EQ(PeerId::from_text("id:").error(), PeerIdError::kEmptyName);
}

TEST(PeerId, RejectsTruncatedVarint) {
  EXPECT_EQ(parse_error(bytes({0x80})), PeerIdError::kTruncatedVarint);
  EXPECT_EQ(parse_error(bytes({0x00})), PeerIdError::kTruncatedVarint);  // no length at all
  EXPECT_EQ(parse_error(bytes({0x00, 0x81})), PeerIdError::kTruncatedVarint);
  EXPECT_EQ(describe(PeerIdError::kTruncatedVarint), "varint truncated");
}

TEST(PeerId, RejectsNonMinimalVarint) {
  // 0x80 0x00 encodes 0 in two bytes.
  EXPECT_EQ(parse_error(bytes({0x80, 0x00, 0x01, 'a'})), PeerIdError::kNonMinimalVarint);
  EXPECT_EQ(parse_error(bytes({0x00, 0x83, 0x00, 'a', 'b', 'c'})), PeerIdError::kNonMinimalVarint);
}

TEST(PeerId, RejectsOverlongVarint) {
  std::string ten(9, static_cast<char>(0xff));
  ten.push_back(0x01);
  EXPECT_EQ(parse_error(ten), PeerIdError::kVarintTooLong);
}

TEST(PeerId, RejectsLengthMismatch) {
  EXPECT_EQ(parse_error(bytes({0x00, 0x03, 'a', 'b'})), PeerIdError::kLengthMismatch);
  EXPECT_EQ(parse_error(bytes({0x00, 0x01, 'a', 'b'})), PeerIdError::kLengthMismatch);
}

TEST(PeerId, RejectsDigestOver64Bytes) {
  std::string mh = bytes({0x00, 65});
  mh.append(65, 'x');
  EXPECT_EQ(parse_error(mh), PeerIdError::kDigestTooLong);
  EXPECT_EQ(PeerId::identity(std::string(65, 'x')).error(), PeerIdError::kDigestTooLong);
  std::string max = bytes({0x00, 64});
  max.append(64, 'x');
  EXPECT_TRUE(PeerId::from_bytes(max));
}

TEST(PeerId, RejectsUnsupportedCodeAndBadSha256Length) {
  EXPECT_EQ(parse_error(bytes({0x13, 0x01, 'a'})), PeerIdError::kUnsupportedCode);
  EXPECT_EQ(parse_error(bytes({0x12, 0x01, 'a'})), PeerIdError::kBadSha256Length);
}

TEST(PeerId, RejectsInvalidBase58) {
  for (std::string_view bad : {"0abc", "Il", "Qm+", "abc def", "ü"}) {
    auto parsed = PeerId::from_base58(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error(), PeerIdError::kInvalidBase58) << bad;
  }
  EXPECT_EQ(describe(PeerIdError::kInvalidBase58), "invalid base58btc character");
}

TEST(PeerId, RejectsOverlongText) {
  EXPECT_EQ(PeerId::from_base58(std::string(10'000, '2')).error(), PeerIdError::kTooLong);
}

TEST(Base58, KnownVectors) {
  EXPECT_EQ(base58_encode(""), "");
  EXPECT_EQ(base58_encode("hello world"), "StV1DL6CwTryKyV");
  EXPECT_EQ(base58_encode(bytes({0, 0, 1})), "112");
  EXPECT_EQ(*base58_decode("StV1DL6CwTryKyV"), "hello world");
  EXPECT_EQ(*base58_decode("112"), bytes({0, 0, 1}));
  EXPECT_EQ(*base58_decode("1"), bytes({0}));
}

TEST(Varint, RoundTrip) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16383ull, 16384ull, (1ull << 62)}) {
    std::string s;
    append_uvarint(s, v);
    auto r = read_uvarint(s);
    ASSERT_TRUE(r) << v;
    EXPECT_EQ(r->value, v);
    EXPECT_EQ(r->length, s.size());
  }
}

}  // namespace
}  // namespace bb
