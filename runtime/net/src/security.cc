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

Expected<Security, std::string> make_security(std::string_view mode, const std::string& key_file) {
  if (mode == "insecure") return insecure_security();
  if (mode == "tls")
    return unexpected(std::string("mutual TLS needs node keys") + (key_file.empty() ? "" : " (" + key_file + ")") +
                      ", which this build does not have yet [hint: run with --insecure, or security = \"insecure\" "
                      "in the deployment's [transport], on a network you trust]");
  return unexpected("'" + std::string(mode) + "' is not a security mode (use tls or insecure)");
}

bool is_loopback_address(const std::string& host_port) {
  std::string host = host_port;
  if (const auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace bb::net
