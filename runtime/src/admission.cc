#include "bb/runtime/admission.h"

#include <numeric>
#include <optional>

#include "bb/ir/peer_id.h"

namespace bb::runtime {
namespace {

constexpr std::array<AdmissionReason, 3> kOtherReasons = {AdmissionReason::kMisaddressed,
                                                          AdmissionReason::kUnauthenticated, AdmissionReason::kNoRecv};

std::string_view label_of(AdmissionReason reason) {
  switch (reason) {
    case AdmissionReason::kEnvelope: return "envelope";
    case AdmissionReason::kMisaddressed: return "misaddressed";
    case AdmissionReason::kUnauthenticated: return "unauthenticated";
    case AdmissionReason::kNoRecv: return "no_recv";
  }
  return "unknown";
}

std::string peer_text(std::string_view bytes) {
  auto peer = PeerId::from_bytes(bytes);
  return peer ? peer->to_text() : std::string("?");
}

Refusal refuse(AdmissionReason reason, std::string detail) {
  Refusal r;
  r.reason = reason;
  r.detail = std::move(detail);
  return r;
}

// The first rule of `policy` a well-formed envelope breaks, if any (no detail built).
std::optional<AdmissionReason> policy_breach(const bb::Envelope& envelope, const AdmissionPolicy& policy) {
  if (!policy.self.empty() && envelope.dst_peer() != policy.self) return AdmissionReason::kMisaddressed;
  if (!policy.authenticated.empty() && envelope.src_peer() != policy.authenticated)
    return AdmissionReason::kUnauthenticated;
  if (policy.accepts != nullptr && *policy.accepts && !(*policy.accepts)(envelope.channel()))
    return AdmissionReason::kNoRecv;
  return std::nullopt;
}

}  // namespace

std::string_view Refusal::label() const {
  return reason == AdmissionReason::kEnvelope ? ir::to_string(envelope) : label_of(reason);
}

std::string describe(const Refusal& refusal) { return std::string(refusal.label()) + ": " + refusal.detail; }

Expected<void, Refusal> admit(std::string_view bytes, const AdmissionPolicy& policy, bb::Envelope& out) {
  if (auto decoded = ir::decode_envelope_into(bytes, policy.limits, out); !decoded) {
    Refusal r;
    r.envelope = decoded.error().reason;
    r.detail = std::move(decoded.error().detail);
    return unexpected(std::move(r));
  }
  const std::optional<AdmissionReason> breach = policy_breach(out, policy);
  if (!breach) return {};
  switch (*breach) {
    case AdmissionReason::kMisaddressed:
      return unexpected(refuse(*breach, "addressed to " + peer_text(out.dst_peer()) + ", not to " + peer_text(policy.self)));
    case AdmissionReason::kUnauthenticated:
      return unexpected(refuse(*breach, "src_peer " + peer_text(out.src_peer()) + " is not the authenticated sender " +
                                            peer_text(policy.authenticated)));
    default:  // kNoRecv: policy_breach returns no other reason
      return unexpected(refuse(*breach, "no Recv on channel '" + out.channel() + "'"));
  }
}

bool admits_unchanged(const bb::Envelope& envelope, const AdmissionPolicy& policy, const ir::KnownPeers& known) {
  return ir::decodes_unchanged(envelope, policy.limits, known) && !policy_breach(envelope, policy);
}

void AdmissionCounts::record(const Refusal& refusal) {
  if (refusal.reason == AdmissionReason::kEnvelope) {
    envelope_.record(refusal.envelope);
    return;
  }
  for (std::size_t i = 0; i < kOtherReasons.size(); ++i)
    if (kOtherReasons[i] == refusal.reason) ++other_[i];
}

std::uint64_t AdmissionCounts::total() const {
  return envelope_.total() + std::accumulate(other_.begin(), other_.end(), std::uint64_t{0});
}

std::vector<std::pair<std::string, std::uint64_t>> AdmissionCounts::nonzero() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const ir::EnvelopeReason reason : ir::kEnvelopeReasons)
    if (envelope_.count(reason) != 0) out.emplace_back(std::string(ir::to_string(reason)), envelope_.count(reason));
  for (std::size_t i = 0; i < kOtherReasons.size(); ++i)
    if (other_[i] != 0) out.emplace_back(std::string(label_of(kOtherReasons[i])), other_[i]);
  return out;
}

AdmissionCounts& AdmissionCounts::operator+=(const AdmissionCounts& other) {
  envelope_ += other.envelope_;
  for (std::size_t i = 0; i < other_.size(); ++i) other_[i] += other.other_[i];
  return *this;
}

}  // namespace bb::runtime
