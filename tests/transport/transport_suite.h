// Invariants every transport keeps, as a typed GoogleTest suite: one outcome per
// attempt, delivered envelopes equal to the sent ones, `rejected` with the receiver's reason for a channel without a Recv and for an
// envelope over the receiver's limit, `timeout` at the deadline when nothing answers,
// `unreachable` when nobody listens.
//
// A transport joins the suite with a harness type H:
//   H(HarnessOptions)                      nodes share one thread (the test's)
//   void add_node(name, channels)          a live node whose Recvs listen on `channels`
//   void add_silent(name)                  a destination that accepts and never answers
//   void add_absent(name)                  a destination nobody listens at
//   void send(from, attempt, envelope)     Transport::send on the nodes' thread
//   bool run_until(pred, budget_ns)        drives the transport until pred() or the budget
//   Recorder& node(name); std::int64_t now_ns(); PeerId peer(name)
// and INSTANTIATE_TYPED_TEST_SUITE_P(Name, TransportInvariants, H).
#pragma once

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bb/bb.pb.h"
#include "bb/ir/envelope.h"
#include "bb/runtime/transport.h"

namespace bb::testing {

struct HarnessOptions {
  std::size_t max_envelope_bytes = 64 * 1024;  // every receiver's limit
  std::int64_t send_timeout_ns = 2'000'000'000;
};

struct HeardOutcome {
  std::int64_t t_ns = 0;
  runtime::AttemptId attempt = 0;
  runtime::OutcomeKind kind = runtime::OutcomeKind::kDelivered;
  std::string reason;
  std::string detail;
};

// A TransportEndpoint that records what it is told.
class Recorder final : public runtime::TransportEndpoint {
 public:
  explicit Recorder(std::function<std::int64_t()> now) : now_(std::move(now)) {}
  void on_outcome(runtime::AttemptId attempt, const runtime::Outcome& o) override {
    outcomes.push_back({now_(), attempt, o.kind, std::string(o.reason), std::string(o.detail)});
  }
  void on_envelope(const bb::Envelope& envelope, runtime::SenderAuth) override { received.push_back(envelope); }

  std::size_t count(runtime::AttemptId attempt) const {
    std::size_t n = 0;
    for (const auto& o : outcomes) n += o.attempt == attempt ? 1 : 0;
    return n;
  }
  const HeardOutcome* find(runtime::AttemptId attempt) const {
    for (const auto& o : outcomes)
      if (o.attempt == attempt) return &o;
    return nullptr;
  }

  std::vector<HeardOutcome> outcomes;
  std::vector<bb::Envelope> received;

 private:
  std::function<std::int64_t()> now_;
};

inline bb::Envelope make_envelope(const PeerId& from, const PeerId& to, std::uint64_t id, std::string channel,
                                  std::int64_t deadline_ns = 0, std::size_t padding = 0) {
  bb::Envelope e;
  e.set_schema_version(ir::kEnvelopeSchemaVersion);
  e.set_src_peer(from.bytes());
  e.set_dst_peer(to.bytes());
  e.set_incarnation(1);
  e.set_message_id(id);
  e.set_channel(std::move(channel));
  e.set_deadline_ns(deadline_ns);
  e.add_payload()->set_int64_value(static_cast<std::int64_t>(id));
  if (padding > 0) e.add_payload()->set_bytes_value(std::string(padding, 'x'));
  return e;
}

template <class H>
class TransportInvariants : public ::testing::Test {
 protected:
  static constexpr std::int64_t kBudget = 10'000'000'000;  // of the transport's time; never reached when correct
};
TYPED_TEST_SUITE_P(TransportInvariants);

TYPED_TEST_P(TransportInvariants, EveryAttemptHasExactlyOneOutcomeAndDeliveredOnesArrive) {
  TypeParam h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  constexpr int kCount = 50;
  for (int i = 1; i <= kCount; ++i)
    h.send("alice", static_cast<runtime::AttemptId>(i), make_envelope(h.peer("alice"), h.peer("bob"), i, "ch"));
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() >= kCount; }, this->kBudget));
  h.run_until([] { return false; }, 50'000'000);  // no late extra outcome
  ASSERT_EQ(h.node("alice").outcomes.size(), static_cast<std::size_t>(kCount));
  for (int i = 1; i <= kCount; ++i) {
    const auto attempt = static_cast<runtime::AttemptId>(i);
    ASSERT_EQ(h.node("alice").count(attempt), 1u) << "attempt " << i;
    EXPECT_EQ(h.node("alice").find(attempt)->kind, runtime::OutcomeKind::kDelivered) << "attempt " << i;
  }
  ASSERT_EQ(h.node("bob").received.size(), static_cast<std::size_t>(kCount));
  std::vector<std::uint64_t> ids;
  for (const auto& e : h.node("bob").received) ids.push_back(e.message_id());
  std::sort(ids.begin(), ids.end());
  for (int i = 1; i <= kCount; ++i) EXPECT_EQ(ids[static_cast<std::size_t>(i - 1)], static_cast<std::uint64_t>(i));
  EXPECT_TRUE(h.node("alice").received.empty());
}

// What arrives is what was sent, field for field, whatever the previous envelope held:
// one at a time, so a transport that keeps its copies in a pool (the simulator) reuses
// one copy for envelopes of other payload counts, kinds and field values.
TYPED_TEST_P(TransportInvariants, DeliveredEnvelopesEqualTheSentOnesFieldByField) {
  TypeParam h(HarnessOptions{});
  h.add_node("alice", {"ch", "other"});
  h.add_node("bob", {"ch", "other"});
  std::vector<bb::Envelope> sent;
  auto next = [&](std::string channel, std::int64_t deadline_ns) -> bb::Envelope& {
    const auto id = static_cast<std::uint64_t>(sent.size() + 1);
    sent.push_back(make_envelope(h.peer("alice"), h.peer("bob"), id, std::move(channel), deadline_ns));
    sent.back().set_incarnation(id * 7);
    return sent.back();
  };
  next("ch", 0).add_payload()->set_bytes_value(std::string(40, 'b'));
  next("other", 5'000'000'000).mutable_payload(0)->set_timestamp_ns(-3);
  next("ch", 0).clear_payload();
  auto& strings = next("ch", 4'000'000'000);
  strings.mutable_payload(0)->set_string_value("a string");
  strings.add_payload()->set_peer(h.peer("bob").bytes());
  auto& list = next("other", 0);
  list.mutable_payload(0)->mutable_peer_list()->add_peers(h.peer("alice").bytes());
  list.add_payload()->mutable_trigger();
  list.add_payload()->set_int64_value(-1);
  next("ch", 0);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto attempt = static_cast<runtime::AttemptId>(i + 1);
    h.send("alice", attempt, sent[i]);
    ASSERT_TRUE(h.run_until([&] { return h.node("alice").find(attempt) != nullptr; }, this->kBudget)) << i;
    ASSERT_EQ(h.node("alice").find(attempt)->kind, runtime::OutcomeKind::kDelivered) << i;
  }
  ASSERT_EQ(h.node("bob").received.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i)
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(h.node("bob").received[i], sent[i]))
        << "envelope " << i << ": sent " << sent[i].ShortDebugString() << ", received "
        << h.node("bob").received[i].ShortDebugString();
}

TYPED_TEST_P(TransportInvariants, AChannelWithoutARecvIsRejectedWithTheReceiversReason) {
  TypeParam h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"count"});
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("bob"), 1, "cuont"));
  ASSERT_TRUE(h.run_until([&] { return !h.node("alice").outcomes.empty(); }, this->kBudget));
  const HeardOutcome& o = h.node("alice").outcomes.at(0);
  EXPECT_EQ(o.kind, runtime::OutcomeKind::kRejected);
  EXPECT_EQ(o.reason, "no_recv");
  EXPECT_EQ(o.detail, "no Recv on channel 'cuont'");
  EXPECT_TRUE(h.node("bob").received.empty());
}

TYPED_TEST_P(TransportInvariants, AnEnvelopeOverTheReceiversLimitIsRejectedAsOversized) {
  HarnessOptions options;
  options.max_envelope_bytes = 4096;
  TypeParam h(options);
  h.add_node("alice", {"ch"});
  h.add_node("bob", {"ch"});
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("bob"), 1, "ch", 0, 8192));
  h.send("alice", 2, make_envelope(h.peer("alice"), h.peer("bob"), 2, "ch", 0, 1024));  // fits: still delivered
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() >= 2; }, this->kBudget));
  ASSERT_NE(h.node("alice").find(1), nullptr);
  EXPECT_EQ(h.node("alice").find(1)->kind, runtime::OutcomeKind::kRejected);
  EXPECT_EQ(h.node("alice").find(1)->reason, "oversized");
  ASSERT_NE(h.node("alice").find(2), nullptr);
  EXPECT_EQ(h.node("alice").find(2)->kind, runtime::OutcomeKind::kDelivered);
  ASSERT_EQ(h.node("bob").received.size(), 1u);
  EXPECT_EQ(h.node("bob").received[0].message_id(), 2u);
}

TYPED_TEST_P(TransportInvariants, NoAnswerEndsAsTimeoutAtTheDeadlineElseTheSendTimeout) {
  HarnessOptions options;
  options.send_timeout_ns = 400'000'000;
  TypeParam h(options);
  h.add_node("alice", {"ch"});
  h.add_silent("void");
  const std::int64_t start = h.now_ns();
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("void"), 1, "ch", 150'000'000));
  h.send("alice", 2, make_envelope(h.peer("alice"), h.peer("void"), 2, "ch"));  // send timeout
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() >= 2; }, this->kBudget));
  const HeardOutcome* one = h.node("alice").find(1);
  const HeardOutcome* two = h.node("alice").find(2);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->kind, runtime::OutcomeKind::kTimeout);
  EXPECT_EQ(two->kind, runtime::OutcomeKind::kTimeout);
  EXPECT_GE(one->t_ns - start, 150'000'000);
  EXPECT_LT(one->t_ns - start, 350'000'000);
  EXPECT_GE(two->t_ns - start, 400'000'000);
  EXPECT_LT(two->t_ns - start, 900'000'000);
  EXPECT_EQ(h.node("alice").outcomes.size(), 2u);
}

TYPED_TEST_P(TransportInvariants, NobodyListeningIsUnreachable) {
  TypeParam h(HarnessOptions{});
  h.add_node("alice", {"ch"});
  h.add_absent("gone");
  h.send("alice", 1, make_envelope(h.peer("alice"), h.peer("gone"), 1, "ch"));
  h.send("alice", 2, make_envelope(h.peer("alice"), h.peer("stranger"), 2, "ch"));  // not in the address book
  ASSERT_TRUE(h.run_until([&] { return h.node("alice").outcomes.size() >= 2; }, this->kBudget));
  EXPECT_EQ(h.node("alice").find(1)->kind, runtime::OutcomeKind::kUnreachable);
  EXPECT_EQ(h.node("alice").find(2)->kind, runtime::OutcomeKind::kUnreachable);
  EXPECT_EQ(h.node("alice").count(1), 1u);
  EXPECT_EQ(h.node("alice").count(2), 1u);
}

REGISTER_TYPED_TEST_SUITE_P(TransportInvariants, EveryAttemptHasExactlyOneOutcomeAndDeliveredOnesArrive,
                            DeliveredEnvelopesEqualTheSentOnesFieldByField,
                            AChannelWithoutARecvIsRejectedWithTheReceiversReason,
                            AnEnvelopeOverTheReceiversLimitIsRejectedAsOversized,
                            NoAnswerEndsAsTimeoutAtTheDeadlineElseTheSendTimeout, NobodyListeningIsUnreachable);

}  // namespace bb::testing
