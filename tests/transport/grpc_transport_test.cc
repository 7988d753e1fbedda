// The transport invariants on the gRPC transport, in-process over 127.0.0.1: every
// node has its own server and channels, all share the test's thread as their node thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "bb/net/grpc_transport.h"
#include "bb/runtime/clock.h"
#include "transport_suite.h"

namespace bb::testing {
namespace {

// A TCP socket bound on 127.0.0.1 with a free port; listening or closed.
class Socket {
 public:
  explicit Socket(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (listen) {
      ::listen(fd_, 16);  // connections complete in the backlog and are never answered
    } else {
      ::close(fd_);  // nobody listens there now
      fd_ = -1;
    }
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Insecure: peers are `id:` names. TLS: every name has its own Ed25519 key and its
// PeerId is the key's; every connection proves both ends.
template <bool kTls>
class GrpcHarness {
 public:
  explicit GrpcHarness(const HarnessOptions& options) : options_(options), scheduler_(clock_) {
    scheduler_.set_open(true);
  }
  ~GrpcHarness() {
    for (auto& [name, t] : transports_) t->shutdown();
  }

  PeerId peer(const std::string& name) {
    if constexpr (!kTls) return PeerId::identity(name).value();
    return key(name).peer_id();
  }
  const net::HostKey& key(const std::string& name) {
    auto it = keys_.find(name);
    if (it == keys_.end()) it = keys_.emplace(name, net::HostKey::generate().value()).first;
    return it->second;
  }
  net::Security security(const std::string& name) {
    if constexpr (!kTls) return net::insecure_security();
    return net::tls_security(key(name)).value();
  }

  void add_node(const std::string& name, std::vector<std::string> channels) {
    auto& r = recorders_[name] = std::make_unique<Recorder>([this] { return now_ns(); });
    net::GrpcTransportConfig c;
    c.self = peer(name);
    c.listen = "127.0.0.1:0";
    c.limits.max_bytes = options_.max_envelope_bytes;
    c.send_timeout_ns = options_.send_timeout_ns;
    c.security = security(name);
    c.accepts = [channels](std::string_view ch) {
      return std::find(channels.begin(), channels.end(), ch) != channels.end();
    };
    auto t = net::GrpcTransport::start(std::move(c), scheduler_, *r);
    ASSERT_TRUE(t) << t.error();
    const net::PeerAddress mine{peer(name), "127.0.0.1:" + std::to_string((*t)->port())};
    for (auto& [other, transport] : transports_) {
      transport->add_peer(mine);
      (*t)->add_peer(addresses_.at(other));
    }
    for (const auto& [other, address] : addresses_)
      if (!transports_.contains(other)) (*t)->add_peer(address);
    addresses_.emplace(name, mine);
    transports_[name] = std::move(*t);
  }
  void add_silent(const std::string& name) { add_address(name, sockets_.emplace_back(std::make_unique<Socket>(true))->address()); }
  void add_absent(const std::string& name) { add_address(name, sockets_.emplace_back(std::make_unique<Socket>(false))->address()); }

  void send(const std::string& from, runtime::AttemptId attempt, const bb::Envelope& envelope) {
    transports_.at(from)->send(attempt, envelope);
  }
  bool run_until(const std::function<bool()>& done, std::int64_t budget_ns) {
    const std::int64_t until = now_ns() + budget_ns;
    while (!done()) {
      if (now_ns() >= until) return false;
      scheduler_.run_one(std::min(until, now_ns() + 10'000'000));
    }
    return true;
  }
  Recorder& node(const std::string& name) { return *recorders_.at(name); }
  std::int64_t now_ns() const { return clock_.now_ns(); }
  net::GrpcTransport& transport(const std::string& name) { return *transports_.at(name); }

 private:
  void add_address(const std::string& name, std::string address) {
    const net::PeerAddress a{peer(name), std::move(address)};
    for (auto& [other, transport] : transports_) transport->add_peer(a);
    addresses_.emplace(name, a);
  }

  HarnessOptions options_;
  runtime::RealClock clock_;
  runtime::Scheduler scheduler_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::map<std::string, net::HostKey> keys_;
  std::map<std::string, net::PeerAddress> addresses_;
  std::map<std::string, std::unique_ptr<Recorder>> recorders_;
  std::map<std::string, std::unique_ptr<net::GrpcTransport>> transports_;  // after the recorders: destroyed first
};

INSTANTIATE_TYPED_TEST_SUITE_P(GrpcInsecure, TransportInvariants, GrpcHarness<false>);
INSTANTIATE_TYPED_TEST_SUITE_P(GrpcTls, TransportInvariants, GrpcHarness<true>);

TEST(GrpcTransport, AttemptsInFlightAtShutdownEndAsTimeoutExactlyOnce) {
  GrpcHarness<false> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_silent("void");
  for (runtime::AttemptId a = 1; a <= 5; ++a)
    h.send("alice", a, make_envelope(h.peer("alice"), h.peer("void"), a, "ch", 60'000'000'000));
  h.run_until([] { return false; }, 50'000'000);
  EXPECT_EQ(h.transport("alice").in_flight(), 5u);
  h.transport("alice").shutdown();
  h.run_until([] { return false; }, 20'000'000);
  ASSERT_EQ(h.node("alice").outcomes.size(), 5u);
  for (runtime::AttemptId a = 1; a <= 5; ++a) {
    EXPECT_EQ(h.node("alice").count(a), 1u);
    EXPECT_EQ(h.node("alice").find(a)->kind, runtime::OutcomeKind::kTimeout);
    EXPECT_EQ(h.node("alice").find(a)->reason, "stopped");
  }
  h.send("alice", 6, make_envelope(h.peer("alice"), h.peer("void"), 6, "ch"));
  EXPECT_EQ(h.node("alice").find(6)->kind, runtime::OutcomeKind::kUnreachable);
}

TEST(GrpcTransport, AReceiverThatStopsMidStreamAcknowledgesEveryEnvelopeItTook) {
  // bob stops accepting while alice's envelopes stream in: what bob's node took is
  // `delivered` at alice (its acknowledgement was owed and is sent before the stream
  // ends), and only that; the rest ends `unreachable`, each attempt exactly once.
  GrpcHarness<false> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  constexpr runtime::AttemptId kCount = 1000;
  // Twenty at a time, with the nodes' thread running in between; bob stops once its node
  // took 200, while frames and acknowledgements are on their way.
  bool stopped = false;
  for (runtime::AttemptId a = 1; a <= kCount; ++a) {
    h.send("alice", a, make_envelope(h.peer("alice"), h.peer("bob"), a, "ch", 30'000'000'000));
    if (a % 20 != 0) continue;
    h.run_until([] { return false; }, 200'000);
    if (!stopped && h.node("bob").received.size() >= 200) {
      h.transport("bob").stop_accepting();
      stopped = true;
    }
  }
  if (!stopped) h.transport("bob").stop_accepting();
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() >= kCount; }, 10'000'000'000));
  std::set<std::uint64_t> took;
  for (const bb::Envelope& e : h.node("bob").received) took.insert(e.message_id());
  std::set<std::uint64_t> delivered;
  for (runtime::AttemptId a = 1; a <= kCount; ++a) {
    ASSERT_EQ(h.node("alice").count(a), 1u) << "attempt " << a;
    const HeardOutcome& o = *h.node("alice").find(a);
    if (o.kind == runtime::OutcomeKind::kDelivered)
      delivered.insert(a);
    else
      EXPECT_EQ(o.kind, runtime::OutcomeKind::kUnreachable) << "attempt " << a << ": " << o.reason;
  }
  EXPECT_EQ(delivered, took);
  EXPECT_LT(took.size(), kCount);  // bob stopped mid-stream
}

TEST(GrpcTransport, ARestartedReceiverIsReachedByTheFirstSendAfterIt) {
  // bob goes away: alice's sends are unreachable; bob is back on the same port: the very
  // next send is delivered (gRPC's reconnect backoff does not hold it).
  GrpcHarness<true> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("bob"), 1, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() == 1; }, 5'000'000'000));
  EXPECT_EQ(h.node("alice").find(1)->kind, runtime::OutcomeKind::kDelivered);
  const int port = h.transport("bob").port();
  h.transport("bob").shutdown();
  for (runtime::AttemptId a = 2; a <= 4; ++a) {
    h.send("alice", a, make_envelope(h.peer("alice"), h.peer("bob"), a, "ch"));
    ASSERT_TRUE(h.run_until([&] { return h.node("alice").count(a) == 1; }, 5'000'000'000));
    EXPECT_EQ(h.node("alice").find(a)->kind, runtime::OutcomeKind::kUnreachable) << "attempt " << a;
  }
  // A new incarnation of bob on the same port.
  Recorder bob2([&] { return h.now_ns(); });
  net::GrpcTransportConfig c;
  c.self = h.peer("bob");
  c.listen = "127.0.0.1:" + std::to_string(port);
  c.security = h.security("bob");
  runtime::RealClock clock;
  runtime::Scheduler other(clock);
  auto again = net::GrpcTransport::start(std::move(c), other, bob2);
  ASSERT_TRUE(again) << again.error();
  h.send("alice", 5, make_envelope(h.peer("alice"), h.peer("bob"), 5, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").count(5) == 1; }, 5'000'000'000));
  EXPECT_EQ(h.node("alice").find(5)->kind, runtime::OutcomeKind::kDelivered);
  (*again)->shutdown();
}

TEST(GrpcTransport, AnEnvelopeWhoseSrcPeerIsNotTheAuthenticatedSenderIsRejected) {
  GrpcHarness<true> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  h.send("alice", 1, make_envelope(h.peer("carol"), h.peer("bob"), 1, "ch"));  // alice claims to be carol
  h.send("alice", 2, make_envelope(h.peer("alice"), h.peer("bob"), 2, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() == 2; }, 5'000'000'000));
  EXPECT_EQ(h.node("alice").find(1)->kind, runtime::OutcomeKind::kRejected);
  EXPECT_EQ(h.node("alice").find(1)->reason, "unauthenticated");
  EXPECT_EQ(h.node("alice").find(2)->kind, runtime::OutcomeKind::kDelivered);
  ASSERT_EQ(h.node("bob").received.size(), 1u);
  EXPECT_EQ(h.node("bob").received[0].message_id(), 2u);
  EXPECT_EQ(h.transport("bob").refusals().nonzero(),
            (std::vector<std::pair<std::string, std::uint64_t>>{{"unauthenticated", 1}}));
}

TEST(GrpcTransport, AnImpostorWithTheWrongKeyIsRefusedAtTheHandshake) {
  // "bob"'s address is served by mallory's key: alice's dial must fail, and nothing she
  // sends reaches the impostor's node.
  GrpcHarness<true> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  Recorder impostor([&] { return h.now_ns(); });
  net::GrpcTransportConfig c;
  c.self = h.peer("bob");
  c.listen = "127.0.0.1:0";
  c.security = h.security("mallory");
  runtime::RealClock clock;
  runtime::Scheduler other(clock);
  auto mallory = net::GrpcTransport::start(std::move(c), other, impostor);
  ASSERT_TRUE(mallory) << mallory.error();
  h.transport("alice").add_peer({h.peer("bob"), "127.0.0.1:" + std::to_string((*mallory)->port())});
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("bob"), 1, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() == 1; }, 5'000'000'000));
  EXPECT_EQ(h.node("alice").find(1)->kind, runtime::OutcomeKind::kUnreachable);
  EXPECT_NE(h.node("alice").find(1)->detail.find("certificate proves another PeerId"), std::string::npos)
      << h.node("alice").find(1)->detail;
  other.run(other.now_ns() + 1);
  EXPECT_TRUE(impostor.received.empty());
  (*mallory)->shutdown();
}

TEST(GrpcTransport, APlaintextClientAgainstATlsListenerIsRefusedAndItGoesOnServing) {
  GrpcHarness<true> h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  Recorder eve([&] { return h.now_ns(); });
  net::GrpcTransportConfig c;
  c.self = h.peer("eve");
  c.listen = "127.0.0.1:0";
  c.security = net::insecure_security();
  runtime::RealClock clock;
  runtime::Scheduler other(clock);
  auto plaintext = net::GrpcTransport::start(std::move(c), other, eve);
  ASSERT_TRUE(plaintext) << plaintext.error();
  (*plaintext)->add_peer({h.peer("bob"), "127.0.0.1:" + std::to_string(h.transport("bob").port())});
  (*plaintext)->send(1, make_envelope(h.peer("eve"), h.peer("bob"), 1, "ch"));
  const std::int64_t until = clock.now_ns() + 5'000'000'000;
  while (eve.outcomes.empty() && clock.now_ns() < until) other.run_one(clock.now_ns() + 10'000'000);
  ASSERT_EQ(eve.outcomes.size(), 1u);
  EXPECT_EQ(eve.outcomes[0].kind, runtime::OutcomeKind::kUnreachable);
  (*plaintext)->shutdown();
  h.send("alice", 2, make_envelope(h.peer("alice"), h.peer("bob"), 2, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() == 1; }, 5'000'000'000));
  EXPECT_EQ(h.node("alice").find(2)->kind, runtime::OutcomeKind::kDelivered);
  ASSERT_EQ(h.node("bob").received.size(), 1u);
}

TEST(GrpcTransport, SendsBeyondTheBoundInFlightPerDestinationEndAtOnceWithTheirReason) {
  // "void" accepts connections and never answers: alice's attempts to it stay in flight.
  GrpcHarness<false> h(HarnessOptions{});
  h.add_node("bob", {"ch"});
  Socket silent(true);
  const PeerId alice = h.peer("alice"), nobody = h.peer("void"), bob = h.peer("bob");
  Recorder heard([&] { return h.now_ns(); });
  net::GrpcTransportConfig c;
  c.self = alice;
  c.listen = "127.0.0.1:0";
  c.security = net::insecure_security();
  c.max_in_flight = 3;
  c.peers = {{nobody, silent.address()}, {bob, "127.0.0.1:" + std::to_string(h.transport("bob").port())}};
  runtime::RealClock clock;
  runtime::Scheduler scheduler(clock);
  scheduler.set_open(true);
  auto t = net::GrpcTransport::start(std::move(c), scheduler, heard);
  ASSERT_TRUE(t) << t.error();
  for (runtime::AttemptId a = 1; a <= 3; ++a) (*t)->send(a, make_envelope(alice, nobody, a, "ch", 300'000'000));
  EXPECT_TRUE(heard.outcomes.empty());
  // The fourth and fifth end at once, on the caller's thread, before anything runs.
  (*t)->send(4, make_envelope(alice, nobody, 4, "ch", 300'000'000));
  (*t)->send(5, make_envelope(alice, nobody, 5, "ch", 300'000'000));
  ASSERT_EQ(heard.outcomes.size(), 2u);
  for (runtime::AttemptId a : {4, 5}) {
    ASSERT_NE(heard.find(a), nullptr) << a;
    EXPECT_EQ(heard.find(a)->kind, runtime::OutcomeKind::kUnreachable);
    EXPECT_EQ(heard.find(a)->reason, "too_many_in_flight");
    EXPECT_NE(heard.find(a)->detail.find("3 sends to id:void in flight"), std::string::npos) << heard.find(a)->detail;
  }
  EXPECT_EQ((*t)->in_flight(), 3u);
  // The bound is per destination: bob is not held back by void's.
  (*t)->send(6, make_envelope(alice, bob, 6, "ch"));
  auto run_until = [&](const std::function<bool()>& done, std::int64_t budget_ns = 5'000'000'000) {
    const std::int64_t until = clock.now_ns() + budget_ns;
    while (!done() && clock.now_ns() < until) scheduler.run_one(clock.now_ns() + 10'000'000);
    return done();
  };
  ASSERT_TRUE(run_until([&] { return heard.count(6) == 1; }));
  EXPECT_EQ(heard.find(6)->kind, runtime::OutcomeKind::kDelivered);
  // Once the three end (at their deadline), void takes sends again.
  ASSERT_TRUE(run_until([&] { return heard.count(1) + heard.count(2) + heard.count(3) == 3; }));
  EXPECT_EQ(heard.find(1)->kind, runtime::OutcomeKind::kTimeout);
  (*t)->send(7, make_envelope(alice, nobody, 7, "ch", 60'000'000'000));
  EXPECT_EQ(heard.count(7), 0u);
  EXPECT_EQ((*t)->in_flight(), 1u);
  // Every attempt has one outcome, and the link counts them by reason.
  (*t)->shutdown();
  run_until([] { return false; }, 50'000'000);
  for (runtime::AttemptId a = 1; a <= 7; ++a) EXPECT_EQ(heard.count(a), 1u) << a;
  const auto links = (*t)->links();
  const auto to_void = std::find_if(links.begin(), links.end(), [](const auto& l) { return l.peer == "id:void"; });
  ASSERT_NE(to_void, links.end());
  const auto& unreachable = to_void->reasons[static_cast<std::size_t>(runtime::OutcomeKind::kUnreachable)];
  EXPECT_EQ(unreachable, (std::vector<std::pair<std::string, std::uint64_t>>{{"too_many_in_flight", 2}}));
  EXPECT_EQ(to_void->outcomes[static_cast<std::size_t>(runtime::OutcomeKind::kTimeout)], 4u);
}

}  // namespace
}  // namespace bb::testing
