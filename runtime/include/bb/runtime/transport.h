// The transport interface: a node hands envelopes to a transport and hears back exactly
// one outcome per attempt, plus the envelopes addressed to it (see docs/wire.md for the
// outcome contract, docs/architecture.md for adding a transport).
//
// Threads. A node is single-threaded: every TransportEndpoint call happens on the
// thread that runs the node's Scheduler, and Transport::send is only called from it.
// A transport that has threads of its own (a network library's) never calls the
// endpoint from them: it posts the call to the node's scheduler (Scheduler::post /
// try_post), which runs it on the node's thread.
//
// Lifetimes. The envelope given to Transport::send is valid during the call only: a
// transport that needs it later copies or encodes it before returning. The envelope and
// the reason views given to the endpoint are valid during the call only.
#pragma once

#include <cstdint>
#include <string_view>

#include "bb/bb.pb.h"

namespace bb::runtime {

// The security modes of a real-network transport, as deployment files and logs spell
// them: mutual TLS bound to PeerIds (the default), or plaintext.
inline constexpr std::string_view kSecurityTls = "tls";
inline constexpr std::string_view kSecurityInsecure = "insecure";

enum class OutcomeKind : std::uint8_t { kDelivered, kUnreachable, kTimeout, kRejected, kAdvised };
// Stable labels: "delivered", "unreachable", "timeout", "rejected", "advised".
std::string_view to_string(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind;
  std::int64_t min_backoff_ns = 0;  // kAdvised only: the peer asks us to wait this long
  // Why: for kRejected the receiver's stable refusal label ("no_recv", "oversized", …,
  // see Refusal::label) and its detail sentence ("no Recv on channel 'count'"); for
  // kUnreachable / kTimeout what the transport saw, when it knows. Views valid during
  // on_outcome only; empty when there is nothing to say.
  std::string_view reason = {};
  std::string_view detail = {};
};

// One attempt = one (Send firing, destination) pair; ids are unique per node.
using AttemptId = std::uint64_t;

// Who sent an envelope, as far as the transport can tell. Admission has already checked
// that an authenticated sender is the envelope's src_peer.
enum class SenderAuth : std::uint8_t {
  kClaimed,        // an insecure transport (or the simulator): src_peer is the sender's claim
  kAuthenticated,  // the transport proved the sender holds src_peer's key
};

// Implemented by a node: what a transport calls back into (on the node's thread).
class TransportEndpoint {
 public:
  virtual ~TransportEndpoint() = default;
  // Exactly once per attempt handed to Transport::send, possibly before send() returns;
  // also for attempts still in flight when the transport shuts down.
  virtual void on_outcome(AttemptId attempt, const Outcome& outcome) = 0;
  // An envelope addressed to this node that passed admission (bb/runtime/admission.h).
  virtual void on_envelope(const bb::Envelope& envelope, SenderAuth sender) = 0;
  // The same, arrived over inbound link `link`: a small number the transport gives each
  // sender it knows, kept while the endpoint is attached (the simulator: the sending
  // node's index). An endpoint may remember what it derived from the link's last
  // envelope, and must check it against the next: a link's src_peer is only a claim. The
  // default ignores the link.
  virtual void on_envelope_from(const bb::Envelope& envelope, SenderAuth sender, std::uint32_t /*link*/) {
    on_envelope(envelope, sender);
  }
  // The connection to `peer` (its text form) changed state: `state` is one of the
  // transport's connection states, `reason` the stable label of a failure ("" otherwise).
  // Transports with connections (the gRPC one) call it; the default ignores it.
  virtual void on_link_state(std::string_view /*peer*/, std::string_view /*state*/, std::string_view /*reason*/) {}
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Hands one envelope (one destination) to the network. Called on the node's thread.
  virtual void send(AttemptId attempt, const bb::Envelope& envelope) = 0;
};

}  // namespace bb::runtime
