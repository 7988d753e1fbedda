// The demo deployment of `make run` (examples/demo/): the file loads, its graphs are
// what it says, and its fault schedule does on the simulated network what the demo
// promises (bob unreachable from 2 s to 8 s, reachable before and after).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/sim/deployment.h"

namespace bb::sim {
namespace {

namespace fs = std::filesystem;
using runtime::AttemptId;
using runtime::OutcomeKind;

const fs::path kDemo = fs::path(BB_SOURCE_DIR) / "examples" / "demo";

PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

Deployment demo() {
  auto d = load_deployment(kDemo / "deploy.toml");
  EXPECT_TRUE(d) << describe(d.error());
  return d ? std::move(d).value() : Deployment{};
}

TEST(Demo, DeploymentLoads) {
  const Deployment d = demo();
  ASSERT_EQ(d.nodes.size(), 4u);
  EXPECT_EQ(d.nodes[0].peer, peer("alice"));
  EXPECT_EQ(d.nodes[0].graph, kDemo / "alice.bb");
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(d.nodes[i].graph, kDemo / "receiver.bb");
  EXPECT_EQ(d.duration_ns, 12 * kSecond);
  ASSERT_EQ(d.faults.size(), 1u);
  EXPECT_EQ(d.faults[0].kind, FaultKind::kCrash);
  EXPECT_EQ(d.faults[0].peers, std::vector<PeerId>{peer("bob")});
  EXPECT_EQ(d.faults[0].at_ns, 2 * kSecond);
  EXPECT_EQ(d.faults[0].at_ns + d.faults[0].for_ns.value(), 8 * kSecond);
}

TEST(Demo, EveryGraphHasItsSourceNextToIt) {
  for (const NodeSpec& node : demo().nodes) {
    fs::path source = node.graph;
    source.replace_extension(".onnxtxt");
    auto model = ir::load_model(source);
    ASSERT_TRUE(model) << source << ": " << model.error().message;
  }
}

TEST(Demo, AliceSendsToTheThreeReceiversEveryHundredMilliseconds) {
  auto model = ir::load_model(kDemo / "alice.onnxtxt");
  ASSERT_TRUE(model) << model.error().message;
  std::set<std::string> destinations;
  std::int64_t period = 0;
  for (const auto& node : model->graph().node()) {
    for (const auto& attr : node.attribute()) {
      if (node.op_type() == ir::kSend && attr.name() == ir::kAttrPeer) destinations.insert(attr.s());
      if (node.op_type() == ir::kInterval && attr.name() == ir::kAttrPeriodNs) period = attr.i();
    }
  }
  EXPECT_EQ(destinations, (std::set<std::string>{"id:bob", "id:carol", "id:dave"}));
  EXPECT_EQ(period, 100 * kMillisecond);
}

class Recorder final : public runtime::TransportEndpoint {
 public:
  explicit Recorder(const runtime::Clock& clock) : clock_(clock) {}
  void on_outcome(AttemptId attempt, const runtime::Outcome& outcome) override {
    outcomes[attempt] = {clock_.now_ns(), outcome.kind};
  }
  void on_envelope(const bb::Envelope&, runtime::SenderAuth) override { ++received; }
  std::map<AttemptId, std::pair<std::int64_t, OutcomeKind>> outcomes;
  int received = 0;

 private:
  const runtime::Clock& clock_;
};

TEST(Demo, BobIsUnreachableWhileCrashed) {
  const Deployment d = demo();
  NetworkConfig config = d.network_config();
  config.loss = 0;  // this test looks at the crash alone
  config.duplicate = 0;
  SimNetwork net(config);
  std::map<std::string, std::unique_ptr<Recorder>> nodes;
  std::map<std::string, runtime::Transport*> transports;
  auto start = [&](const PeerId& p) {
    nodes[p.to_text()] = std::make_unique<Recorder>(net.clock());
    transports[p.to_text()] = &net.attach(p, *nodes[p.to_text()]);
  };
  for (const NodeSpec& node : d.nodes) start(node.peer);
  net.set_hooks({.on_crash = [](const PeerId&) {}, .on_restart = [&](const PeerId& p, std::uint64_t) { start(p); }});
  for (const Fault& fault : d.faults) net.add_fault(fault);

  // alice's Interval, without the gates: one attempt per tick to bob.
  std::map<AttemptId, std::int64_t> sent_at;
  const std::int64_t period = 100 * kMillisecond;
  for (std::int64_t t = 0; t < *d.duration_ns; t += period) {
    net.scheduler().at(t, runtime::EventClass::kTimer, [&, t] {
      const AttemptId id = sent_at.size() + 1;
      sent_at[id] = t;
      bb::Envelope e;
      e.set_schema_version(ir::kEnvelopeSchemaVersion);
      e.set_src_peer(peer("alice").bytes());
      e.set_dst_peer(peer("bob").bytes());
      e.set_message_id(id);
      e.set_channel("tick");
      e.add_payload()->set_timestamp_ns(t);
      transports["id:alice"]->send(id, e);
    });
  }
  net.run(*d.duration_ns + kSecond);

  const auto& heard = nodes["id:alice"]->outcomes;
  ASSERT_EQ(heard.size(), sent_at.size());
  for (const auto& [id, t] : sent_at) {
    const OutcomeKind expected =
        t >= 2 * kSecond && t < 8 * kSecond ? OutcomeKind::kUnreachable : OutcomeKind::kDelivered;
    EXPECT_EQ(heard.at(id).second, expected) << "tick at " << t;
  }
  EXPECT_EQ(net.incarnation(peer("bob")), 2u);
  EXPECT_GT(nodes["id:bob"]->received, 30) << "the restarted bob receives again";
}

}  // namespace
}  // namespace bb::sim
