// Certificates bound to PeerIds, as libp2p's TLS handshake defines them.
//
// A node presents a self-signed X.509 certificate for a fresh ECDSA P-256 key made at
// start-up. The host key never signs the certificate; instead the certificate carries
// the libp2p public key extension (OID 1.3.6.1.4.1.53594.1.1, marked critical):
//
//   SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }
//
// `publicKey` is the host key as a libp2p `PublicKey` protobuf, `signature` the host
// key's Ed25519 signature over "libp2p-tls-handshake:" || DER(SubjectPublicKeyInfo of
// the certificate's key). The TLS handshake proves possession of the certificate key;
// the extension proves that the host key vouches for it; the PeerId follows from the
// host key. No CA is involved.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/net/identity.h"

namespace bb::net {

inline constexpr std::string_view kLibp2pExtensionOid = "1.3.6.1.4.1.53594.1.1";
inline constexpr std::string_view kLibp2pSignaturePrefix = "libp2p-tls-handshake:";
// The one DNS name (subjectAltName) of every bb certificate, and the server name every
// bb channel asks for: gRPC always sends a TLS server name, and a constant one that
// every listener matches reveals nothing about the address dialled. Never checked.
inline constexpr std::string_view kTlsServerName = "bb-peer";

// The certificate and its private key, both PEM: what gRPC's TLS stack is given.
struct NodeCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

struct CertificateValidity {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};
// From an hour ago (clock skew between machines) for about a year: the certificate and
// its key live only in the memory of one process run.
CertificateValidity default_validity(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The two values of the extension.
struct SignedKey {
  std::string public_key;  // libp2p PublicKey protobuf of the host key
  std::string signature;
};
// Produces the extension for the DER SubjectPublicKeyInfo of the certificate key.
using ExtensionSigner = std::function<SignedKey(std::string_view certificate_spki_der)>;

// What `host` presents: a new P-256 key and a certificate whose extension `host` signed.
Expected<NodeCertificate, IdentityError> make_certificate(const HostKey& host,
                                                          const CertificateValidity& validity = default_validity());
// The same around any extension contents (tests forge certificates with it).
Expected<NodeCertificate, IdentityError> make_certificate(const ExtensionSigner& signer,
                                                          const CertificateValidity& validity);

// Checks a peer's certificate (one PEM certificate, or DER) and returns the PeerId it
// proves: well formed, valid at `now`, signed by its own key, carrying exactly one
// libp2p extension whose Ed25519 host key signed the certificate key. The extension
// may be critical or not (libp2p's own test vectors are not).
Expected<PeerId, IdentityError> verify_certificate(std::string_view certificate, std::time_t now = std::time(nullptr));

}  // namespace bb::net
