// A node's long-lived identity: an Ed25519 host key and the PeerId derived from it.
//
// The PeerId is libp2p's: the public key as a libp2p `PublicKey` protobuf
// (Type = Ed25519 (1), Data = the 32 key bytes), wrapped in an identity multihash
// (0x00, length) because the encoding is at most 42 bytes, printed base58btc — which
// always starts `12D3KooW` for an Ed25519 key. Keys live in PEM files (PKCS#8, mode
// 0600) written by `bbrun keygen`. All cryptography is OpenSSL 3's (EVP, Ed25519).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace bb::net {

// Why a key, a certificate or a handshake was refused. Stable: tests, logs and the
// transport's reasons use the labels of `describe`.
struct IdentityError {
  enum class Kind {
    kNotFound,            // the key file does not exist
    kUnreadable,          // exists but cannot be read, or is too large to be a key
    kBadKey,              // not a PEM private key
    kWrongKeyType,        // a private key, but not Ed25519
    kExists,              // keygen: the file is there and --force was not given
    kWrite,               // keygen: the file could not be written (nothing left behind)
    kCrypto,              // OpenSSL failed where it should not (allocation, RNG)
    kBadCertificate,      // not one well-formed X.509 certificate
    kNotYetValid,         // the certificate's notBefore is in the future
    kExpired,             // the certificate's notAfter is in the past
    kBadSelfSignature,    // the certificate is not signed by its own key
    kNoExtension,         // the libp2p public key extension is missing (or repeated)
    kBadExtension,        // the extension is not a SignedKey of two OCTET STRINGs
    kUnsupportedKeyType,  // the host key in the extension is not an Ed25519 key
    kBadHostSignature,    // the host key's signature over the certificate key fails
    kPeerMismatch,        // the certificate proves another PeerId than the one dialled
  };
  Kind kind;
  std::string message;  // names the file or the peer and says what to do
};

// Short stable label, e.g. "host key signature does not verify".
std::string_view describe(IdentityError::Kind kind);

// libp2p's `PublicKey` protobuf of a raw 32-byte Ed25519 public key: 08 01 12 20 <key>.
std::string encode_public_key(std::string_view ed25519_public_key);
// The raw Ed25519 key of a `PublicKey` protobuf. Only the exact deterministic encoding
// of an Ed25519 key is accepted (no other key type, no extra or reordered fields).
Expected<std::string, IdentityError> decode_public_key(std::string_view protobuf);
// The PeerId of a `PublicKey` protobuf: identity multihash up to 42 bytes, else sha2-256.
PeerId peer_id_from_public_key(std::string_view protobuf);
// Ed25519 verification of `signature` over `message` with a raw 32-byte public key.
bool verify_ed25519(std::string_view public_key, std::string_view message, std::string_view signature);

// An Ed25519 private key. Copies share the key (it is immutable).
class HostKey {
 public:
  // A fresh key from OpenSSL's RNG.
  static Expected<HostKey, IdentityError> generate();
  // A PEM private key (PKCS#8 "PRIVATE KEY"); `origin` names it in errors.
  static Expected<HostKey, IdentityError> from_pem(std::string_view pem, std::string_view origin = "key");
  // The key of a 32-byte RFC 8032 private seed (test vectors, known keys).
  static Expected<HostKey, IdentityError> from_seed(std::string_view seed);

  std::string to_pem() const;                  // PKCS#8, unencrypted
  const std::string& public_key() const { return public_key_; }  // raw, 32 bytes
  std::string public_key_protobuf() const { return encode_public_key(public_key_); }
  const PeerId& peer_id() const { return peer_id_; }
  // Ed25519 signature (64 bytes) over `message`.
  std::string sign(std::string_view message) const;

 private:
  explicit HostKey(std::shared_ptr<evp_pkey_st> key);

  std::shared_ptr<evp_pkey_st> key_;
  std::string public_key_;
  PeerId peer_id_;
};

// Writes `key` as PEM to `path`, mode 0600, atomically: a temporary file in the same
// folder, then linked into place. Refuses (kExists) to replace a file unless `force`.
Expected<void, IdentityError> write_key_file(const std::filesystem::path& path, const HostKey& key, bool force);

struct LoadedKey {
  HostKey key;
  std::vector<std::string> warnings;  // e.g. the file is readable by others
};
// Reads a key file written by `write_key_file` (or `openssl genpkey -algorithm ed25519`).
Expected<LoadedKey, IdentityError> load_key_file(const std::filesystem::path& path);

}  // namespace bb::net
