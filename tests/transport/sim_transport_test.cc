// The transport invariants on the simulated network.
#include <map>
#include <memory>

#include "bb/sim/network.h"
#include "transport_suite.h"

namespace bb::testing {
namespace {

class SimHarness {
 public:
  explicit SimHarness(const HarnessOptions& options) : net_(config(options)) {}

  PeerId peer(const std::string& name) const { return PeerId::identity(name).value(); }
  void add_node(const std::string& name, std::vector<std::string> channels) {
    auto& r = recorders_[name] = std::make_unique<Recorder>([this] { return now_ns(); });
    transports_[name] = &net_.attach(peer(name), *r, [channels](std::string_view ch) {
      return std::find(channels.begin(), channels.end(), ch) != channels.end();
    });
  }
  // Cut off from everyone for the whole run: envelopes to it vanish.
  void add_silent(const std::string& name) {
    add_node(name, {});
    net_.add_fault({.at_ns = 0, .kind = sim::FaultKind::kPartition, .peers = {peer(name)}, .for_ns = std::nullopt});
  }
  void add_absent(const std::string& name) { net_.add_node(peer(name)); }
  void send(const std::string& from, runtime::AttemptId attempt, const bb::Envelope& envelope) {
    transports_.at(from)->send(attempt, envelope);
  }
  bool run_until(const std::function<bool()>& done, std::int64_t budget_ns) {
    const std::int64_t until = now_ns() + budget_ns;
    while (!done())
      if (!net_.scheduler().run_one(until)) return done();
    return true;
  }
  Recorder& node(const std::string& name) { return *recorders_.at(name); }
  std::int64_t now_ns() const { return net_.clock().now_ns(); }

 private:
  static sim::NetworkConfig config(const HarnessOptions& options) {
    sim::NetworkConfig c;
    c.latency = sim::Latency::fixed(sim::kMillisecond);
    c.limits.max_bytes = options.max_envelope_bytes;
    c.send_timeout_ns = options.send_timeout_ns;
    return c;
  }

  sim::SimNetwork net_;
  std::map<std::string, std::unique_ptr<Recorder>> recorders_;
  std::map<std::string, runtime::Transport*> transports_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sim, TransportInvariants, SimHarness);

}  // namespace
}  // namespace bb::testing
