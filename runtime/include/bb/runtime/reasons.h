// Stable reason labels (docs/runtime.md): why a node was denied or failed, why an envelope
// was dropped. Kernels and state return the enum; output uses the label.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bb::runtime {

enum class Reason : std::uint8_t {
  kNone = 0,        // allowed / no error
  kCooldown,        // the peer is in backoff cooldown
  kBlocklisted,     // the peer is on the blocklist
  kNotAllowlisted,  // an allowlist is set and the peer is not on it
  kDuplicate,       // the dedup gate saw this envelope before
  kNoPeers,         // a filtering gate denied every peer of its list
  kUnreachable,     // send outcome
  kTimeout,         // send outcome
  kRejected,        // send outcome
  kAdvised,         // send outcome: the peer asked us to back off
  kShapeMismatch,   // Aggregate: shape or type changed within a round
  kArityMismatch,   // Recv: payload count differs from the Recv's outputs
  kBadInput,        // a kernel got a value of the wrong kind
  kTypeMismatch,    // a compute kernel got a tensor of an element type it does not take
  kInvalidValue,    // a compute kernel's input is out of its domain (an index out of range, a bad shape)
  kReplay,          // the dedup gate: a message id below the stream's window (too old to tell apart)
  kInternal,        // a bug: should never be seen
};
inline constexpr int kReasonCount = static_cast<int>(Reason::kInternal) + 1;

// "cooldown", "blocklisted", "not_allowlisted", "duplicate", "no_peers", "unreachable",
// "timeout", "rejected", "advised", "shape_mismatch", "arity_mismatch", "bad_input",
// "type_mismatch", "invalid_value", "replay", "internal"; "" for kNone.
std::string_view to_string(Reason reason);
std::optional<Reason> reason_from_string(std::string_view label);

}  // namespace bb::runtime
