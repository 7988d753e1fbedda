#include "bb/runtime/network_feedback.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bb/ir/gates.h"

namespace bb::runtime {

NetworkFeedback::NetworkFeedback(const Program& program, PeerInterner& peers, BackoffTable& backoff,
                                 PeerGovernor& governor, NodeMetrics& metrics, PeerObserver* observer,
                                 const std::string& self)
    : peers_(peers), backoff_(backoff), governor_(governor), metrics_(metrics), observer_(observer), self_(self) {
  const auto nodes = program.nodes();
  gate_.assign(nodes.size(), -1);
  tx_.assign(nodes.size(), false);
  // A gate is a row of the op table: looked up by the row's names, the node is not read,
  // and once per row (a large graph has tens of thousands of gate nodes of a few rows;
  // the lookup compares names).
  std::vector<std::pair<const ir::OpSpec*, const ir::GateInfo*>> rows;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const ir::OpSpec* spec = nodes[i].spec;
    if (spec == nullptr || spec->kind != ir::OpKind::kGate) continue;
    auto row = std::find_if(rows.begin(), rows.end(), [spec](const auto& r) { return r.first == spec; });
    if (row == rows.end()) row = rows.insert(rows.end(), {spec, ir::find_gate(spec->domain, spec->op_type)});
    const ir::GateInfo* gate = row->second;
    if (gate == nullptr) continue;
    const int index = ir::gate_index(gate->gate);
    gate_[i] = static_cast<std::int8_t>(index);
    tx_[i] = gate->tx;
    metrics_.gate_present[static_cast<std::size_t>(index)] = true;
  }
}

NetworkFeedback::FrameRx& NetworkFeedback::rx(std::uint32_t frame) {
  if (frame >= rx_.size()) rx_.resize(frame + 1);
  return rx_[frame];
}

// A receiver's refusal: counted by its label, logged once per label (a typo'd channel
// would otherwise flood the log), every one at debug level.
void NetworkFeedback::note_rejection(PeerIndex dst, const Outcome& outcome) {
  const std::string_view label = outcome.reason.empty() ? std::string_view("unknown") : outcome.reason;
  auto& by = metrics_.rejected_by;
  auto it = std::find_if(by.begin(), by.end(), [label](const auto& c) { return c.first == label; });
  if (it != by.end()) {
    ++it->second;
    spdlog::debug("{}: {} rejected a Send: {}: {}", self_, peers_.text(dst), label, outcome.detail);
    return;
  }
  by.emplace_back(std::string(label), 1);
  spdlog::warn("{}: {} rejected a Send: {}{}{} (logged once per reason)", self_, peers_.text(dst), label,
               outcome.detail.empty() ? "" : ": ", outcome.detail);
}

void NetworkFeedback::outcome(PeerIndex dst, const Outcome& outcome, std::int64_t now) {
  const std::uint32_t failures_before = observer_ ? governor_.consecutive_failures(dst) : 0;
  switch (outcome.kind) {
    case OutcomeKind::kDelivered:
      backoff_.record_success(dst);
      governor_.record_success(dst);
      break;
    case OutcomeKind::kUnreachable:
    case OutcomeKind::kTimeout:
    case OutcomeKind::kRejected:
      backoff_.record_failure(dst, now);
      governor_.record_failure(dst);
      if (outcome.kind == OutcomeKind::kRejected) note_rejection(dst, outcome);
      break;
    case OutcomeKind::kAdvised: backoff_.record_remote_advisory(dst, now, outcome.min_backoff_ns); break;
  }
  ++metrics_.attempts[static_cast<std::size_t>(outcome.kind)];
  if (observer_) {
    const auto st = backoff_.state(dst);
    const std::string dst_text = peers_.text(dst);
    observer_->outcome(PeerOutcome{now, self_, dst_text, outcome.kind, st ? st->failures : 0, failures_before,
                                   st ? st->next_retry_ns : 0, governor_.is_down(dst),
                                   outcome.kind == OutcomeKind::kRejected ? outcome.reason : std::string_view()});
  }
}

void NetworkFeedback::observe_hold(std::uint32_t node, PeerIndex peer, Reason reason, std::int64_t now) {
  if (observer_ == nullptr || gate_[node] < 0 || !tx_[node]) return;
  observer_->held(now, self_, peers_.text(peer), reason);
}

void NetworkFeedback::failed(std::uint32_t frame, std::uint32_t node, const OpResult& r, bool is_recv,
                             bool from_envelope, std::int64_t now) {
  if (is_recv) {
    rx(frame).recv_dropped = true;
    ++metrics_.receive_drops[static_cast<std::size_t>(r.reason)];
  } else if (from_envelope && is_rx_gate(node)) {
    FrameRx& f = rx(frame);
    if (f.rx_reason == Reason::kNone) f.rx_reason = r.reason;
  }
  if (r.status == Status::kDenied && r.peer != kNoPeer) observe_hold(node, r.peer, r.reason, now);
}

void NetworkFeedback::frame_ended(std::uint32_t frame, bool from_envelope) {
  if (!from_envelope) return;
  FrameRx& f = rx(frame);
  if (!f.recv_dropped) {
    if (f.rx_reason == Reason::kNone)
      ++metrics_.receives_accepted;
    else
      ++metrics_.receive_drops[static_cast<std::size_t>(f.rx_reason)];
  }
  f = FrameRx{};
}

}  // namespace bb::runtime
