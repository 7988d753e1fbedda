// Inbound admission: the one step every transport runs on the bytes of an arriving
// envelope before a node sees it.
//
//   1. decode with the envelope limits (size first, then a skim, then the parse: nothing
//      is allocated from an attacker-chosen size; see bb/ir/envelope.h);
//   2. the envelope is addressed to this node (when the transport knows who it is);
//   3. its src_peer is the sender the transport authenticated (when it authenticated
//      one: an insecure transport passes none and src_peer stays a claim);
//   4. some Recv listens on its channel.
//
// A refusal has a stable label and a detail sentence; the transport counts it
// (AdmissionCounts) and tells the sender, whose attempt ends as `rejected` with it.
// What passes is handed to the node by the transport (on its thread).
//
// Threads: admit() touches only its arguments; a transport may run it on any thread
// as long as `accepts` is safe to call there. AdmissionCounts is not synchronised.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bb/bb.pb.h"
#include "bb/ir/envelope.h"
#include "bb/ir/expected.h"

namespace bb::runtime {

// Why an envelope was refused past its decoding (the envelope reasons come first).
enum class AdmissionReason : std::uint8_t {
  kEnvelope,         // failed decoding or the limits: EnvelopeError's reason says which
  kMisaddressed,     // dst_peer is not this node
  kUnauthenticated,  // src_peer differs from the sender the transport authenticated
  kNoRecv,           // no Recv listens on the channel
};

struct Refusal {
  AdmissionReason reason = AdmissionReason::kEnvelope;
  ir::EnvelopeReason envelope = ir::EnvelopeReason::kMalformed;  // kEnvelope only
  std::string detail;  // one sentence naming the value, e.g. "no Recv on channel 'count'"

  // Stable label: the envelope reason's ("oversized", "malformed", …), "misaddressed",
  // "unauthenticated" or "no_recv".
  std::string_view label() const;
};

// "<label>: <detail>".
std::string describe(const Refusal& refusal);

// Does some Recv of the node listen on `channel`? Empty: every channel is accepted. The
// answer for a channel does not change while a transport holds the filter (the simulator
// asks once per channel and destination, not per envelope).
using ChannelFilter = std::function<bool(std::string_view channel)>;

struct AdmissionPolicy {
  ir::EnvelopeLimits limits;
  std::string_view self;           // this node's PeerId bytes; empty: not checked
  std::string_view authenticated;  // the authenticated sender's PeerId bytes; empty: insecure
  const ChannelFilter* accepts = nullptr;  // null or empty: every channel
};

// Decodes `bytes` into `out` (its memory reused) and runs the checks above.
Expected<void, Refusal> admit(std::string_view bytes, const AdmissionPolicy& policy, bb::Envelope& out);

// Whether admit(encode_envelope(envelope), policy, out) would admit an `out` equal to
// `envelope`, decided without the codec (ir::decodes_unchanged, then the same checks):
// a transport that holds the sender's envelope (the simulator) hands it over as it is.
// False: run admit() on the bytes to know (what is refused, and why). `known`: as for
// ir::decodes_unchanged, PeerId bytes the caller knows are valid.
bool admits_unchanged(const bb::Envelope& envelope, const AdmissionPolicy& policy, const ir::KnownPeers& known = {});

// Refusals by label, in a fixed order: the envelope reasons, then the other reasons.
class AdmissionCounts {
 public:
  void record(const Refusal& refusal);
  std::uint64_t total() const;
  // (label, count) for every non-zero count, in the fixed order.
  std::vector<std::pair<std::string, std::uint64_t>> nonzero() const;
  const ir::EnvelopeRejections& envelope() const { return envelope_; }
  AdmissionCounts& operator+=(const AdmissionCounts& other);

 private:
  ir::EnvelopeRejections envelope_;
  std::array<std::uint64_t, 3> other_{};  // kMisaddressed, kUnauthenticated, kNoRecv
};

}  // namespace bb::runtime
