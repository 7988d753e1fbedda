// The transport interface (docs/wire.md): a node hands envelopes to a transport and hears
// back exactly one outcome per attempt, plus the envelopes addressed to it.
#pragma once

#include <cstdint>
#include <string_view>

#include "bb/bb.pb.h"

namespace bb::runtime {

enum class OutcomeKind : std::uint8_t { kDelivered, kUnreachable, kTimeout, kRejected, kAdvised };
// Stable labels: "delivered", "unreachable", "timeout", "rejected", "advised".
std::string_view to_string(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind;
  std::int64_t min_backoff_ns = 0;  // kAdvised only: the peer asks us to wait this long
};

// One attempt = one (Send firing, destination) pair; ids are unique per node.
using AttemptId = std::uint64_t;

// Implemented by a node: what a transport calls back into.
class TransportEndpoint {
 public:
  virtual ~TransportEndpoint() = default;
  // Exactly once per attempt handed to Transport::send, possibly before send() returns.
  virtual void on_outcome(AttemptId attempt, Outcome outcome) = 0;
  // An envelope addressed to this node, already decoded and checked against the limits.
  virtual void on_envelope(const bb::Envelope& envelope) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Hands one envelope (one destination) to the network.
  virtual void send(AttemptId attempt, const bb::Envelope& envelope) = 0;
};

// "No transport": a single-node run without a network. Every attempt fails at once,
// synchronously, with `unreachable` (docs/simulation.md).
class NoTransport final : public Transport {
 public:
  explicit NoTransport(TransportEndpoint& endpoint) : endpoint_(endpoint) {}
  void send(AttemptId attempt, const bb::Envelope&) override {
    endpoint_.on_outcome(attempt, Outcome{OutcomeKind::kUnreachable});
  }

 private:
  TransportEndpoint& endpoint_;
};

}  // namespace bb::runtime
