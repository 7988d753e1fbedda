// The envelope codec (docs/wire.md, docs/security.md): deterministic encoding, and decoding that
// enforces limits before anything is allocated from an attacker-chosen size.
//
// Decoding runs in three steps, cheapest first:
//   1. the byte count against `max_bytes` (nothing parsed yet);
//   2. a skim of the wire format that counts payloads and peer-list entries and
//      measures tensors without building any message (bounded recursion);
//   3. the protobuf parse (bounded recursion), then field checks: schema version,
//      PeerIds, channel length, and every payload value (tensors are parsed as
//      onnx.TensorProto and their element counts checked against their data).
// Every refusal carries a stable reason label and a detail sentence.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>
#include <google/protobuf/metadata_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <onnx/onnx_pb.h>

#include "bb/bb.pb.h"
#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"

namespace bb::ir {

// The only envelope schema this build speaks.
inline constexpr std::uint32_t kEnvelopeSchemaVersion = 1;

// The largest envelope limit a node may set (1 GiB, `--max-envelope-bytes`).
inline constexpr std::size_t kMaxEnvelopeBytesLimit = std::size_t{1} << 30;

struct EnvelopeLimits {
  std::size_t max_bytes = std::size_t{16} << 20;             // whole encoded envelope
  std::size_t max_payloads = 64;                             // Values per envelope
  std::size_t max_tensor_bytes = std::size_t{16} << 20;      // one serialized TensorProto
  std::uint64_t max_tensor_elements = std::uint64_t{1} << 24;  // product of the dims
  std::size_t max_tensor_rank = 32;                          // number of dims
  std::size_t max_peer_bytes = PeerId::kMaxBytes;            // src, dst and peer values
  std::size_t max_channel_bytes = 256;
  std::size_t max_peers_in_list = 1024;                      // entries of one peer-list value
  int max_recursion_depth = 16;                              // protobuf nesting
};

// Sets the envelope limit (at most kMaxEnvelopeBytesLimit: the caller checks) and lets one
// tensor fill it: max_tensor_bytes becomes `max_bytes`, and max_tensor_elements at least
// `max_bytes` (an element with data takes at least a byte).
void set_max_envelope_bytes(EnvelopeLimits& limits, std::size_t max_bytes);

// Why an envelope was refused. The order is fixed: metrics list reasons in it.
enum class EnvelopeReason : std::uint8_t {
  kOversized,         // more bytes than max_bytes (refused before parsing)
  kMalformed,         // not a valid protobuf Envelope (truncated, bad wire type, bad UTF-8, too deep)
  kBadSchemaVersion,  // schema_version is not kEnvelopeSchemaVersion
  kTooManyPayloads,   // more than max_payloads values
  kBadSrcPeer,        // src_peer is not a valid PeerId
  kBadDstPeer,        // dst_peer is not a valid PeerId
  kChannelTooLong,    // channel longer than max_channel_bytes
  kBadDeadline,       // negative deadline_ns
  kEmptyValue,        // a payload Value with no kind set
  kBadPeer,           // a peer value or peer-list entry is not a valid PeerId
  kTooManyPeers,      // a peer list longer than max_peers_in_list
  kTensorTooLarge,    // tensor bytes, rank or element count over the limits
  kBadTensor,         // tensor not parseable, unknown type, data inconsistent with dims
};
inline constexpr std::size_t kEnvelopeReasonCount = 13;
inline constexpr std::array<EnvelopeReason, kEnvelopeReasonCount> kEnvelopeReasons = {
    EnvelopeReason::kOversized,      EnvelopeReason::kMalformed,      EnvelopeReason::kBadSchemaVersion,
    EnvelopeReason::kTooManyPayloads, EnvelopeReason::kBadSrcPeer,    EnvelopeReason::kBadDstPeer,
    EnvelopeReason::kChannelTooLong, EnvelopeReason::kBadDeadline,    EnvelopeReason::kEmptyValue,
    EnvelopeReason::kBadPeer,        EnvelopeReason::kTooManyPeers,   EnvelopeReason::kTensorTooLarge,
    EnvelopeReason::kBadTensor,
};

// Stable label: "oversized", "malformed", "bad_schema_version", "too_many_payloads",
// "bad_src_peer", "bad_dst_peer", "channel_too_long", "bad_deadline", "empty_value",
// "bad_peer", "too_many_peers", "tensor_too_large", "bad_tensor".
std::string_view to_string(EnvelopeReason reason);

struct EnvelopeError {
  EnvelopeReason reason;
  std::string detail;  // one sentence naming the field and the value, e.g. "payload 2: ..."
};

// "<reason>: <detail>".
std::string describe(const EnvelopeError& error);

// Deterministic protobuf bytes (the same envelope always gives the same bytes).
std::string encode_envelope(const bb::Envelope& envelope);

// Decodes and checks against `limits`; nothing that fails a check is returned.
Expected<bb::Envelope, EnvelopeError> decode_envelope(std::string_view bytes, const EnvelopeLimits& limits = {});

// The same into `out` (cleared first), reusing its memory: for hot receive loops. On
// failure `out` holds unspecified contents.
Expected<void, EnvelopeError> decode_envelope_into(std::string_view bytes, const EnvelopeLimits& limits,
                                                   bb::Envelope& out);

// Whether decode_envelope_into(encode_envelope(envelope), limits) would succeed with an
// envelope equal to `envelope`, decided without encoding (for a transport that holds the
// sender's envelope: the simulator). True only when it certainly would: no unknown
// fields, within max_bytes, channel and string values in ASCII, nesting well within
// max_recursion_depth, and check_envelope() passes. False: encode and decode to know
// (what is refused, and why).
//
// `known`: PeerId bytes the caller knows are valid (peers it registered); a src_peer or
// dst_peer equal to them is not parsed again (its size is still checked).
struct KnownPeers {
  std::string_view src, dst;
};
bool decodes_unchanged(const bb::Envelope& envelope, const EnvelopeLimits& limits, const KnownPeers& known = {});

namespace detail {
// A message's metadata word, which protobuf keeps protected in MessageLite (read through
// a pointer to member, as a derived class may).
struct MetadataOf : google::protobuf::MessageLite {
  static const google::protobuf::internal::InternalMetadata& of(const google::protobuf::MessageLite& message) {
    return message.*(&MetadataOf::_internal_metadata_);
  }
};
}  // namespace detail

// Whether a generated message (bb::Envelope, bb::Value, …) holds unknown fields. The
// metadata word says whether a set of them was ever made: nearly always not, which is
// told without the reflection call (about 40 instructions, several per envelope on the
// simulator's path). A set that exists may be empty: reflection says (its type's,
// looked up once: GetReflection() on the message goes through a once-flag every time).
template <class M>
bool has_unknown_fields(const M& message) {
  if (!detail::MetadataOf::of(message).have_unknown_fields()) return false;
  static const google::protobuf::Reflection* const reflection = M::GetReflection();
  return !reflection->GetUnknownFields(message).empty();
}

// The field checks of step 3 on an envelope already in memory (what a sender can run
// before handing an envelope to a transport).
Expected<void, EnvelopeError> check_envelope(const bb::Envelope& envelope, const EnvelopeLimits& limits = {});

// One payload value (`index` only appears in the detail).
Expected<void, EnvelopeError> check_value(const bb::Value& value, std::size_t index, const EnvelopeLimits& limits = {});

// Parses the bytes of a tensor value and checks them: known data type, dims ≥ 0,
// rank and element count within the limits (overflow-safe), exactly one data field
// whose size matches the element count, no external data.
Expected<onnx::TensorProto, EnvelopeError> decode_tensor(std::string_view bytes, const EnvelopeLimits& limits = {});

// Per-reason counters for metrics, in the fixed order of kEnvelopeReasons.
class EnvelopeRejections {
 public:
  void record(EnvelopeReason reason) { ++counts_[static_cast<std::size_t>(reason)]; }
  void record(const EnvelopeError& error) { record(error.reason); }
  std::uint64_t count(EnvelopeReason reason) const { return counts_[static_cast<std::size_t>(reason)]; }
  std::uint64_t total() const;
  const std::array<std::uint64_t, kEnvelopeReasonCount>& counts() const { return counts_; }
  EnvelopeRejections& operator+=(const EnvelopeRejections& other);

 private:
  std::array<std::uint64_t, kEnvelopeReasonCount> counts_{};
};

}  // namespace bb::ir
