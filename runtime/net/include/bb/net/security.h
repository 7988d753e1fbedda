// How a node's connections are secured: the one place where a security mode plugs into
// the gRPC transport.
//
// A Security is a credentials pair plus the hook that names the caller: the server's
// credentials, the channel credentials (and channel arguments) for reaching a given
// peer — mutual TLS checks that the peer's certificate proves that PeerId — and
// `authenticated_sender`, which reads the caller's PeerId from a call's auth context.
// Admission then refuses an envelope whose src_peer is not that PeerId
// (`unauthenticated`).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/channel_arguments.h>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/net/identity.h"
#include "bb/runtime/transport.h"

namespace bb::net {

using runtime::kSecurityInsecure;
using runtime::kSecurityTls;

struct Security {
  std::string mode;  // "insecure" or "tls": shown in logs
  // The PeerId this node proves (its key's); nullopt when it proves none (insecure).
  std::optional<PeerId> identity;
  std::shared_ptr<grpc::ServerCredentials> server;
  // Credentials for a channel to `peer`, and arguments that go with them.
  std::function<std::shared_ptr<grpc::ChannelCredentials>(const PeerId& peer)> channel;
  std::function<void(grpc::ChannelArguments& args)> channel_arguments;
  // The caller's PeerId bytes; empty when the mode authenticates nobody.
  std::function<std::string(const grpc::ServerContext& context)> authenticated_sender;
  // Things worth a warning (e.g. a key file readable by others).
  std::vector<std::string> warnings;

  bool authenticates() const { return identity.has_value(); }
};

// The security of a node by mode: "insecure", or "tls" with the node's key file (an
// Ed25519 PEM from `bbrun keygen`): its certificate proves the key's PeerId to every
// peer, and every peer must prove the PeerId this node dials.
Expected<Security, std::string> make_security(std::string_view mode, const std::string& key_file);

// Mutual TLS with this host key (make_security's "tls" without the file).
Expected<Security, std::string> tls_security(const HostKey& key);

// Plaintext HTTP/2: nobody is authenticated, src_peer is the sender's claim. Only when
// asked for (--insecure, security = "insecure").
Security insecure_security();

// Whether `host_port` listens on a loopback address only (127.0.0.0/8, ::1, localhost).
bool is_loopback_address(const std::string& host_port);

}  // namespace bb::net
