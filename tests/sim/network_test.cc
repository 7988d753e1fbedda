// The simulated network against fake endpoints: docs/simulation.md timing of every outcome,
// loss and duplication, partitions, crash/restart, exactly one outcome per attempt
// across many seeds and fault schedules, and determinism per seed.
#include "bb/sim/network.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "bb/ir/sha256.h"

namespace bb::sim {
namespace {

using runtime::AttemptId;
using runtime::EventClass;
using runtime::OutcomeKind;

constexpr std::int64_t kMs = kMillisecond;

PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

struct Heard {
  std::int64_t t;
  AttemptId attempt;
  OutcomeKind kind;
  std::string reason;
  std::string detail;
};
struct Got {
  std::int64_t t;
  bb::Envelope envelope;
};

// A TransportEndpoint that records what the network tells it.
class FakeEndpoint final : public runtime::TransportEndpoint {
 public:
  explicit FakeEndpoint(const runtime::Clock& clock) : clock_(clock) {}
  void on_outcome(AttemptId attempt, const runtime::Outcome& outcome) override {
    outcomes.push_back({clock_.now_ns(), attempt, outcome.kind, std::string(outcome.reason), std::string(outcome.detail)});
  }
  void on_envelope(const bb::Envelope& envelope, runtime::SenderAuth) override { received.push_back({clock_.now_ns(), envelope}); }

  std::vector<Heard> outcomes;
  std::vector<Got> received;

 private:
  const runtime::Clock& clock_;
};

bb::Envelope envelope(std::string_view from, std::string_view to, std::uint64_t id, std::int64_t deadline_ns = 0,
                      std::string channel = "") {
  bb::Envelope e;
  e.set_schema_version(ir::kEnvelopeSchemaVersion);
  e.set_src_peer(peer(from).bytes());
  e.set_dst_peer(peer(to).bytes());
  e.set_incarnation(1);
  e.set_message_id(id);
  e.set_channel(std::move(channel));
  e.set_deadline_ns(deadline_ns);
  e.add_payload()->set_int64_value(static_cast<std::int64_t>(id));
  return e;
}

// Two or more attached fake nodes on one network.
struct Fixture {
  explicit Fixture(NetworkConfig config, std::vector<std::string> names = {"alice", "bob", "carol"})
      : net(std::move(config)) {
    for (const auto& name : names) {
      endpoints[name] = std::make_unique<FakeEndpoint>(net.clock());
      transports[name] = &net.attach(peer(name), *endpoints[name]);
    }
  }
  // Sends at absolute time t (a timer event, as a node's Interval would).
  void send_at(std::int64_t t, std::string from, AttemptId attempt, bb::Envelope e) {
    net.scheduler().at(t, EventClass::kTimer, [this, from, attempt, e] { transports[from]->send(attempt, e); });
  }
  FakeEndpoint& ep(const std::string& name) { return *endpoints[name]; }

  SimNetwork net;
  std::map<std::string, std::unique_ptr<FakeEndpoint>> endpoints;
  std::map<std::string, runtime::Transport*> transports;
};

NetworkConfig fixed(std::int64_t latency_ns) {
  NetworkConfig config;
  config.latency = Latency::fixed(latency_ns);
  return config;
}

TEST(SimNetwork, DeliveredArrivesAfterOneLatencyAndIsConfirmedAfterTwo) {
  Fixture f(fixed(5 * kMs));
  f.send_at(3 * kMs, "alice", 1, envelope("alice", "bob", 7));
  f.net.run();
  ASSERT_EQ(f.ep("bob").received.size(), 1u);
  EXPECT_EQ(f.ep("bob").received[0].t, 8 * kMs);
  EXPECT_EQ(f.ep("bob").received[0].envelope.message_id(), 7u);
  ASSERT_EQ(f.ep("alice").outcomes.size(), 1u);
  EXPECT_EQ(f.ep("alice").outcomes[0].t, 13 * kMs);
  EXPECT_EQ(f.ep("alice").outcomes[0].attempt, 1u);
  EXPECT_EQ(f.ep("alice").outcomes[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(f.net.totals().sent, 1u);
  EXPECT_EQ(f.net.totals().delivered, 1u);
  EXPECT_EQ(f.net.totals().lost, 0u);
}

TEST(SimNetwork, UnreachableFromCrashedUnknownOrDetachedDestination) {
  Fixture f(fixed(5 * kMs));
  f.net.add_fault({.at_ns = 0, .kind = FaultKind::kCrash, .peers = {peer("bob")}, .for_ns = std::nullopt});
  f.net.add_node(peer("zed"));  // known, never attached
  f.send_at(1 * kMs, "alice", 1, envelope("alice", "bob", 1));
  f.send_at(1 * kMs, "alice", 2, envelope("alice", "nobody", 2));
  f.send_at(1 * kMs, "alice", 3, envelope("alice", "zed", 3));
  f.net.run();
  ASSERT_EQ(f.ep("alice").outcomes.size(), 3u);
  for (const Heard& h : f.ep("alice").outcomes) {
    EXPECT_EQ(h.kind, OutcomeKind::kUnreachable) << "attempt " << h.attempt;
    EXPECT_EQ(h.t, 11 * kMs) << "attempt " << h.attempt;
  }
  EXPECT_TRUE(f.ep("bob").received.empty());
  EXPECT_EQ(f.net.totals().unreachable, 3u);
}

// A sender's memo of recent destinations (more peers than its ways, short names and
// 34-byte digests alike, and unknown peers between them): every envelope reaches the
// peer it names, and only that one.
TEST(SimNetwork, EveryEnvelopeReachesTheDestinationItNames) {
  std::vector<std::string> names{"alice"};
  for (int i = 0; i < 80; ++i) names.push_back("n" + std::to_string(i));
  for (int i = 0; i < 40; ++i) names.push_back(std::string(34, static_cast<char>('a' + i % 26)) + std::to_string(i));
  Fixture f(fixed(1 * kMs), names);
  AttemptId attempt = 0;
  std::map<std::string, std::set<std::uint64_t>> sent_to;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t k = 1; k < names.size(); ++k) {
      const std::string& to = names[(k * 7 + static_cast<std::size_t>(round)) % (names.size() - 1) + 1];
      ++attempt;
      f.send_at(1 * kMs, "alice", attempt, envelope("alice", to, attempt));
      sent_to[to].insert(attempt);
      if (k % 10 == 0) {
        ++attempt;
        f.send_at(1 * kMs, "alice", attempt, envelope("alice", "nobody" + std::to_string(k), attempt));
      }
    }
  }
  f.net.run();
  std::uint64_t delivered = 0;
  for (std::size_t k = 1; k < names.size(); ++k) {
    std::set<std::uint64_t> got;
    for (const Got& g : f.ep(names[k]).received) {
      EXPECT_EQ(g.envelope.dst_peer(), peer(names[k]).bytes());
      got.insert(g.envelope.message_id());
    }
    EXPECT_EQ(got, sent_to[names[k]]) << names[k];
    delivered += got.size();
  }
  EXPECT_EQ(f.net.totals().delivered, delivered);
  EXPECT_EQ(f.net.totals().unreachable, f.net.totals().sent - delivered);
  EXPECT_GT(f.net.totals().unreachable, 0u);
}

// Past network.max_in_flight attempts a send is rejected at once, and the detail names
// the setting a deployment raises.
TEST(SimNetwork, AnAttemptPastTheInFlightLimitIsRejectedAtOnceNamingTheSetting) {
  NetworkConfig config = fixed(5 * kMs);
  config.max_in_flight = 2;
  Fixture f(std::move(config));
  for (AttemptId a = 1; a <= 3; ++a) f.send_at(1 * kMs, "alice", a, envelope("alice", "bob", a));
  f.net.run();
  ASSERT_EQ(f.ep("alice").outcomes.size(), 3u);
  const Heard& refused = f.ep("alice").outcomes[0];
  EXPECT_EQ(refused.attempt, 3u);
  EXPECT_EQ(refused.t, 1 * kMs);
  EXPECT_EQ(refused.kind, OutcomeKind::kRejected);
  EXPECT_EQ(refused.reason, "in_flight_limit");
  EXPECT_NE(refused.detail.find("network.max_in_flight"), std::string::npos) << refused.detail;
  EXPECT_EQ(f.ep("bob").received.size(), 2u);
}

TEST(SimNetwork, RejectedWhenTheDestinationHasNoRecvOnTheChannel) {
  NetworkConfig config = fixed(5 * kMs);
  SimNetwork net(config);
  FakeEndpoint alice(net.clock()), bob(net.clock());
  auto& tx = net.attach(peer("alice"), alice);
  net.attach(peer("bob"), bob, [](std::string_view channel) { return channel == "grads"; });
  net.scheduler().at(0, EventClass::kTimer, [&] {
    tx.send(1, envelope("alice", "bob", 1, 0, "grads"));
    tx.send(2, envelope("alice", "bob", 2, 0, "other"));
  });
  net.run();
  ASSERT_EQ(bob.received.size(), 1u);
  EXPECT_EQ(bob.received[0].envelope.channel(), "grads");
  ASSERT_EQ(alice.outcomes.size(), 2u);
  EXPECT_EQ(alice.outcomes[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(alice.outcomes[1].kind, OutcomeKind::kRejected);
  EXPECT_EQ(alice.outcomes[1].t, 10 * kMs);
  EXPECT_EQ(net.totals().rejected, 1u);
  EXPECT_EQ(net.rejections(peer("bob")).total(), 0u) << "a missing Recv is not a limits violation";
}

TEST(SimNetwork, EnvelopesOverTheLimitsAreCountedAndNeverDelivered) {
  NetworkConfig config = fixed(5 * kMs);
  config.limits.max_payloads = 1;
  Fixture f(config);
  bb::Envelope two = envelope("alice", "bob", 1);
  two.add_payload()->set_int64_value(2);
  f.send_at(0, "alice", 1, two);
  bb::Envelope bad_src = envelope("alice", "bob", 2);
  bad_src.set_src_peer("garbage");
  f.send_at(0, "alice", 2, bad_src);
  f.net.run();
  EXPECT_TRUE(f.ep("bob").received.empty());
  ASSERT_EQ(f.ep("alice").outcomes.size(), 2u);
  EXPECT_EQ(f.ep("alice").outcomes[0].kind, OutcomeKind::kRejected);
  EXPECT_EQ(f.ep("alice").outcomes[1].kind, OutcomeKind::kRejected);
  const auto& counts = f.net.rejections(peer("bob"));
  EXPECT_EQ(counts.count(ir::EnvelopeReason::kTooManyPayloads), 1u);
  EXPECT_EQ(counts.count(ir::EnvelopeReason::kBadSrcPeer), 1u);
  EXPECT_EQ(counts.total(), 2u);
}

TEST(SimNetwork, DeliversTheEnvelopeAsSentWithOrWithoutTheCodec) {
  // ASCII text goes around the codec, other UTF-8 through it, invalid UTF-8 is refused
  // by it; the sender's later changes to its envelope never reach the receiver.
  Fixture f(fixed(5 * kMs));
  bb::Envelope plain = envelope("alice", "bob", 1, 0, "grads");
  bb::Envelope accented = envelope("alice", "bob", 2, 0, "gr\xc3\xa2" "ds");
  accented.add_payload()->set_string_value("\xc3\xa9t\xc3\xa9");
  bb::Envelope invalid = envelope("alice", "bob", 3);
  invalid.add_payload()->set_string_value("\xff");
  f.net.scheduler().at(0, EventClass::kTimer, [&] {
    f.transports["alice"]->send(1, plain);
    plain.set_channel("changed after the send");
    f.transports["alice"]->send(2, accented);
    f.transports["alice"]->send(3, invalid);
  });
  f.net.run();
  ASSERT_EQ(f.ep("bob").received.size(), 2u);
  EXPECT_EQ(f.ep("bob").received[0].envelope.SerializeAsString(), envelope("alice", "bob", 1, 0, "grads").SerializeAsString());
  EXPECT_EQ(f.ep("bob").received[1].envelope.SerializeAsString(), accented.SerializeAsString());
  ASSERT_EQ(f.ep("alice").outcomes.size(), 3u);
  EXPECT_EQ(f.ep("alice").outcomes[2].kind, OutcomeKind::kRejected);
  EXPECT_EQ(f.net.rejections(peer("bob")).count(ir::EnvelopeReason::kMalformed), 1u);
}

TEST(SimNetwork, EveryCopyArrivesAsSentWhicheverPeersAndChannelItNames) {
  // An envelope that names its sender travels without its peers and channel and is made
  // whole at arrival; one that claims another sender travels whole. Both, and every
  // duplicate, arrive as sent, also from pooled copies the other kind used before, and
  // on more channels than the network keeps a table of.
  NetworkConfig config = fixed(5 * kMs);
  config.duplicate = 1.0;
  Fixture f(config);
  std::vector<bb::Envelope> sent;
  auto with_payloads = [](bb::Envelope e) {
    e.add_payload()->set_string_value("text");
    e.add_payload()->set_peer(peer("carol").bytes());
    e.add_payload()->set_timestamp_ns(42);
    return e;
  };
  sent.push_back(with_payloads(envelope("alice", "bob", 1, 0, "grads")));
  bb::Envelope claimed = with_payloads(envelope("alice", "bob", 2, 0, "grads"));
  claimed.set_src_peer(peer("carol").bytes());
  sent.push_back(claimed);
  for (int i = 0; i < 1100; ++i) sent.push_back(envelope("alice", "bob", 3 + i, 0, "c" + std::to_string(i)));
  claimed.set_message_id(2000);  // at 20 ms, in copies the first wave's envelopes held
  sent.push_back(claimed);
  sent.push_back(with_payloads(envelope("alice", "bob", 2001, 0, "grads")));
  for (std::size_t i = 0; i < sent.size(); ++i) f.send_at(i + 2 < sent.size() ? 0 : 20 * kMs, "alice", i + 1, sent[i]);
  f.net.run();
  const auto& got = f.ep("bob").received;
  ASSERT_EQ(got.size(), 2 * sent.size());
  std::multiset<std::string> expected, arrived;
  for (const auto& e : sent) {
    expected.insert(e.SerializeAsString());  // the original
    expected.insert(e.SerializeAsString());  // and its duplicate
  }
  for (const auto& g : got) arrived.insert(g.envelope.SerializeAsString());
  EXPECT_TRUE(expected == arrived);
  EXPECT_EQ(got.back().envelope.SerializeAsString(), sent.back().SerializeAsString());
  EXPECT_EQ(f.net.totals().delivered, sent.size());
}

TEST(SimNetwork, LostEnvelopeTimesOutAtTheDeadline) {
  NetworkConfig config = fixed(5 * kMs);
  config.loss = 1.0;
  Fixture f(config);
  f.send_at(2 * kMs, "alice", 1, envelope("alice", "bob", 1));             // send timeout: 1 s
  f.send_at(2 * kMs, "alice", 2, envelope("alice", "bob", 2, 50 * kMs));  // its own deadline
  f.net.run();
  EXPECT_TRUE(f.ep("bob").received.empty());
  ASSERT_EQ(f.ep("alice").outcomes.size(), 2u);
  EXPECT_EQ(f.ep("alice").outcomes[0].attempt, 2u);
  EXPECT_EQ(f.ep("alice").outcomes[0].t, 52 * kMs);
  EXPECT_EQ(f.ep("alice").outcomes[0].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(f.ep("alice").outcomes[1].t, 2 * kMs + kSecond);
  EXPECT_EQ(f.ep("alice").outcomes[1].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(f.net.totals().lost, 2u);
}

TEST(SimNetwork, SendTimeoutSettingAppliesWithoutDeadline) {
  NetworkConfig config = fixed(5 * kMs);
  config.loss = 1.0;
  config.send_timeout_ns = 300 * kMs;
  Fixture f(config);
  f.send_at(0, "alice", 1, envelope("alice", "bob", 1));
  f.net.run();
  ASSERT_EQ(f.ep("alice").outcomes.size(), 1u);
  EXPECT_EQ(f.ep("alice").outcomes[0].t, 300 * kMs);
}

TEST(SimNetwork, OutcomeLaterThanTheDeadlineIsATimeout) {
  Fixture f(fixed(30 * kMs));
  f.send_at(0, "alice", 1, envelope("alice", "bob", 1, 50 * kMs));  // outcome at 60 > 50
  f.send_at(0, "alice", 2, envelope("alice", "bob", 2, 60 * kMs));  // outcome at 60 = deadline: in time
  f.send_at(0, "alice", 3, envelope("alice", "bob", 3, 20 * kMs));  // times out before it even arrives
  f.net.run();
  ASSERT_EQ(f.ep("alice").outcomes.size(), 3u);
  std::map<AttemptId, Heard> by_attempt;
  for (const Heard& h : f.ep("alice").outcomes) by_attempt[h.attempt] = h;
  EXPECT_EQ(by_attempt[1].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(by_attempt[1].t, 50 * kMs);
  EXPECT_EQ(by_attempt[2].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(by_attempt[2].t, 60 * kMs);
  EXPECT_EQ(by_attempt[3].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(by_attempt[3].t, 20 * kMs);
  // The envelopes still arrived: a timeout says nothing about the destination.
  EXPECT_EQ(f.ep("bob").received.size(), 3u);
}

TEST(SimNetwork, UniformLatencyIsDrawnPerTrip) {
  NetworkConfig config;
  config.latency = Latency::uniform(1 * kMs, 9 * kMs);
  Fixture f(config);
  for (AttemptId a = 1; a <= 200; ++a) f.send_at(0, "alice", a, envelope("alice", "bob", a));
  f.net.run();
  ASSERT_EQ(f.ep("bob").received.size(), 200u);
  std::set<std::int64_t> arrivals;
  for (const Got& g : f.ep("bob").received) {
    EXPECT_GE(g.t, 1 * kMs);
    EXPECT_LE(g.t, 9 * kMs);
    arrivals.insert(g.t);
  }
  EXPECT_GT(arrivals.size(), 50u) << "latencies vary";
  ASSERT_EQ(f.ep("alice").outcomes.size(), 200u);
  std::map<AttemptId, std::int64_t> arrival_of;
  for (const Got& g : f.ep("bob").received) arrival_of[g.envelope.message_id()] = g.t;
  bool some_asymmetric = false;
  for (const Heard& h : f.ep("alice").outcomes) {
    const std::int64_t back = h.t - arrival_of[h.attempt];
    EXPECT_GE(back, 1 * kMs);
    EXPECT_LE(back, 9 * kMs);
    some_asymmetric = some_asymmetric || back != arrival_of[h.attempt];
  }
  EXPECT_TRUE(some_asymmetric) << "the way back draws its own latency";
}

TEST(SimNetwork, DuplicateArrivesOneLatencyLaterWithoutAnOutcome) {
  NetworkConfig config = fixed(5 * kMs);
  config.duplicate = 1.0;
  Fixture f(config);
  f.send_at(0, "alice", 1, envelope("alice", "bob", 1));
  f.net.run();
  ASSERT_EQ(f.ep("bob").received.size(), 2u);
  EXPECT_EQ(f.ep("bob").received[0].t, 5 * kMs);
  EXPECT_EQ(f.ep("bob").received[1].t, 10 * kMs);
  EXPECT_EQ(f.ep("bob").received[1].envelope.message_id(), 1u);
  ASSERT_EQ(f.ep("alice").outcomes.size(), 1u);
  EXPECT_EQ(f.net.totals().duplicated, 1u);
  EXPECT_EQ(f.net.totals().delivered, 1u);
  EXPECT_EQ(f.net.totals().duplicates_delivered, 1u);
}

NetworkTotals blast(std::uint64_t seed, double loss, double duplicate, int count) {
  NetworkConfig config;
  config.seed = seed;
  config.latency = Latency::uniform(1 * kMs, 3 * kMs);
  config.loss = loss;
  config.duplicate = duplicate;
  Fixture f(config, {"a", "b"});
  for (int i = 0; i < count; ++i) {
    f.send_at(i * kMs, "a", static_cast<AttemptId>(i + 1), envelope("a", "b", static_cast<std::uint64_t>(i + 1)));
  }
  f.net.run();
  EXPECT_EQ(f.ep("a").outcomes.size(), static_cast<std::size_t>(count));
  return f.net.totals();
}

TEST(SimNetwork, LossAndDuplicationAreStatisticallyPlausibleAndDeterministic) {
  constexpr int kCount = 10000;
  const NetworkTotals t = blast(7, 0.3, 0.2, kCount);
  // 30 % of 10000: σ ≈ 46, so ±300 is over 6σ.
  EXPECT_GT(t.lost, 2700u);
  EXPECT_LT(t.lost, 3300u);
  // Duplication applies to the ~7000 that were not lost: 20 % ≈ 1400, σ ≈ 33.
  EXPECT_GT(t.duplicated, 1200u);
  EXPECT_LT(t.duplicated, 1600u);
  EXPECT_EQ(t.delivered + t.lost, static_cast<std::uint64_t>(kCount));
  const NetworkTotals again = blast(7, 0.3, 0.2, kCount);
  EXPECT_EQ(again.lost, t.lost);
  EXPECT_EQ(again.duplicated, t.duplicated);
  const NetworkTotals other = blast(8, 0.3, 0.2, kCount);
  EXPECT_TRUE(other.lost != t.lost || other.duplicated != t.duplicated) << "the seed matters";
}

TEST(SimNetwork, PartitionCutsBothWaysUntilItHeals) {
  Fixture f(fixed(5 * kMs));
  f.net.add_fault({.at_ns = 0, .kind = FaultKind::kPartition, .peers = {peer("bob")}, .for_ns = 100 * kMs});
  f.send_at(10 * kMs, "alice", 1, envelope("alice", "bob", 1, 50 * kMs));
  f.send_at(10 * kMs, "bob", 1, envelope("bob", "alice", 1, 50 * kMs));
  f.send_at(10 * kMs, "alice", 2, envelope("alice", "carol", 2, 50 * kMs));
  f.send_at(95 * kMs, "alice", 3, envelope("alice", "bob", 3, 50 * kMs));  // sent while cut off
  f.send_at(100 * kMs, "alice", 4, envelope("alice", "bob", 4, 50 * kMs));  // healed at 100: the heal runs first
  f.send_at(200 * kMs, "bob", 2, envelope("bob", "alice", 2, 50 * kMs));
  f.net.run();
  std::map<AttemptId, Heard> alice, bob;
  for (const Heard& h : f.ep("alice").outcomes) alice[h.attempt] = h;
  for (const Heard& h : f.ep("bob").outcomes) bob[h.attempt] = h;
  EXPECT_EQ(alice[1].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(alice[1].t, 60 * kMs);
  EXPECT_EQ(bob[1].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(alice[2].kind, OutcomeKind::kDelivered) << "peers outside the partition still talk";
  EXPECT_EQ(alice[3].kind, OutcomeKind::kTimeout) << "cut at the sending end, though it would arrive after the heal";
  EXPECT_EQ(alice[4].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(alice[4].t, 110 * kMs);
  EXPECT_EQ(bob[2].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(f.net.totals().partitioned, 3u);
  EXPECT_EQ(f.net.totals().lost, 3u);
}

TEST(SimNetwork, PartitionStartingInFlightDropsTheEnvelope) {
  Fixture f(fixed(5 * kMs));
  f.net.add_fault({.at_ns = 50 * kMs, .kind = FaultKind::kPartition, .peers = {peer("alice")}, .for_ns = std::nullopt});
  f.send_at(48 * kMs, "alice", 1, envelope("alice", "bob", 1, 100 * kMs));
  f.net.run();
  EXPECT_TRUE(f.ep("bob").received.empty());
  ASSERT_EQ(f.ep("alice").outcomes.size(), 1u);
  EXPECT_EQ(f.ep("alice").outcomes[0].kind, OutcomeKind::kTimeout);
  EXPECT_EQ(f.ep("alice").outcomes[0].t, 148 * kMs);
  EXPECT_TRUE(f.net.partitioned(peer("alice"), peer("bob")));
  EXPECT_FALSE(f.net.partitioned(peer("bob"), peer("carol")));
}

TEST(SimNetwork, CrashAndRestartAreJudgedAtArrival) {
  Fixture f(fixed(5 * kMs));
  std::vector<std::string> calls;
  std::unique_ptr<FakeEndpoint> reborn;
  f.net.set_hooks({
      .on_crash = [&](const PeerId& p) { calls.push_back("crash " + p.to_text()); },
      .on_restart =
          [&](const PeerId& p, std::uint64_t incarnation) {
            calls.push_back("restart " + p.to_text() + " #" + std::to_string(incarnation));
            reborn = std::make_unique<FakeEndpoint>(f.net.clock());
            f.net.attach(p, *reborn);
          },
  });
  f.net.add_fault({.at_ns = 100 * kMs, .kind = FaultKind::kCrash, .peers = {peer("bob")}, .for_ns = 50 * kMs});
  f.send_at(94 * kMs, "alice", 1, envelope("alice", "bob", 1));   // arrives 99: delivered
  f.send_at(97 * kMs, "alice", 2, envelope("alice", "bob", 2));   // arrives 102: bob is down
  f.send_at(146 * kMs, "alice", 3, envelope("alice", "bob", 3));  // arrives 151: bob is back
  f.send_at(95 * kMs, "bob", 1, envelope("bob", "alice", 1));     // bob crashes before the outcome
  f.net.run();

  EXPECT_EQ(calls, (std::vector<std::string>{"crash id:bob", "restart id:bob #2"}));
  EXPECT_EQ(f.net.incarnation(peer("bob")), 2u);
  std::map<AttemptId, Heard> alice;
  for (const Heard& h : f.ep("alice").outcomes) alice[h.attempt] = h;
  EXPECT_EQ(alice[1].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(alice[2].kind, OutcomeKind::kUnreachable);
  EXPECT_EQ(alice[2].t, 107 * kMs);
  EXPECT_EQ(alice[3].kind, OutcomeKind::kDelivered);
  ASSERT_EQ(f.ep("bob").received.size(), 1u) << "the old instance saw only what came before the crash";
  ASSERT_TRUE(reborn);
  ASSERT_EQ(reborn->received.size(), 1u);
  EXPECT_EQ(reborn->received[0].envelope.message_id(), 3u);
  EXPECT_TRUE(f.ep("bob").outcomes.empty()) << "bob's attempt 1 was orphaned by the crash";
  EXPECT_TRUE(reborn->outcomes.empty());
  EXPECT_EQ(f.net.totals().orphaned, 1u);
  EXPECT_EQ(f.ep("alice").received.size(), 1u) << "bob's envelope was already on the wire";
}

TEST(SimNetwork, CrashWithoutForStaysDown) {
  Fixture f(fixed(5 * kMs));
  f.net.add_fault({.at_ns = 10 * kMs, .kind = FaultKind::kCrash, .peers = {peer("bob")}, .for_ns = std::nullopt});
  f.send_at(1000 * kMs, "alice", 1, envelope("alice", "bob", 1));
  f.net.run();
  EXPECT_FALSE(f.net.is_up(peer("bob")));
  ASSERT_EQ(f.ep("alice").outcomes.size(), 1u);
  EXPECT_EQ(f.ep("alice").outcomes[0].kind, OutcomeKind::kUnreachable);
}

TEST(SimNetwork, NetworkEventsRunBeforeTimersAtTheSameInstant) {
  Fixture f(fixed(5 * kMs));
  std::vector<std::string> order;
  // A timer at 10 ms scheduled before the send: the outcome (a network event) at
  // 10 ms still runs first.
  f.net.scheduler().at(10 * kMs, EventClass::kTimer, [&] {
    order.push_back("timer, outcomes so far: " + std::to_string(f.ep("alice").outcomes.size()));
  });
  f.send_at(0, "alice", 1, envelope("alice", "bob", 1));
  f.net.run();
  EXPECT_EQ(order, (std::vector<std::string>{"timer, outcomes so far: 1"}));
}

// ---- Many seeds × fault schedules ------------------------------------------------------

struct Attempt {
  std::int64_t sent_at;
  std::int64_t deadline;
  int outcomes = 0;
  OutcomeKind kind = OutcomeKind::kDelivered;
  std::int64_t heard_at = -1;
};

// An endpoint per incarnation that checks every outcome against its attempt.
class CheckingEndpoint final : public runtime::TransportEndpoint {
 public:
  CheckingEndpoint(const runtime::Clock& clock, std::map<AttemptId, Attempt>& attempts)
      : clock_(clock), attempts_(attempts) {}
  void on_outcome(AttemptId attempt, const runtime::Outcome& outcome) override {
    Attempt& a = attempts_.at(attempt);
    ++a.outcomes;
    a.kind = outcome.kind;
    a.heard_at = clock_.now_ns();
  }
  void on_envelope(const bb::Envelope&, runtime::SenderAuth) override { ++received; }
  int received = 0;

 private:
  const runtime::Clock& clock_;
  std::map<AttemptId, Attempt>& attempts_;
};

struct ScenarioResult {
  std::string log_sha256;
  NetworkTotals totals;
  std::uint64_t attempts = 0;
  std::uint64_t outcomes = 0;
};

// A random deployment of 5 nodes sending to random peers (and to one stranger), with
// random latency, loss, duplication, deadlines, crashes and partitions.
ScenarioResult run_scenario(std::uint64_t seed) {
  SimRng pick(seed * 7919 + 1);
  NetworkConfig config;
  config.seed = seed;
  const std::int64_t lo = pick.between(0, 20) * kMs;
  config.latency = pick.chance(0.5) ? Latency::fixed(lo) : Latency::uniform(lo, lo + pick.between(1, 30) * kMs);
  config.loss = static_cast<double>(pick.between(0, 30)) / 100.0;
  config.duplicate = static_cast<double>(pick.between(0, 30)) / 100.0;
  config.send_timeout_ns = pick.between(10, 200) * kMs;
  SimNetwork net(config);
  const std::vector<std::string> names = {"n0", "n1", "n2", "n3", "n4"};

  // Attempts are recorded per (node, incarnation).
  std::map<std::pair<std::string, std::uint64_t>, std::map<AttemptId, Attempt>> attempts;
  std::map<std::string, std::unique_ptr<CheckingEndpoint>> live;
  std::map<std::string, runtime::Transport*> transports;
  std::map<std::string, AttemptId> next_attempt;
  std::vector<std::unique_ptr<CheckingEndpoint>> graveyard;  // keeps crashed instances for the checks
  auto start = [&](const std::string& name) {
    const PeerId p = peer(name);
    auto& book = attempts[{name, net.incarnation(p) + 1}];
    live[name] = std::make_unique<CheckingEndpoint>(net.clock(), book);
    transports[name] = &net.attach(p, *live[name], [](std::string_view channel) { return channel != "nobody-listens"; });
  };
  for (const auto& name : names) start(name);
  net.set_hooks({.on_crash = [&](const PeerId& p) { graveyard.push_back(std::move(live[p.to_text().substr(3)])); },
                 .on_restart = [&](const PeerId& p, std::uint64_t) { start(p.to_text().substr(3)); }});

  const int faults = static_cast<int>(pick.between(0, 4));
  for (int i = 0; i < faults; ++i) {
    Fault fault;
    fault.at_ns = pick.between(0, 900) * kMs;
    fault.kind = pick.chance(0.5) ? FaultKind::kCrash : FaultKind::kPartition;
    fault.peers = {peer(names[pick.below(names.size())])};
    if (pick.chance(0.5)) fault.peers.push_back(peer(names[pick.below(names.size())]));
    if (pick.chance(0.7)) fault.for_ns = pick.between(1, 400) * kMs;
    net.add_fault(fault);
  }

  ScenarioResult result;
  const int sends = 300;
  for (int i = 0; i < sends; ++i) {
    const std::int64_t t = pick.between(0, 1000) * kMs;
    const std::string from = names[pick.below(names.size())];
    const std::string to = pick.chance(0.05) ? std::string("stranger") : names[pick.below(names.size())];
    const std::int64_t deadline = pick.chance(0.5) ? pick.between(1, 100) * kMs : 0;
    const std::string channel = pick.chance(0.1) ? "nobody-listens" : "";
    net.scheduler().at(t, EventClass::kTimer, [&, from, to, deadline, channel] {
      const PeerId p = peer(from);
      if (!net.is_up(p)) return;  // a crashed node does not fire
      auto& book = attempts[{from, net.incarnation(p)}];
      const AttemptId id = ++next_attempt[from];
      book[id] = Attempt{net.clock().now_ns(), deadline > 0 ? deadline : config.send_timeout_ns};
      transports[from]->send(id, envelope(from, to, id, deadline, channel));
      ++result.attempts;
    });
  }
  Sha256 log;
  net.set_observer([&](const NetEvent& e) { log.update(net.describe(e) + "\n"); });
  net.run();

  for (const auto& [who, book] : attempts) {
    for (const auto& [id, a] : book) {
      EXPECT_LE(a.outcomes, 1) << "seed " << seed << " " << who.first << "#" << who.second << " attempt " << id;
      result.outcomes += static_cast<std::uint64_t>(a.outcomes);
      if (a.outcomes == 0) continue;
      EXPECT_LE(a.heard_at, a.sent_at + a.deadline) << "seed " << seed << ": outcome after the deadline";
      if (a.kind == OutcomeKind::kTimeout) {
        EXPECT_EQ(a.heard_at, a.sent_at + a.deadline) << "seed " << seed << ": timeout exactly at the deadline";
      }
      EXPECT_NE(a.kind, OutcomeKind::kAdvised) << "the simulator never advises";
    }
  }
  result.totals = net.totals();
  result.log_sha256 = log.finish_hex();
  return result;
}

TEST(SimNetwork, ExactlyOneOutcomePerAttemptOverManySeeds) {
  for (std::uint64_t seed = 0; seed < 250; ++seed) {
    const ScenarioResult r = run_scenario(seed);
    // Every attempt was heard once, or orphaned because its sender crashed first.
    EXPECT_EQ(r.outcomes + r.totals.orphaned, r.attempts) << "seed " << seed;
    EXPECT_EQ(r.totals.sent, r.attempts) << "seed " << seed;
    EXPECT_EQ(r.totals.delivered + r.totals.lost + r.totals.unreachable + r.totals.rejected, r.totals.sent)
        << "seed " << seed << ": every original ends one way";
    if (HasFailure()) break;
  }
}

TEST(SimNetwork, SameSeedSameEventLog) {
  for (std::uint64_t seed : {3u, 11u, 42u}) {
    const ScenarioResult a = run_scenario(seed);
    const ScenarioResult b = run_scenario(seed);
    EXPECT_EQ(a.log_sha256, b.log_sha256) << "seed " << seed;
    EXPECT_EQ(a.totals.lost, b.totals.lost);
  }
  EXPECT_NE(run_scenario(3).log_sha256, run_scenario(4).log_sha256);
}

TEST(SimNetwork, DescribeNamesPeersAndOutcome) {
  Fixture f(fixed(5 * kMs));
  std::vector<std::string> lines;
  f.net.set_observer([&](const NetEvent& e) { lines.push_back(f.net.describe(e)); });
  f.send_at(0, "alice", 4, envelope("alice", "bob", 9));
  f.net.run();
  EXPECT_EQ(lines, (std::vector<std::string>{"0s send id:alice -> id:bob attempt=4 msg=9",
                                             "5ms arrive id:alice -> id:bob attempt=4 msg=9",
                                             "10ms outcome id:alice attempt=4 delivered"}));
}

}  // namespace
}  // namespace bb::sim
