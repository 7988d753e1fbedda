// gRPC mutual TLS bound to PeerIds (gRPC's TLS credentials with our own verifier).
//
// Both ends present the certificate of `make_certificate` and require one from the
// other end. No CA and no host name is checked; instead:
//   - the dialer's verifier accepts the server only if its certificate proves the
//     PeerId it meant to reach (`verify_certificate`, then equality), else the
//     handshake fails (the channel never becomes ready; an RPC ends UNAVAILABLE);
//   - the listener's verifier accepts any client whose certificate proves some PeerId,
//     and `authenticated_peer` reads that PeerId back from a call's auth context.
// Deciding whether that PeerId may talk to this node (and that an envelope's
// `src_peer` equals it) is the transport's job.
#pragma once

#include <memory>
#include <optional>

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/channel_arguments.h>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/net/certificate.h"
#include "bb/net/identity.h"

namespace bb::net {

// A node's TLS identity for one process run: its host key's PeerId and the certificate
// (with a fresh key) that proves it.
struct TlsIdentity {
  PeerId peer;
  NodeCertificate certificate;
};
Expected<TlsIdentity, IdentityError> make_tls_identity(const HostKey& host,
                                                       const CertificateValidity& validity = default_validity());

// For ServerBuilder::AddListeningPort: requires a client certificate and accepts it
// when it proves a PeerId.
std::shared_ptr<grpc::ServerCredentials> make_server_credentials(const TlsIdentity& identity);

// For grpc::CreateCustomChannel to one peer: presents our certificate and accepts the
// server only if its certificate proves `expected`. The target may be any HOST:PORT;
// the host name is not checked (the PeerId is what is authenticated).
std::shared_ptr<grpc::ChannelCredentials> make_channel_credentials(const TlsIdentity& identity,
                                                                   const PeerId& expected);
// Channel arguments that go with those credentials: the constant TLS server name
// `kTlsServerName` instead of the dialled host (without it every listener logs a gRPC
// error per connection: no certificate matches the host name).
void set_tls_channel_arguments(grpc::ChannelArguments& args);

// The caller's PeerId, proved by its certificate in the TLS handshake; nullopt for a
// call that did not come over these credentials (plaintext, or no valid certificate).
std::optional<PeerId> authenticated_peer(const grpc::ServerContextBase& context);
std::optional<PeerId> authenticated_peer(const grpc::AuthContext& auth);

}  // namespace bb::net
