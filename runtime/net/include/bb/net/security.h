// How a node's connections are secured: the one place where a security mode plugs into
// the gRPC transport.
//
// A Security is a credentials pair plus the hook that names the caller: the server's
// credentials, the channel credentials for reaching a given peer (mutual TLS checks that
// the peer's certificate proves that PeerId), and `authenticated_sender`, which reads the
// caller's PeerId from a call's auth context. Admission then refuses an envelope whose
// src_peer is not that PeerId (`unauthenticated`).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>

#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"

namespace bb::net {

struct Security {
  std::string mode;  // "insecure", "tls": shown in logs
  std::shared_ptr<grpc::ServerCredentials> server;
  // Credentials for a channel to `peer`.
  std::function<std::shared_ptr<grpc::ChannelCredentials>(const PeerId& peer)> channel;
  // The caller's PeerId bytes; empty when the mode authenticates nobody.
  std::function<std::string(const grpc::ServerContext& context)> authenticated_sender;
  // The envelopes this mode lets through carry this authenticity.
  bool authenticates() const { return mode != "insecure"; }
};

// The security of a node by mode: "insecure", or "tls" with the node's key file (PEM).
// This is the one place a mode is made; "tls" needs node keys (`bbrun keygen`), and a
// build without them says so and points at --insecure.
Expected<Security, std::string> make_security(std::string_view mode, const std::string& key_file);

// Plaintext HTTP/2: nobody is authenticated, src_peer is the sender's claim. Only when
// asked for (--insecure, security = "insecure").
Security insecure_security();

// Whether `host_port` listens on a loopback address only (127.0.0.0/8, ::1, localhost).
bool is_loopback_address(const std::string& host_port);

}  // namespace bb::net
