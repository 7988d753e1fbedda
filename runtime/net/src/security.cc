#include "bb/net/security.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

namespace bb::net {

Security insecure_security() {
  Security s;
  s.mode = "insecure";
  s.server = grpc::InsecureServerCredentials();
  s.channel = [](const PeerId&) { return grpc::InsecureChannelCredentials(); };
  s.authenticated_sender = [](const grpc::ServerContext&) { return std::string(); };
  return s;
}

bool is_loopback_address(const std::string& host_port) {
  std::string host = host_port;
  if (const auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace bb::net
