#include "bb/net/tls.h"

#include <string>
#include <utility>
#include <vector>

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

namespace bb::net {
namespace {

namespace gx = grpc::experimental;

constexpr std::string_view kCertificateBegin = "-----BEGIN CERTIFICATE-----";

std::size_t count_certificates(std::string_view pem) {
  std::size_t count = 0;
  for (auto at = pem.find(kCertificateBegin); at != std::string_view::npos;
       at = pem.find(kCertificateBegin, at + kCertificateBegin.size()))
    ++count;
  return count;
}

// Runs inside gRPC's handshake, synchronously: checks the other end's certificate and,
// when dialling, that it proves the PeerId we meant to reach.
class PeerVerifier final : public gx::ExternalCertificateVerifier {
 public:
  explicit PeerVerifier(std::optional<PeerId> expected) : expected_(std::move(expected)) {}

  bool Verify(gx::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)> /*callback*/,
              grpc::Status* sync_status) override {
    *sync_status = check(*request);
    return true;  // done synchronously
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  grpc::Status check(const gx::TlsCustomVerificationCheckRequest& request) const {
    const auto chain = request.peer_cert_full_chain();
    if (count_certificates(std::string_view(chain.data(), chain.size())) > 1)
      return refuse("the peer sent a certificate chain; a bb peer sends one self-signed certificate");
    const auto certificate = request.peer_cert();
    auto peer = verify_certificate(std::string_view(certificate.data(), certificate.size()));
    if (!peer) return refuse(std::string(describe(peer.error().kind)) + ": " + peer.error().message);
    if (expected_ && *peer != *expected_)
      return refuse(std::string(describe(IdentityError::Kind::kPeerMismatch)) + ": expected " +
                    expected_->to_text() + ", the peer proved " + peer->to_text());
    return grpc::Status::OK;
  }

  static grpc::Status refuse(std::string why) { return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why); }

  std::optional<PeerId> expected_;
};

std::shared_ptr<gx::CertificateProviderInterface> provider(const TlsIdentity& identity) {
  std::vector<gx::IdentityKeyCertPair> pairs{
      {identity.certificate.private_key_pem, identity.certificate.certificate_pem}};
  return std::make_shared<gx::StaticDataCertificateProvider>(std::move(pairs));
}

}  // namespace

Expected<TlsIdentity, IdentityError> make_tls_identity(const HostKey& host, const CertificateValidity& validity) {
  auto certificate = make_certificate(host, validity);
  if (!certificate) return unexpected(certificate.error());
  return TlsIdentity{host.peer_id(), std::move(*certificate)};
}

std::shared_ptr<grpc::ServerCredentials> make_server_credentials(const TlsIdentity& identity) {
  gx::TlsServerCredentialsOptions options(provider(identity));
  options.watch_identity_key_cert_pairs();
  // "Don't verify" means no CA chain check; our verifier still runs and decides.
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  options.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<PeerVerifier>(std::nullopt));
  return gx::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> make_channel_credentials(const TlsIdentity& identity,
                                                                   const PeerId& expected) {
  gx::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider(identity));
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(false);  // no CA: the verifier checks the PeerId
  options.set_check_call_host(false);      // no host names either
  options.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<PeerVerifier>(expected));
  return gx::TlsCredentials(options);
}

void set_tls_channel_arguments(grpc::ChannelArguments& args) {
  args.SetSslTargetNameOverride(std::string(kTlsServerName));
}

std::optional<PeerId> authenticated_peer(const grpc::AuthContext& auth) {
  const auto values = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (values.size() != 1) return std::nullopt;
  auto peer = verify_certificate(std::string_view(values.front().data(), values.front().size()));
  if (!peer) return std::nullopt;
  return std::move(*peer);
}

std::optional<PeerId> authenticated_peer(const grpc::ServerContextBase& context) {
  const auto auth = context.auth_context();
  if (!auth) return std::nullopt;
  return authenticated_peer(*auth);
}

}  // namespace bb::net
