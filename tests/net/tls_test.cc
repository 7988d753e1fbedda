// gRPC mutual TLS bound to PeerIds, in process on 127.0.0.1: a tiny generic service
// answers every call with the PeerId it authenticated for the caller.
#include "bb/net/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <future>
#include <random>

#include <grpc/support/log.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

namespace bb::net {
namespace {

using namespace std::chrono_literals;

constexpr auto kCallDeadline = 10s;  // every wait in this file is bounded by this

// gRPC's own log lines, shown, and those of severity ERROR counted (it logs from its
// threads). Installed for the whole test program (gRPC has no way to restore its own).
std::atomic<int> g_grpc_errors{0};
void count_grpc_errors(gpr_log_func_args* args) {
  if (args->severity == GPR_LOG_SEVERITY_ERROR) ++g_grpc_errors;
  std::fprintf(stderr, "grpc %s: %s\n", gpr_log_severity_string(args->severity), args->message);
}

grpc::ByteBuffer buffer_of(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

std::string text_of(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return {};
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// Replies to one request with the caller's authenticated PeerId ("none" without one).
class PeerEcho final : public grpc::CallbackGenericService {
 public:
  std::atomic<int> calls{0};

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    ++calls;
    const auto peer = authenticated_peer(*context);
    return new Reactor(peer ? peer->to_text() : "none");
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(const std::string& reply) : reply_(buffer_of(reply)) { StartRead(&request_); }
    void OnReadDone(bool ok) override {
      if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      StartWrite(&reply_);
    }
    void OnWriteDone(bool /*ok*/) override { Finish(grpc::Status::OK); }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer request_, reply_;
  };
};

HostKey key() {
  auto k = HostKey::generate();
  EXPECT_TRUE(k);
  return *k;
}

TlsIdentity identity_of(const HostKey& host) {
  auto id = make_tls_identity(host);
  EXPECT_TRUE(id);
  return *id;
}

class Node {
 public:
  explicit Node(const std::shared_ptr<grpc::ServerCredentials>& credentials) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~Node() { server_->Shutdown(std::chrono::system_clock::now() + kCallDeadline); }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int calls() const { return service_.calls.load(); }

 private:
  PeerEcho service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

struct CallResult {
  grpc::Status status;
  std::string reply;
};

CallResult call(const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  set_tls_channel_arguments(args);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // no connection shared between tests
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  const grpc::ByteBuffer request = buffer_of("hello");
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/bb.test.Echo/Peer", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  auto future = done.get_future();
  // The deadline ends the call; the extra margin only guards against a bug in gRPC.
  if (future.wait_for(kCallDeadline + 5s) != std::future_status::ready) {
    context.TryCancel();
    future.wait();
    ADD_FAILURE() << "call did not end by its deadline";
  }
  CallResult result{future.get(), {}};
  if (result.status.ok()) result.reply = text_of(response);
  return result;
}

TEST(Tls, MutualHandshakeAuthenticatesBothPeers) {
  const HostKey server_key = key(), client_key = key();
  g_grpc_errors = 0;
  gpr_set_log_function(count_grpc_errors);
  {
    Node server(make_server_credentials(identity_of(server_key)));
    auto result = call(server.address(), make_channel_credentials(identity_of(client_key), server_key.peer_id()));
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    EXPECT_EQ(result.reply, client_key.peer_id().to_text());
    EXPECT_EQ(server.calls(), 1);
  }
  EXPECT_EQ(g_grpc_errors.load(), 0) << "a good handshake made gRPC log an error";
}

TEST(Tls, DialerExpectingAnotherPeerIdFailsAtTheHandshake) {
  const HostKey server_key = key(), client_key = key(), expected = key();
  Node server(make_server_credentials(identity_of(server_key)));
  auto result = call(server.address(), make_channel_credentials(identity_of(client_key), expected.peer_id()));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE) << result.status.error_message();
  // The verifier's reason reaches the caller's status (and so the sender's log).
  EXPECT_NE(result.status.error_message().find("certificate proves another PeerId: expected " +
                                               expected.peer_id().to_text()),
            std::string::npos)
      << result.status.error_message();
  EXPECT_EQ(server.calls(), 0);
}

TEST(Tls, ServerClaimingAPeerIdWithTheWrongKeyIsRefused) {
  // A process that presents peer A's public key but holds key B cannot produce A's
  // signature: its certificate fails, and the dialler looking for A refuses it.
  const HostKey a = key(), b = key(), client_key = key();
  auto forged = make_certificate(
      [&](std::string_view spki) {
        return SignedKey{a.public_key_protobuf(), b.sign(std::string(kLibp2pSignaturePrefix) + std::string(spki))};
      },
      default_validity());
  ASSERT_TRUE(forged);
  Node server(make_server_credentials(TlsIdentity{a.peer_id(), *forged}));
  auto result = call(server.address(), make_channel_credentials(identity_of(client_key), a.peer_id()));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE) << result.status.error_message();
  EXPECT_NE(result.status.error_message().find("host key signature does not verify"), std::string::npos)
      << result.status.error_message();
  EXPECT_EQ(server.calls(), 0);
}

TEST(Tls, ListenerRefusesAClientWithAForgedCertificate) {
  const HostKey server_key = key(), a = key(), b = key();
  auto forged = make_certificate(
      [&](std::string_view spki) {
        return SignedKey{a.public_key_protobuf(), b.sign(std::string(kLibp2pSignaturePrefix) + std::string(spki))};
      },
      default_validity());
  ASSERT_TRUE(forged);
  Node server(make_server_credentials(identity_of(server_key)));
  auto result = call(server.address(), make_channel_credentials(TlsIdentity{a.peer_id(), *forged}, server_key.peer_id()));
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(server.calls(), 0) << "a call with a forged client certificate reached the service";
}

TEST(Tls, PlaintextClientIsRefused) {
  const HostKey server_key = key();
  Node server(make_server_credentials(identity_of(server_key)));
  auto result = call(server.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE) << result.status.error_message();
  EXPECT_EQ(server.calls(), 0);
}

TEST(Tls, GarbageBytesAreDroppedAndTheListenerStillServes) {
  const HostKey server_key = key(), client_key = key();
  Node server(make_server_credentials(identity_of(server_key)));
  std::mt19937 rng(14);
  for (int round = 0; round < 3; ++round) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string garbage(16 * 1024, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    if (round == 1) garbage.replace(0, 3, "\x16\x03\x01");  // looks like a TLS record
    (void)::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
    // The listener closes the connection: read until end of stream, an error, or 5 s.
    char sink[4096];
    const auto start = std::chrono::steady_clock::now();
    ssize_t n = 0;
    while ((n = ::recv(fd, sink, sizeof sink, 0)) > 0) {
    }
    const bool closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    EXPECT_TRUE(closed) << "the listener kept a garbage connection open for "
                        << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s";
    ::close(fd);
  }
  EXPECT_EQ(server.calls(), 0);
  auto result = call(server.address(), make_channel_credentials(identity_of(client_key), server_key.peer_id()));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.reply, client_key.peer_id().to_text());
}

TEST(Tls, PlaintextServerHasNoAuthenticatedPeer) {
  // What `--insecure` gives up: the service sees no PeerId.
  Node server(grpc::InsecureServerCredentials());
  auto result = call(server.address(), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.reply, "none");
}

}  // namespace
}  // namespace bb::net
