#include "bb/net/identity.h"

#include <sys/stat.h>

#include <array>
#include <cstdio>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "bb/ir/atomic_writer.h"
#include "bb/ir/model_io.h"
#include "openssl_util.h"

namespace bb::net {
namespace {

using detail::BioPtr;
using detail::MdCtxPtr;
using detail::openssl_error;

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;
// libp2p: a public key encoding up to this size is inlined (identity multihash).
constexpr std::size_t kMaxInlinedKeyBytes = 42;
// libp2p's protobuf field keys: Type = field 1 varint, Data = field 2 bytes; KeyType Ed25519 = 1.
constexpr char kTypeFieldKey = 0x08;
constexpr char kEd25519Type = 0x01;
constexpr char kDataFieldKey = 0x12;
// A PEM Ed25519 key is about 120 bytes; anything far larger is not one.
constexpr std::uint64_t kMaxKeyFileBytes = 64 * 1024;

IdentityError error(IdentityError::Kind kind, std::string message) { return {kind, std::move(message)}; }

// Shares the key: the deleter frees it with the last copy.
std::shared_ptr<EVP_PKEY> adopt(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

std::string octal_mode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return text.data();
}

}  // namespace

std::string_view describe(IdentityError::Kind kind) {
  using K = IdentityError::Kind;
  switch (kind) {
    case K::kNotFound: return "key file not found";
    case K::kUnreadable: return "key file unreadable";
    case K::kBadKey: return "not a PEM private key";
    case K::kWrongKeyType: return "not an Ed25519 key";
    case K::kExists: return "file exists";
    case K::kWrite: return "cannot write the key file";
    case K::kCrypto: return "OpenSSL failure";
    case K::kBadCertificate: return "malformed certificate";
    case K::kNotYetValid: return "certificate not yet valid";
    case K::kExpired: return "certificate expired";
    case K::kBadSelfSignature: return "certificate self-signature does not verify";
    case K::kNoExtension: return "no libp2p public key extension";
    case K::kBadExtension: return "malformed libp2p public key extension";
    case K::kUnsupportedKeyType: return "host key is not Ed25519";
    case K::kBadHostSignature: return "host key signature does not verify";
    case K::kPeerMismatch: return "certificate proves another PeerId";
  }
  return "unknown";
}

std::string encode_public_key(std::string_view ed25519_public_key) {
  std::string out{kTypeFieldKey, kEd25519Type, kDataFieldKey};
  append_uvarint(out, ed25519_public_key.size());
  out.append(ed25519_public_key);
  return out;
}

Expected<std::string, IdentityError> decode_public_key(std::string_view protobuf) {
  // The deterministic encoding of an Ed25519 key is exactly these 4 bytes and the key;
  // anything else is another key type or an encoding that would give another PeerId.
  const std::string prefix = encode_public_key(std::string(kEd25519KeyBytes, '\0')).substr(0, 4);
  if (protobuf.size() >= 2 && protobuf[0] == kTypeFieldKey && protobuf[1] != kEd25519Type)
    return unexpected(error(IdentityError::Kind::kUnsupportedKeyType,
                            "host key type " + std::to_string(static_cast<unsigned char>(protobuf[1])) +
                                " (only Ed25519, type 1, is accepted)"));
  if (protobuf.size() != prefix.size() + kEd25519KeyBytes || !protobuf.starts_with(prefix))
    return unexpected(error(IdentityError::Kind::kUnsupportedKeyType,
                            "host key is not a 36-byte Ed25519 PublicKey protobuf"));
  return std::string(protobuf.substr(prefix.size()));
}

PeerId peer_id_from_public_key(std::string_view protobuf) {
  std::string bytes;
  if (protobuf.size() <= kMaxInlinedKeyBytes) {
    append_uvarint(bytes, PeerId::kIdentityCode);
    append_uvarint(bytes, protobuf.size());
    bytes.append(protobuf);
  } else {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(protobuf.data()), protobuf.size(), digest.data());
    append_uvarint(bytes, PeerId::kSha256Code);
    append_uvarint(bytes, digest.size());
    bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  // Well formed by construction (lengths within the multihash limits).
  return *PeerId::from_bytes(bytes);
}

bool verify_ed25519(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != kEd25519KeyBytes || signature.size() != kEd25519SignatureBytes) return false;
  auto key = adopt(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(public_key.data()),
                                               public_key.size()));
  if (!key) {
    ERR_clear_error();
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
                  EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                   signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                                   message.size()) == 1;
  ERR_clear_error();
  return ok;
}

HostKey::HostKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {
  std::array<unsigned char, kEd25519KeyBytes> raw{};
  std::size_t length = raw.size();
  EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &length);
  public_key_.assign(reinterpret_cast<const char*>(raw.data()), length);
  peer_id_ = peer_id_from_public_key(public_key_protobuf());
}

Expected<HostKey, IdentityError> HostKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return unexpected(error(IdentityError::Kind::kCrypto, "Ed25519 key generation: " + openssl_error()));
  return HostKey(adopt(key));
}

Expected<HostKey, IdentityError> HostKey::from_seed(std::string_view seed) {
  if (seed.size() != kEd25519KeyBytes)
    return unexpected(error(IdentityError::Kind::kBadKey, "an Ed25519 seed is 32 bytes"));
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (key == nullptr) return unexpected(error(IdentityError::Kind::kCrypto, "Ed25519 key: " + openssl_error()));
  return HostKey(adopt(key));
}

Expected<HostKey, IdentityError> HostKey::from_pem(std::string_view pem, std::string_view origin) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return unexpected(error(IdentityError::Kind::kCrypto, "BIO: " + openssl_error()));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return unexpected(error(IdentityError::Kind::kBadKey,
                            std::string(origin) + ": not a PEM private key (make one with `bbrun keygen FILE`)"));
  }
  auto key = adopt(raw);
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
    return unexpected(error(IdentityError::Kind::kWrongKeyType,
                            std::string(origin) + ": a " + EVP_PKEY_get0_type_name(key.get()) +
                                " key; bb node keys are Ed25519 (make one with `bbrun keygen FILE`)"));
  return HostKey(std::move(key));
}

std::string HostKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return detail::bio_contents(bio.get());
}

std::string HostKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureBytes, '\0');
  std::size_t length = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    ERR_clear_error();
    return {};  // only on allocation failure; an empty signature never verifies
  }
  signature.resize(length);
  return signature;
}

Expected<void, IdentityError> write_key_file(const std::filesystem::path& path, const HostKey& key, bool force) {
  const std::string pem = key.to_pem();
  if (pem.empty()) return unexpected(error(IdentityError::Kind::kCrypto, "cannot encode the key as PEM"));
  ir::AtomicWriter::Options options;
  options.owner_only = true;
  options.no_replace = !force;
  auto writer = ir::AtomicWriter::create(path, options);
  if (!writer) return unexpected(error(IdentityError::Kind::kWrite, writer.error().message));
  auto written = (*writer)->write(pem);
  if (written) written = (*writer)->commit();
  if (written) return {};
  if (written.error().kind == ir::IoError::Kind::kExists)
    return unexpected(error(IdentityError::Kind::kExists,
                            path.string() + ": already exists; keep it, or pass --force to replace it (the node "
                                            "then has a new PeerId)"));
  return unexpected(error(IdentityError::Kind::kWrite, written.error().message));
}

Expected<LoadedKey, IdentityError> load_key_file(const std::filesystem::path& path) {
  auto bytes = ir::read_file(path, kMaxKeyFileBytes);
  if (!bytes) {
    const auto kind = bytes.error().kind == ir::IoError::Kind::kNotFound ? IdentityError::Kind::kNotFound
                                                                         : IdentityError::Kind::kUnreadable;
    return unexpected(error(kind, bytes.error().message +
                                      (kind == IdentityError::Kind::kNotFound ? " (make one with `bbrun keygen FILE`)"
                                                                              : "")));
  }
  auto key = HostKey::from_pem(*bytes, path.string());
  if (!key) return unexpected(key.error());
  LoadedKey loaded{std::move(*key), {}};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    loaded.warnings.push_back(path.string() + ": the private key is accessible to other users (mode " +
                              octal_mode(st.st_mode) + "); run `chmod 600 " + path.string() + "`");
  return loaded;
}

}  // namespace bb::net
