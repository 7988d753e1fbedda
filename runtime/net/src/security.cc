#include "bb/net/security.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "bb/net/identity.h"
#include "bb/net/tls.h"

namespace bb::net {

Security insecure_security() {
  Security s;
  s.mode = std::string(kSecurityInsecure);
  s.server = grpc::InsecureServerCredentials();
  s.channel = [](const PeerId&) { return grpc::InsecureChannelCredentials(); };
  s.channel_arguments = [](grpc::ChannelArguments&) {};
  s.authenticated_sender = [](const grpc::ServerContext&) { return std::string(); };
  return s;
}

Expected<Security, std::string> make_security(std::string_view mode, const std::string& key_file) {
  if (mode == kSecurityInsecure) return insecure_security();
  if (mode != kSecurityTls) return unexpected("'" + std::string(mode) + "' is not a security mode (use tls or insecure)");
  if (key_file.empty())
    return unexpected(std::string("mutual TLS needs this node's key [hint: make one with `bbrun keygen node.pem` and "
                                  "pass --key node.pem (or key = \"node.pem\" in its [[node]]); --insecure only on a "
                                  "network you trust]"));
  auto loaded = load_key_file(key_file);
  if (!loaded) return unexpected(loaded.error().message);
  auto s = tls_security(loaded->key);
  if (!s) return unexpected(key_file + ": " + s.error());
  s->warnings = std::move(loaded->warnings);
  return s;
}

Expected<Security, std::string> tls_security(const HostKey& key) {
  auto identity = make_tls_identity(key);
  if (!identity) return unexpected(identity.error().message);
  auto shared = std::make_shared<const TlsIdentity>(std::move(*identity));
  Security s;
  s.mode = std::string(kSecurityTls);
  s.identity = shared->peer;
  s.server = make_server_credentials(*shared);
  s.channel = [shared](const PeerId& peer) { return make_channel_credentials(*shared, peer); };
  s.channel_arguments = [](grpc::ChannelArguments& args) { set_tls_channel_arguments(args); };
  s.authenticated_sender = [](const grpc::ServerContext& context) {
    const auto peer = authenticated_peer(context);
    return peer ? peer->bytes() : std::string();
  };
  return s;
}

bool is_loopback_address(const std::string& host_port) {
  std::string host = host_port;
  if (const auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace bb::net
