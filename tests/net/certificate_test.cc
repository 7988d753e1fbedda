// Certificates bound to PeerIds: what we make verifies, and what is forged, expired
// or malformed is refused with its own reason.
#include "bb/net/certificate.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net_test_support.h"

namespace bb::net {
namespace {

using Kind = IdentityError::Kind;
using std::chrono::hours;
using testing::from_hex;

// The libp2p TLS spec's test vectors 1 (Ed25519 host key) and 2 (ECDSA host key);
// valid from 1975 to 4096.
constexpr std::string_view kSpecEd25519Certificate =
    "308201ae30820156a0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a"
    "300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a"
    "13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c"
    "831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37"
    "e381569ea37c307a3078060a2b0601040183a25a0101046a3068042408011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed3"
    "64501809923d7c11b90440d90d2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a8207792e42849cccc6c"
    "d8136c6e4bde92a58c5e08cfd4206eb5fe0bf909300a06082a8648ce3d0403020346003043021f50f6b6c52711a881778718238f650c9f"
    "b48943ae6ee6d28427dc6071ae55e702203625f116a7a454db9c56986c82a25682f7248ea1cb764d322ea983ed36a31b77";
constexpr std::string_view kSpecEcdsaCertificate =
    "308201f63082019da0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a"
    "300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a"
    "13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c"
    "831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37"
    "e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081aa045f0803125b3059301306072a8648ce3d020106082a8648"
    "ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f"
    "55ba8a3acf3dd72a801980d205e8a1ad29f2044730450220064ea8124774caf8f50e57f436aa62350ce652418c019df5d98a3ac666c938"
    "6a022100aa59d704a931b5f72fb9222cb6cc51f954d04a4e2e5450f8805fe8918f71eaae300a06082a8648ce3d04030203470030440220"
    "799395b0b6c1e940a7e4484705f610ab51ed376f19ff9d7c16757cfbf61b8d4302206205c03fbb0f95205c779be86581d3e31c01871ad5"
    "d1f3435bcf375cb0e5088a";

HostKey key() {
  auto k = HostKey::generate();
  EXPECT_TRUE(k);
  return *k;
}

X509* parse_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return x;
}

std::string der_of(const std::string& pem) {
  X509* x = parse_pem(pem);
  unsigned char* der = nullptr;
  const int length = i2d_X509(x, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

Kind refusal(std::string_view certificate, std::time_t now = std::time(nullptr)) {
  auto verified = verify_certificate(certificate, now);
  EXPECT_FALSE(verified) << verified->to_text();
  return verified ? Kind::kCrypto : verified.error().kind;
}

TEST(Certificate, OursVerifiesAndProvesTheHostPeerId) {
  const HostKey host = key();
  auto certificate = make_certificate(host);
  ASSERT_TRUE(certificate) << certificate.error().message;
  EXPECT_TRUE(certificate->certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  auto peer = verify_certificate(certificate->certificate_pem);
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(*peer, host.peer_id());
  // The same in DER.
  auto from_der = verify_certificate(der_of(certificate->certificate_pem));
  ASSERT_TRUE(from_der) << from_der.error().message;
  EXPECT_EQ(*from_der, host.peer_id());
}

TEST(Certificate, CarriesTheCriticalLibp2pExtensionAndAFreshKey) {
  const HostKey host = key();
  auto one = make_certificate(host);
  auto two = make_certificate(host);
  ASSERT_TRUE(one && two);
  X509* x = parse_pem(one->certificate_pem);
  ASSERT_NE(x, nullptr);
  // Two extensions: the libp2p one (critical) and the constant server name.
  ASSERT_EQ(X509_get_ext_count(x), 2);
  X509_EXTENSION* ext = X509_get_ext(x, 0);
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 1);
  EXPECT_EQ(std::string(oid), kLibp2pExtensionOid);
  EXPECT_EQ(X509_EXTENSION_get_critical(ext), 1);
  EXPECT_EQ(X509_check_host(x, kTlsServerName.data(), kTlsServerName.size(), 0, nullptr), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_EC);
  X509_free(x);
  EXPECT_NE(one->private_key_pem, two->private_key_pem);  // never the host key, never reused
  EXPECT_EQ(one->private_key_pem.find(host.to_pem()), std::string::npos);
}

TEST(Certificate, Libp2pSpecVectorVerifies) {
  auto peer = verify_certificate(from_hex(kSpecEd25519Certificate));
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(peer->to_text(), "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv");
}

TEST(Certificate, Libp2pSpecVectorWithAnEcdsaHostKeyIsRefusedAsUnsupported) {
  EXPECT_EQ(refusal(from_hex(kSpecEcdsaCertificate)), Kind::kUnsupportedKeyType);
}

TEST(Certificate, TamperedHostSignatureIsRefused) {
  const HostKey host = key();
  auto certificate = make_certificate(
      [&](std::string_view spki) {
        std::string signature = host.sign(std::string(kLibp2pSignaturePrefix) + std::string(spki));
        signature[0] ^= 1;
        return SignedKey{host.public_key_protobuf(), signature};
      },
      default_validity());
  ASSERT_TRUE(certificate);
  EXPECT_EQ(refusal(certificate->certificate_pem), Kind::kBadHostSignature);
}

TEST(Certificate, SignatureWithoutThePrefixIsRefused) {
  const HostKey host = key();
  auto certificate = make_certificate(
      [&](std::string_view spki) { return SignedKey{host.public_key_protobuf(), host.sign(spki)}; },
      default_validity());
  ASSERT_TRUE(certificate);
  EXPECT_EQ(refusal(certificate->certificate_pem), Kind::kBadHostSignature);
}

TEST(Certificate, ClaimingAnotherHostKeyIsRefused) {
  // A impersonates B: B's public key in the extension, signed with A's key.
  const HostKey a = key();
  const HostKey b = key();
  auto certificate = make_certificate(
      [&](std::string_view spki) {
        return SignedKey{b.public_key_protobuf(), a.sign(std::string(kLibp2pSignaturePrefix) + std::string(spki))};
      },
      default_validity());
  ASSERT_TRUE(certificate);
  EXPECT_EQ(refusal(certificate->certificate_pem), Kind::kBadHostSignature);
}

TEST(Certificate, ValidityIsChecked) {
  const HostKey host = key();
  const auto now = std::chrono::system_clock::now();
  auto expired = make_certificate(host, {now - hours(48), now - hours(24)});
  auto future = make_certificate(host, {now + hours(24), now + hours(48)});
  ASSERT_TRUE(expired && future);
  EXPECT_EQ(refusal(expired->certificate_pem), Kind::kExpired);
  EXPECT_EQ(refusal(future->certificate_pem), Kind::kNotYetValid);
  // Verified at a time inside their validity, both are fine.
  const auto then = std::chrono::system_clock::to_time_t(now - hours(36));
  EXPECT_TRUE(verify_certificate(expired->certificate_pem, then));
  EXPECT_EQ(refusal(expired->certificate_pem, std::chrono::system_clock::to_time_t(now)), Kind::kExpired);
}

TEST(Certificate, TamperedCertificateSignatureIsRefused) {
  auto certificate = make_certificate(key());
  ASSERT_TRUE(certificate);
  std::string der = der_of(certificate->certificate_pem);
  der[der.size() - 5] ^= 0x01;  // inside the ECDSA signature at the end
  EXPECT_EQ(refusal(der), Kind::kBadSelfSignature);
}

TEST(Certificate, TamperedExtensionBreaksTheSelfSignature) {
  const HostKey host = key();
  auto certificate = make_certificate(host);
  ASSERT_TRUE(certificate);
  std::string der = der_of(certificate->certificate_pem);
  const auto at = der.find(host.public_key());
  ASSERT_NE(at, std::string::npos);
  der[at] ^= 0x01;  // the host key inside the signed part
  EXPECT_EQ(refusal(der), Kind::kBadSelfSignature);
}

TEST(Certificate, MissingExtensionIsRefused) {
  // A plain self-signed certificate, as any TLS client might present.
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, k);
  ASSERT_GT(X509_sign(x, k, EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int length = i2d_X509(x, &der);
  const std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(k);
  EXPECT_EQ(refusal(bytes), Kind::kNoExtension);
}

TEST(Certificate, MalformedInputIsRefused) {
  auto certificate = make_certificate(key());
  ASSERT_TRUE(certificate);
  const std::string der = der_of(certificate->certificate_pem);
  EXPECT_EQ(refusal(""), Kind::kBadCertificate);
  EXPECT_EQ(refusal("garbage"), Kind::kBadCertificate);
  EXPECT_EQ(refusal("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), Kind::kBadCertificate);
  EXPECT_EQ(refusal(der.substr(0, der.size() - 1)), Kind::kBadCertificate);
  EXPECT_EQ(refusal(der + "x"), Kind::kBadCertificate);
  EXPECT_EQ(refusal(std::string(1 << 20, '0')), Kind::kBadCertificate);
}

}  // namespace
}  // namespace bb::net
