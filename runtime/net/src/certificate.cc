#include "bb/net/certificate.h"

#include <array>
#include <memory>
#include <string>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openssl_util.h"

namespace bb::net {
namespace {

using Kind = IdentityError::Kind;

// A libp2p certificate is about 500 bytes; this bounds what a peer can make us parse.
constexpr std::size_t kMaxCertificateBytes = 64 * 1024;
constexpr std::string_view kPemBegin = "-----BEGIN";

IdentityError error(Kind kind, std::string message) { return {kind, std::move(message)}; }

using detail::BioPtr;
using detail::openssl_error;
using detail::Owned;
using detail::PkeyPtr;
using X509Ptr = Owned<X509, X509_free>;
using ObjectPtr = Owned<ASN1_OBJECT, ASN1_OBJECT_free>;
using OctetsPtr = Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using ExtensionPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using NamePtr = Owned<X509_NAME, X509_NAME_free>;

void free_sequence(STACK_OF(ASN1_TYPE) * s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
using SequencePtr = Owned<STACK_OF(ASN1_TYPE), free_sequence>;

std::string bytes_of(const unsigned char* data, int length) {
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
}

// DER of the SubjectPublicKeyInfo of the certificate's key: what the host key signs.
std::string spki_der(const X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
  if (length <= 0) return {};
  std::string out = bytes_of(der, length);
  OPENSSL_free(der);
  return out;
}

ObjectPtr extension_oid() { return ObjectPtr(OBJ_txt2obj(std::string(kLibp2pExtensionOid).c_str(), 1)); }

// DER of SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }.
std::string encode_signed_key(const SignedKey& key) {
  SequencePtr sequence(sk_ASN1_TYPE_new_null());
  if (!sequence) return {};
  for (const std::string* field : {&key.public_key, &key.signature}) {
    OctetsPtr octets(ASN1_OCTET_STRING_new());
    if (!octets || ASN1_OCTET_STRING_set(octets.get(), reinterpret_cast<const unsigned char*>(field->data()),
                                         static_cast<int>(field->size())) != 1)
      return {};
    ASN1_TYPE* value = ASN1_TYPE_new();
    if (value == nullptr) return {};
    ASN1_TYPE_set(value, V_ASN1_OCTET_STRING, octets.release());
    if (sk_ASN1_TYPE_push(sequence.get(), value) == 0) {
      ASN1_TYPE_free(value);
      return {};
    }
  }
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_SEQUENCE_ANY(sequence.get(), &der);
  if (length <= 0) return {};
  std::string out = bytes_of(der, length);
  OPENSSL_free(der);
  return out;
}

Expected<SignedKey, IdentityError> decode_signed_key(const ASN1_OCTET_STRING* data) {
  const unsigned char* p = ASN1_STRING_get0_data(data);
  const unsigned char* end = p + ASN1_STRING_length(data);
  SequencePtr sequence(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, ASN1_STRING_length(data)));
  ERR_clear_error();
  if (!sequence || p != end || sk_ASN1_TYPE_num(sequence.get()) != 2)
    return unexpected(error(Kind::kBadExtension, "the extension is not a SEQUENCE of two values"));
  std::array<std::string, 2> fields;
  for (int i = 0; i < 2; ++i) {
    const ASN1_TYPE* value = sk_ASN1_TYPE_value(sequence.get(), i);
    if (ASN1_TYPE_get(value) != V_ASN1_OCTET_STRING)
      return unexpected(error(Kind::kBadExtension, "a SignedKey field is not an OCTET STRING"));
    const ASN1_OCTET_STRING* octets = value->value.octet_string;
    fields[i] = bytes_of(ASN1_STRING_get0_data(octets), ASN1_STRING_length(octets));
  }
  return SignedKey{std::move(fields[0]), std::move(fields[1])};
}

bool set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t) {
  return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) != nullptr;
}

// A positive random 63-bit serial number: certificates of one key never repeat one.
bool set_random_serial(X509* certificate) {
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) return false;
  serial = (serial >> 1) | 1;
  return ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1;
}

bool set_names(X509* certificate) {
  NamePtr name(X509_NAME_new());
  return name &&
         X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("bb"), -1,
                                    -1, 0) == 1 &&
         X509_set_subject_name(certificate, name.get()) == 1 && X509_set_issuer_name(certificate, name.get()) == 1;
}

bool add_extension(X509* certificate, const std::string& der) {
  ObjectPtr oid = extension_oid();
  OctetsPtr data(ASN1_OCTET_STRING_new());
  if (!oid || !data ||
      ASN1_OCTET_STRING_set(data.get(), reinterpret_cast<const unsigned char*>(der.data()),
                            static_cast<int>(der.size())) != 1)
    return false;
  ExtensionPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), /*crit=*/1, data.get()));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

bool add_server_name(X509* certificate) {
  const std::string value = "DNS:" + std::string(kTlsServerName);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str()));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

std::string to_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) return {};
  return detail::bio_contents(bio.get());
}

std::string to_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return detail::bio_contents(bio.get());
}

Expected<X509Ptr, IdentityError> parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxCertificateBytes)
    return unexpected(error(Kind::kBadCertificate, "certificate of " + std::to_string(text.size()) +
                                                       " bytes (at most " + std::to_string(kMaxCertificateBytes) +
                                                       ")"));
  X509Ptr certificate;
  if (text.starts_with(kPemBegin)) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (bio) certificate.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    certificate.reset(d2i_X509(nullptr, &p, static_cast<long>(text.size())));
    if (certificate && p != reinterpret_cast<const unsigned char*>(text.data() + text.size()))
      certificate.reset();  // trailing bytes
  }
  if (!certificate) {
    ERR_clear_error();
    return unexpected(error(Kind::kBadCertificate, "not an X.509 certificate"));
  }
  return certificate;
}

Expected<void, IdentityError> check_validity(const X509* certificate, std::time_t now) {
  const int after_start = X509_cmp_time(X509_get0_notBefore(certificate), &now);
  const int after_end = X509_cmp_time(X509_get0_notAfter(certificate), &now);
  if (after_start == 0 || after_end == 0)
    return unexpected(error(Kind::kBadCertificate, "unreadable notBefore/notAfter"));
  if (after_start > 0)
    return unexpected(error(Kind::kNotYetValid, "certificate not valid yet (check the clocks of both machines)"));
  if (after_end < 0) return unexpected(error(Kind::kExpired, "certificate expired (restart the peer)"));
  return {};
}

Expected<SignedKey, IdentityError> find_extension(const X509* certificate) {
  ObjectPtr oid = extension_oid();
  if (!oid) return unexpected(error(Kind::kCrypto, "OID: " + openssl_error()));
  const int index = X509_get_ext_by_OBJ(certificate, oid.get(), -1);
  if (index < 0)
    return unexpected(error(Kind::kNoExtension, "the certificate has no libp2p public key extension (" +
                                                    std::string(kLibp2pExtensionOid) + "): not a bb or libp2p peer"));
  if (X509_get_ext_by_OBJ(certificate, oid.get(), index) >= 0)
    return unexpected(error(Kind::kNoExtension, "the libp2p public key extension appears twice"));
  return decode_signed_key(X509_EXTENSION_get_data(X509_get_ext(certificate, index)));
}

}  // namespace

CertificateValidity default_validity(std::chrono::system_clock::time_point now) {
  using std::chrono::hours;
  return {now - hours(1), now + hours(24 * 365)};
}

Expected<NodeCertificate, IdentityError> make_certificate(const HostKey& host, const CertificateValidity& validity) {
  return make_certificate(
      [&host](std::string_view spki) {
        return SignedKey{host.public_key_protobuf(), host.sign(std::string(kLibp2pSignaturePrefix) + std::string(spki))};
      },
      validity);
}

Expected<NodeCertificate, IdentityError> make_certificate(const ExtensionSigner& signer,
                                                          const CertificateValidity& validity) {
  auto fail = [](std::string_view step) {
    return unexpected(error(Kind::kCrypto, "certificate: " + std::string(step) + ": " + openssl_error()));
  };
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return fail("P-256 key generation");
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1) return fail("new");
  if (!set_random_serial(certificate.get())) return fail("serial number");
  if (!set_time(X509_getm_notBefore(certificate.get()), validity.not_before) ||
      !set_time(X509_getm_notAfter(certificate.get()), validity.not_after))
    return fail("validity");
  if (!set_names(certificate.get())) return fail("names");
  if (X509_set_pubkey(certificate.get(), key.get()) != 1) return fail("public key");
  const std::string spki = spki_der(certificate.get());
  if (spki.empty()) return fail("SubjectPublicKeyInfo");
  const std::string extension = encode_signed_key(signer(spki));
  if (extension.empty() || !add_extension(certificate.get(), extension)) return fail("libp2p extension");
  if (!add_server_name(certificate.get())) return fail("subjectAltName");
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0) return fail("signature");
  NodeCertificate out{to_pem(certificate.get()), to_pem(key.get())};
  if (out.certificate_pem.empty() || out.private_key_pem.empty()) return fail("PEM");
  return out;
}

Expected<PeerId, IdentityError> verify_certificate(std::string_view text, std::time_t now) {
  auto certificate = parse(text);
  if (!certificate) return unexpected(certificate.error());
  X509* cert = certificate->get();
  if (auto valid = check_validity(cert, now); !valid) return unexpected(valid.error());
  EVP_PKEY* certificate_key = X509_get0_pubkey(cert);
  if (certificate_key == nullptr || X509_verify(cert, certificate_key) != 1) {
    ERR_clear_error();
    return unexpected(error(Kind::kBadSelfSignature, "the certificate is not signed by its own key"));
  }
  auto signed_key = find_extension(cert);
  if (!signed_key) return unexpected(signed_key.error());
  auto host_key = decode_public_key(signed_key->public_key);
  if (!host_key) return unexpected(host_key.error());
  const std::string spki = spki_der(cert);
  if (spki.empty() ||
      !verify_ed25519(*host_key, std::string(kLibp2pSignaturePrefix) + spki, signed_key->signature))
    return unexpected(error(Kind::kBadHostSignature,
                            "the host key's signature over the certificate key does not verify (a forged or "
                            "corrupted certificate)"));
  return peer_id_from_public_key(signed_key->public_key);
}

}  // namespace bb::net
