// The network feedback policy of a node (docs/wire.md): what the wire's answers do to the
// framework state and the metrics. An attempt's outcome feeds the peer's backoff and the
// governor (and counts refusals by label); a frame started by an envelope counts as
// accepted or as dropped by its Recv or by the first Rx gate that denied it; gates'
// decisions are counted per gate of the catalogue; Sends a Tx gate held are shown to the
// observer. The executor knows none of this: the node calls it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bb/runtime/backoff_table.h"
#include "bb/runtime/kernel.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/peer_governor.h"
#include "bb/runtime/peer_interner.h"
#include "bb/runtime/program.h"
#include "bb/runtime/transport.h"

namespace bb::runtime {

// What a send outcome did to the sender's view of a peer (docs/wire.md), for people
// watching a run (bbrun --sim logs the failures and the recoveries).
struct PeerOutcome {
  std::int64_t t_ns = 0;
  std::string_view node;  // the sender (text form)
  std::string_view peer;  // the destination (text form)
  OutcomeKind outcome = OutcomeKind::kDelivered;
  std::uint32_t failures = 0;      // consecutive failures after this outcome (0: cleared)
  std::uint32_t failures_before = 0;
  std::int64_t next_retry_ns = 0;  // BackoffGateTx holds sends to the peer until then
  bool down = false;               // the governor's health verdict after this outcome
  std::string_view reason = {};    // kRejected: the receiver's refusal label ("no_recv", …)
};

// Optional observer of the feedback loop: every outcome, after it fed the state, and
// every Send a Tx gate held. Costs one branch per outcome when unset.
class PeerObserver {
 public:
  virtual ~PeerObserver() = default;
  virtual void outcome(const PeerOutcome& change) = 0;
  // A Tx gate held a Send towards `peer` (cooldown, blocklisted, not_allowlisted).
  virtual void held(std::int64_t t_ns, std::string_view node, std::string_view peer, Reason reason) = 0;
};

class NetworkFeedback {
 public:
  // Reads which nodes of `program` are gates (the gate catalogue) and marks them present
  // in the metrics. `self` is the node's PeerId in text form (logs, the observer).
  NetworkFeedback(const Program& program, PeerInterner& peers, BackoffTable& backoff, PeerGovernor& governor,
                  NodeMetrics& metrics, PeerObserver* observer, const std::string& self);

  // An attempt towards `dst` ended: the peer's backoff and health, the attempt counts, a
  // refusal's label, the observer.
  void outcome(PeerIndex dst, const Outcome& outcome, std::int64_t now);
  // A gate node decided (kNone = allowed): counted per gate and reason. Inline: every
  // gate dispatch calls it.
  void count_decision(std::uint32_t node, Reason reason) {
    if (const int gate = gate_[node]; gate >= 0)
      ++metrics_.gates[static_cast<std::size_t>(gate)][static_cast<std::size_t>(reason)];
  }
  // A Tx gate node held a Send towards `peer`: shown to the observer.
  void observe_hold(std::uint32_t node, PeerIndex peer, Reason reason, std::int64_t now);
  // Node `node` of `frame` denied or failed; `is_recv`: it is the Recv that started the
  // frame; `from_envelope`: an envelope started the frame.
  void failed(std::uint32_t frame, std::uint32_t node, const OpResult& result, bool is_recv, bool from_envelope,
              std::int64_t now);
  // A frame ended; one an envelope started counts as accepted or dropped.
  void frame_ended(std::uint32_t frame, bool from_envelope);

  bool is_rx_gate(std::uint32_t node) const { return gate_[node] >= 0 && !tx_[node]; }
  bool observed() const { return observer_ != nullptr; }

 private:
  struct FrameRx {
    bool recv_dropped = false;
    Reason rx_reason = Reason::kNone;  // first rx gate denial
  };
  FrameRx& rx(std::uint32_t frame);
  void note_rejection(PeerIndex dst, const Outcome& outcome);

  PeerInterner& peers_;
  BackoffTable& backoff_;
  PeerGovernor& governor_;
  NodeMetrics& metrics_;
  PeerObserver* observer_;
  const std::string& self_;
  std::vector<std::int8_t> gate_;  // by node: index in the gate catalogue, -1 if not a gate
  std::vector<bool> tx_;           // by node: a Tx gate
  std::vector<FrameRx> rx_;        // by frame id
};

}  // namespace bb::runtime
