// Host keys, their PeerIds (libp2p form) and key files.
#include "bb/net/identity.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../support/temp_dir.h"
#include "net_test_support.h"

namespace bb::net {
namespace {

using testing::from_hex;

// RFC 8032, section 7.1, TEST 1.
constexpr std::string_view kRfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfc8032Public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
// base58btc of 00 24 08 01 12 20 <public key>, computed independently (Python int arithmetic).
constexpr std::string_view kRfc8032PeerId = "12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV";

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(Identity, PublicKeyIsLibp2pProtobuf) {
  const std::string key = from_hex(kRfc8032Public);
  const std::string encoded = encode_public_key(key);
  EXPECT_EQ(encoded, from_hex("08011220") + key);
  auto decoded = decode_public_key(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, key);
}

TEST(Identity, DecodeRefusesOtherKeyTypesAndEncodings) {
  const std::string key = from_hex(kRfc8032Public);
  for (const std::string& bad : {from_hex("08001220") + key,        // RSA
                                 from_hex("08031220") + key,        // ECDSA
                                 from_hex("08011221") + key + "x",  // 33-byte key
                                 from_hex("1220") + key + from_hex("0801"),  // fields reordered
                                 from_hex("08011220") + key + from_hex("1800"),  // an extra field
                                 std::string()}) {
    auto decoded = decode_public_key(bad);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, IdentityError::Kind::kUnsupportedKeyType);
  }
}

TEST(Identity, GoldenPeerIdOfAKnownKey) {
  auto key = HostKey::from_seed(from_hex(kRfc8032Seed));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key(), from_hex(kRfc8032Public));
  EXPECT_EQ(key->peer_id().to_text(), kRfc8032PeerId);
  EXPECT_EQ(key->peer_id().code(), PeerId::kIdentityCode);
  EXPECT_EQ(key->peer_id().digest(), key->public_key_protobuf());
}

TEST(Identity, Libp2pSpecPeerIdOfAnEd25519Key) {
  // The host key inside the libp2p TLS spec's first test vector, and its PeerId.
  const auto protobuf = encode_public_key(from_hex("a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b9"));
  EXPECT_EQ(peer_id_from_public_key(protobuf).to_text(), "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv");
}

TEST(Identity, LongKeysAreHashed) {
  const std::string long_key(43, 'k');
  const PeerId id = peer_id_from_public_key(long_key);
  EXPECT_EQ(id.code(), PeerId::kSha256Code);
  EXPECT_EQ(id.digest().size(), 32u);
  EXPECT_EQ(peer_id_from_public_key(std::string(42, 'k')).code(), PeerId::kIdentityCode);
}

TEST(Identity, PeerIdTextRoundTripsThroughPeerIdParsing) {
  for (int i = 0; i < 20; ++i) {
    auto key = HostKey::generate();
    ASSERT_TRUE(key);
    const std::string text = key->peer_id().to_text();
    EXPECT_TRUE(text.starts_with("12D3KooW")) << text;
    auto parsed = PeerId::from_text(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, key->peer_id());
    auto attribute = PeerId::from_attribute(key->peer_id().bytes());
    ASSERT_TRUE(attribute);
    EXPECT_EQ(*attribute, key->peer_id());
  }
}

TEST(Identity, SignaturesVerifyOnlyForTheirKeyAndMessage) {
  auto a = HostKey::generate();
  auto b = HostKey::generate();
  ASSERT_TRUE(a && b);
  const std::string signature = a->sign("message");
  ASSERT_EQ(signature.size(), 64u);
  EXPECT_TRUE(verify_ed25519(a->public_key(), "message", signature));
  EXPECT_FALSE(verify_ed25519(b->public_key(), "message", signature));
  EXPECT_FALSE(verify_ed25519(a->public_key(), "messagf", signature));
  std::string flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(verify_ed25519(a->public_key(), "message", flipped));
  EXPECT_FALSE(verify_ed25519(a->public_key(), "message", signature.substr(1)));
  EXPECT_FALSE(verify_ed25519("short", "message", signature));
}

TEST(Identity, PemRoundTrip) {
  auto key = HostKey::generate();
  ASSERT_TRUE(key);
  const std::string pem = key->to_pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----")) << pem;
  auto back = HostKey::from_pem(pem);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->peer_id(), key->peer_id());
  EXPECT_TRUE(verify_ed25519(key->public_key(), "m", back->sign("m")));
}

TEST(Identity, KeyFileIsOwnerOnlyAndLoadsBack) {
  bb::testing::TempDir dir;
  auto key = HostKey::generate();
  ASSERT_TRUE(key);
  const auto path = dir / "node.pem";
  ASSERT_TRUE(write_key_file(path, *key, /*force=*/false));
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"node.pem"});  // no temporary file left
  auto loaded = load_key_file(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->key.peer_id(), key->peer_id());
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(Identity, KeyFileIsNotReplacedWithoutForce) {
  bb::testing::TempDir dir;
  auto first = HostKey::generate();
  auto second = HostKey::generate();
  ASSERT_TRUE(first && second);
  const auto path = dir / "node.pem";
  ASSERT_TRUE(write_key_file(path, *first, false));
  auto refused = write_key_file(path, *second, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, IdentityError::Kind::kExists);
  EXPECT_NE(refused.error().message.find("--force"), std::string::npos);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"node.pem"});
  EXPECT_EQ(load_key_file(path)->key.peer_id(), first->peer_id());

  ASSERT_TRUE(write_key_file(path, *second, /*force=*/true));
  EXPECT_EQ(load_key_file(path)->key.peer_id(), second->peer_id());
  EXPECT_EQ(mode_of(path), 0600);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"node.pem"});
}

TEST(Identity, KeyFileInAMissingFolderFails) {
  bb::testing::TempDir dir;
  auto key = HostKey::generate();
  ASSERT_TRUE(key);
  auto written = write_key_file(dir / "no" / "node.pem", *key, false);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, IdentityError::Kind::kWrite);
}

TEST(Identity, LoadingExplainsWhatIsWrong) {
  bb::testing::TempDir dir;
  auto missing = load_key_file(dir / "none.pem");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, IdentityError::Kind::kNotFound);
  EXPECT_NE(missing.error().message.find("bbrun keygen"), std::string::npos);

  std::ofstream(dir / "garbage.pem") << "not a key\n";
  auto garbage = load_key_file(dir / "garbage.pem");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().kind, IdentityError::Kind::kBadKey);
  EXPECT_NE(garbage.error().message.find("garbage.pem"), std::string::npos);

  // A P-256 key in the same PEM form is a key, but not a node key.
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::ofstream(dir / "ec.pem") << std::string(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  auto wrong = load_key_file(dir / "ec.pem");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, IdentityError::Kind::kWrongKeyType);
  EXPECT_NE(wrong.error().message.find("Ed25519"), std::string::npos);

  std::ofstream(dir / "big.pem") << std::string(100 * 1024, 'A');
  auto big = load_key_file(dir / "big.pem");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, IdentityError::Kind::kUnreadable);
}

TEST(Identity, ReadableByOthersLoadsWithAWarning) {
  bb::testing::TempDir dir;
  auto key = HostKey::generate();
  ASSERT_TRUE(key);
  const auto path = dir / "node.pem";
  ASSERT_TRUE(write_key_file(path, *key, false));
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto loaded = load_key_file(path);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->key.peer_id(), key->peer_id());
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find("chmod 600"), std::string::npos);
  EXPECT_NE(loaded->warnings[0].find("0644"), std::string::npos);
}

}  // namespace
}  // namespace bb::net
