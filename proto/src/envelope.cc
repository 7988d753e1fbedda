#include "bb/ir/envelope.h"

#include <algorithm>
#include <climits>
#include <limits>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/stubs/common.h>

#include "bb/ir/json.h"
#include "bb/ir/wire_format.h"

namespace bb::ir {
namespace {

namespace pb = google::protobuf;

Unexpected<EnvelopeError> fail(EnvelopeReason reason, std::string detail) {
  return unexpected(EnvelopeError{reason, std::move(detail)});
}

std::string payload_prefix(std::size_t index) { return "payload " + std::to_string(index) + ": "; }

// ---- Step 2: a skim of the wire format --------------------------------------------------
//
// Walks the fields of one message without building it. Length-delimited bodies are
// returned as views into the input; groups are skipped with the stream's recursion
// budget. Everything the full parse would allocate in proportion to a count (payload
// values, peer-list entries) is counted here first.

struct Field {
  int number = 0;
  WireType type = WireType::kVarint;
  std::string_view body;  // length-delimited fields only
};

enum class Step { kField, kEnd, kMalformed };

class Skimmer {
 public:
  Skimmer(std::string_view bytes, int max_depth)
      : bytes_(bytes), in_(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size())) {
    in_.SetRecursionLimit(max_depth);
  }

  Step next(Field& field) {
    const std::uint32_t tag = in_.ReadTag();
    if (tag == 0) return in_.ConsumedEntireMessage() ? Step::kEnd : Step::kMalformed;
    field.number = tag_field(tag);
    field.type = tag_type(tag);
    field.body = {};
    if (field.number == 0 || field.type == WireType::kEndGroup) return Step::kMalformed;
    if (field.type != WireType::kLengthDelimited) {
      return skip_field(in_, tag) ? Step::kField : Step::kMalformed;
    }
    std::uint32_t length = 0;
    if (!in_.ReadVarint32(&length)) return Step::kMalformed;
    const auto position = static_cast<std::size_t>(in_.CurrentPosition());
    if (length > bytes_.size() - position) return Step::kMalformed;
    field.body = bytes_.substr(position, length);
    return in_.Skip(static_cast<int>(length)) ? Step::kField : Step::kMalformed;
  }

 private:
  std::string_view bytes_;
  pb::io::CodedInputStream in_;
};

Expected<void, EnvelopeError> malformed(std::string detail) { return fail(EnvelopeReason::kMalformed, std::move(detail)); }

Expected<std::size_t, EnvelopeError> skim_peer_list(std::string_view bytes, const EnvelopeLimits& limits) {
  Skimmer skim(bytes, limits.max_recursion_depth);
  std::size_t peers = 0;
  for (Field field;;) {
    const Step step = skim.next(field);
    if (step == Step::kEnd) return peers;
    if (step == Step::kMalformed) return fail(EnvelopeReason::kMalformed, "peer list is not valid protobuf");
    if (field.number == bb::PeerList::kPeersFieldNumber) ++peers;
  }
}

Expected<void, EnvelopeError> skim_value(std::string_view bytes, std::size_t index, const EnvelopeLimits& limits) {
  Skimmer skim(bytes, limits.max_recursion_depth);
  std::size_t peers = 0;  // peer-list bodies merge when repeated: count them all
  for (Field field;;) {
    const Step step = skim.next(field);
    if (step == Step::kEnd) return {};
    if (step == Step::kMalformed) return malformed(payload_prefix(index) + "value is not valid protobuf");
    if (field.type != WireType::kLengthDelimited) continue;
    if (field.number == bb::Value::kTensorFieldNumber && field.body.size() > limits.max_tensor_bytes) {
      return fail(EnvelopeReason::kTensorTooLarge, payload_prefix(index) + "tensor of " +
                                                       std::to_string(field.body.size()) + " bytes, over the limit of " +
                                                       std::to_string(limits.max_tensor_bytes));
    }
    if (field.number == bb::Value::kStringValueFieldNumber && !valid_utf8(field.body)) {
      return malformed(payload_prefix(index) + "string value is not valid UTF-8");
    }
    if (field.number == bb::Value::kPeerListFieldNumber) {
      auto counted = skim_peer_list(field.body, limits);
      if (!counted) return fail(counted.error().reason, payload_prefix(index) + counted.error().detail);
      peers += *counted;
      if (peers > limits.max_peers_in_list) {
        return fail(EnvelopeReason::kTooManyPeers, payload_prefix(index) + "peer list of more than " +
                                                       std::to_string(limits.max_peers_in_list) + " entries");
      }
    }
  }
}

Expected<void, EnvelopeError> skim_envelope(std::string_view bytes, const EnvelopeLimits& limits) {
  Skimmer skim(bytes, limits.max_recursion_depth);
  std::size_t payloads = 0;
  for (Field field;;) {
    const Step step = skim.next(field);
    if (step == Step::kEnd) return {};
    if (step == Step::kMalformed) return malformed("not a valid protobuf envelope (truncated, bad tag or too deep)");
    if (field.type != WireType::kLengthDelimited) continue;
    if (field.number == bb::Envelope::kChannelFieldNumber && !valid_utf8(field.body)) {
      return malformed("channel is not valid UTF-8");
    }
    if (field.number != bb::Envelope::kPayloadFieldNumber) continue;
    if (++payloads > limits.max_payloads) {
      return fail(EnvelopeReason::kTooManyPayloads,
                  "more than " + std::to_string(limits.max_payloads) + " payload values");
    }
    if (auto checked = skim_value(field.body, payloads - 1, limits); !checked) return checked;
  }
}

// ---- Step 3: field checks ---------------------------------------------------------------

Expected<void, EnvelopeError> check_peer(std::string_view bytes, EnvelopeReason reason, std::string_view what,
                                         const EnvelopeLimits& limits) {
  if (bytes.size() > limits.max_peer_bytes) {
    return fail(reason, std::string(what) + " has " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                            std::to_string(limits.max_peer_bytes));
  }
  auto checked = PeerId::check_bytes(bytes);
  if (!checked) {
    return fail(reason, std::string(what) + " is not a valid PeerId (" + std::string(describe(checked.error())) + ")");
  }
  return {};
}

// How many entries of the typed data field one element takes (complex numbers take two).
int values_per_element(int data_type) {
  return data_type == onnx::TensorProto::COMPLEX64 || data_type == onnx::TensorProto::COMPLEX128 ? 2 : 1;
}

// Bytes per element in raw_data; 0 for STRING (which has no raw form).
std::size_t raw_element_bytes(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::BOOL: return 1;
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: return 2;
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::COMPLEX64: return 8;
    case onnx::TensorProto::COMPLEX128: return 16;
    default: return 0;
  }
}

// The typed field that holds a tensor's values when raw_data is not used.
struct TypedData {
  const char* field;
  int size;
};
TypedData typed_data_for(const onnx::TensorProto& t) {
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::COMPLEX64: return {"float_data", t.float_data_size()};
    case onnx::TensorProto::INT64: return {"int64_data", t.int64_data_size()};
    case onnx::TensorProto::STRING: return {"string_data", t.string_data_size()};
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::COMPLEX128: return {"double_data", t.double_data_size()};
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64: return {"uint64_data", t.uint64_data_size()};
    default: return {"int32_data", t.int32_data_size()};
  }
}

int data_fields_used(const onnx::TensorProto& t) {
  return int{!t.raw_data().empty()} + int{t.float_data_size() > 0} + int{t.int32_data_size() > 0} +
         int{t.string_data_size() > 0} + int{t.int64_data_size() > 0} + int{t.double_data_size() > 0} +
         int{t.uint64_data_size() > 0};
}

Unexpected<EnvelopeError> bad_tensor(std::string detail) {
  return fail(EnvelopeReason::kBadTensor, "tensor " + std::move(detail));
}

// The element count of the dims, refusing negative dims and anything over the limit
// without overflowing (a zero dim makes the count zero whatever the others are).
Expected<std::uint64_t, EnvelopeError> element_count(const onnx::TensorProto& t, const EnvelopeLimits& limits) {
  if (static_cast<std::size_t>(t.dims_size()) > limits.max_tensor_rank) {
    return fail(EnvelopeReason::kTensorTooLarge, "tensor of rank " + std::to_string(t.dims_size()) +
                                                     ", over the limit of " + std::to_string(limits.max_tensor_rank));
  }
  bool zero = false;
  for (const std::int64_t dim : t.dims()) {
    if (dim < 0) return bad_tensor("has a negative dim (" + std::to_string(dim) + ")");
    zero = zero || dim == 0;
  }
  if (zero) return std::uint64_t{0};
  std::uint64_t count = 1;
  for (const std::int64_t dim : t.dims()) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (count > limits.max_tensor_elements / d) {
      return fail(EnvelopeReason::kTensorTooLarge,
                  "tensor declares more than " + std::to_string(limits.max_tensor_elements) + " elements");
    }
    count *= d;
  }
  return count;
}

Expected<void, EnvelopeError> check_tensor_data(const onnx::TensorProto& t, std::uint64_t elements) {
  const int used = data_fields_used(t);
  if (used > 1) return bad_tensor("carries data in more than one field");
  if (!t.raw_data().empty()) {
    const std::size_t element_bytes = raw_element_bytes(t.data_type());
    if (element_bytes == 0) return bad_tensor("of type STRING carries raw_data");
    const std::uint64_t expected = elements * element_bytes;  // ≤ 2^30 · 16 after element_count()
    if (t.raw_data().size() != expected) {
      return bad_tensor("declares " + std::to_string(elements) + " elements but raw_data holds " +
                        std::to_string(t.raw_data().size()) + " bytes (expected " + std::to_string(expected) + ")");
    }
    return {};
  }
  const TypedData data = typed_data_for(t);
  const std::uint64_t expected = elements * static_cast<std::uint64_t>(values_per_element(t.data_type()));
  if (used == 1 && data.size == 0) {
    return bad_tensor("of type " + onnx::TensorProto::DataType_Name(t.data_type()) + " carries its data outside " +
                      data.field);
  }
  if (static_cast<std::uint64_t>(data.size) != expected) {
    return bad_tensor("declares " + std::to_string(elements) + " elements but " + data.field + " holds " +
                      std::to_string(data.size) + " values (expected " + std::to_string(expected) + ")");
  }
  return {};
}

Expected<void, EnvelopeError> check_tensor(const onnx::TensorProto& t, const EnvelopeLimits& limits) {
  if (t.data_type() == onnx::TensorProto::UNDEFINED || !onnx::TensorProto::DataType_IsValid(t.data_type())) {
    return bad_tensor("has an unknown data type (" + std::to_string(t.data_type()) + ")");
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    return bad_tensor("refers to external data, which cannot travel in an envelope");
  }
  if (t.has_segment()) return bad_tensor("is a segment of a larger tensor");
  auto elements = element_count(t, limits);
  if (!elements) return fail(elements.error().reason, elements.error().detail);
  return check_tensor_data(t, *elements);
}

Expected<void, EnvelopeError> with_payload_prefix(Expected<void, EnvelopeError> checked, std::size_t index) {
  if (checked) return checked;
  return fail(checked.error().reason, payload_prefix(index) + checked.error().detail);
}

}  // namespace

std::string_view to_string(EnvelopeReason reason) {
  switch (reason) {
    case EnvelopeReason::kOversized: return "oversized";
    case EnvelopeReason::kMalformed: return "malformed";
    case EnvelopeReason::kBadSchemaVersion: return "bad_schema_version";
    case EnvelopeReason::kTooManyPayloads: return "too_many_payloads";
    case EnvelopeReason::kBadSrcPeer: return "bad_src_peer";
    case EnvelopeReason::kBadDstPeer: return "bad_dst_peer";
    case EnvelopeReason::kChannelTooLong: return "channel_too_long";
    case EnvelopeReason::kBadDeadline: return "bad_deadline";
    case EnvelopeReason::kEmptyValue: return "empty_value";
    case EnvelopeReason::kBadPeer: return "bad_peer";
    case EnvelopeReason::kTooManyPeers: return "too_many_peers";
    case EnvelopeReason::kTensorTooLarge: return "tensor_too_large";
    case EnvelopeReason::kBadTensor: return "bad_tensor";
  }
  return "unknown";
}

std::string describe(const EnvelopeError& error) { return std::string(to_string(error.reason)) + ": " + error.detail; }

std::string encode_envelope(const bb::Envelope& envelope) {
  std::string out;
  out.reserve(envelope.ByteSizeLong());
  pb::io::StringOutputStream stream(&out);
  pb::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  envelope.SerializeWithCachedSizes(&coded);
  coded.Trim();
  return out;
}

Expected<onnx::TensorProto, EnvelopeError> decode_tensor(std::string_view bytes, const EnvelopeLimits& limits) {
  if (bytes.size() > limits.max_tensor_bytes) {
    return fail(EnvelopeReason::kTensorTooLarge, "tensor of " + std::to_string(bytes.size()) +
                                                     " bytes, over the limit of " +
                                                     std::to_string(limits.max_tensor_bytes));
  }
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return bad_tensor("too large for protobuf");
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  in.SetRecursionLimit(limits.max_recursion_depth);
  onnx::TensorProto tensor;
  if (!tensor.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return bad_tensor("bytes are not a serialized onnx.TensorProto");
  }
  if (auto checked = check_tensor(tensor, limits); !checked) return fail(checked.error().reason, checked.error().detail);
  return tensor;
}

Expected<void, EnvelopeError> check_value(const bb::Value& value, std::size_t index, const EnvelopeLimits& limits) {
  switch (value.kind_case()) {
    case bb::Value::KIND_NOT_SET: return fail(EnvelopeReason::kEmptyValue, payload_prefix(index) + "value has no kind");
    case bb::Value::kTensor: {
      auto tensor = decode_tensor(value.tensor(), limits);
      if (!tensor) return fail(tensor.error().reason, payload_prefix(index) + tensor.error().detail);
      return {};
    }
    case bb::Value::kPeer:
      return with_payload_prefix(check_peer(value.peer(), EnvelopeReason::kBadPeer, "peer value", limits), index);
    case bb::Value::kPeerList: {
      const auto& peers = value.peer_list().peers();
      if (static_cast<std::size_t>(peers.size()) > limits.max_peers_in_list) {
        return fail(EnvelopeReason::kTooManyPeers, payload_prefix(index) + "peer list of " +
                                                       std::to_string(peers.size()) + " entries, over the limit of " +
                                                       std::to_string(limits.max_peers_in_list));
      }
      for (int i = 0; i < peers.size(); ++i) {
        auto checked = check_peer(peers[i], EnvelopeReason::kBadPeer, "peer list entry " + std::to_string(i), limits);
        if (!checked) return with_payload_prefix(std::move(checked), index);
      }
      return {};
    }
    default: return {};
  }
}

namespace {

Expected<void, EnvelopeError> check_envelope_fields(const bb::Envelope& envelope, const EnvelopeLimits& limits,
                                                    const KnownPeers& known) {
  if (envelope.schema_version() != kEnvelopeSchemaVersion) {
    return fail(EnvelopeReason::kBadSchemaVersion, "schema_version " + std::to_string(envelope.schema_version()) +
                                                       " (this build speaks " +
                                                       std::to_string(kEnvelopeSchemaVersion) + ")");
  }
  // Bytes equal to a valid PeerId the caller holds are valid (the check reads the bytes
  // alone): within the size limit they pass as check_peer would pass them.
  const auto known_peer = [&](const std::string& bytes, std::string_view valid) {
    return !valid.empty() && bytes.size() <= limits.max_peer_bytes && bytes == valid;
  };
  if (!known_peer(envelope.src_peer(), known.src)) {
    if (auto src = check_peer(envelope.src_peer(), EnvelopeReason::kBadSrcPeer, "src_peer", limits); !src) return src;
  }
  if (!known_peer(envelope.dst_peer(), known.dst)) {
    if (auto dst = check_peer(envelope.dst_peer(), EnvelopeReason::kBadDstPeer, "dst_peer", limits); !dst) return dst;
  }
  if (envelope.channel().size() > limits.max_channel_bytes) {
    return fail(EnvelopeReason::kChannelTooLong, "channel of " + std::to_string(envelope.channel().size()) +
                                                     " bytes, over the limit of " +
                                                     std::to_string(limits.max_channel_bytes));
  }
  if (envelope.deadline_ns() < 0) {
    return fail(EnvelopeReason::kBadDeadline, "negative deadline_ns (" + std::to_string(envelope.deadline_ns()) + ")");
  }
  if (static_cast<std::size_t>(envelope.payload_size()) > limits.max_payloads) {
    return fail(EnvelopeReason::kTooManyPayloads, std::to_string(envelope.payload_size()) +
                                                      " payload values, over the limit of " +
                                                      std::to_string(limits.max_payloads));
  }
  for (int i = 0; i < envelope.payload_size(); ++i) {
    if (auto checked = check_value(envelope.payload(i), static_cast<std::size_t>(i), limits); !checked) return checked;
  }
  return {};
}

}  // namespace

Expected<void, EnvelopeError> check_envelope(const bb::Envelope& envelope, const EnvelopeLimits& limits) {
  return check_envelope_fields(envelope, limits, {});
}

void set_max_envelope_bytes(EnvelopeLimits& limits, std::size_t max_bytes) {
  limits.max_bytes = max_bytes;
  limits.max_tensor_bytes = max_bytes;
  limits.max_tensor_elements = std::max<std::uint64_t>(limits.max_tensor_elements, max_bytes);
}

Expected<void, EnvelopeError> decode_envelope_into(std::string_view bytes, const EnvelopeLimits& limits,
                                                   bb::Envelope& out) {
  if (bytes.size() > limits.max_bytes || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(EnvelopeReason::kOversized, "envelope of " + std::to_string(bytes.size()) +
                                                " bytes, over the limit of " + std::to_string(limits.max_bytes));
  }
  if (auto skimmed = skim_envelope(bytes, limits); !skimmed) return skimmed;
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  in.SetRecursionLimit(limits.max_recursion_depth);
  out.Clear();
  if (!out.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return fail(EnvelopeReason::kMalformed, "not a valid protobuf envelope");
  }
  return check_envelope(out, limits);
}

namespace {

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// At least envelope.ByteSizeLong() for an envelope without unknown fields, without its
// varint arithmetic: every tag with the widest varint after it (11 bytes), the bytes of
// every string. Far below the limits, as nearly every envelope is, it spares the exact size.
std::size_t size_bound(const bb::Envelope& envelope) {
  constexpr std::size_t kField = 11;
  std::size_t n = 8 * kField + envelope.src_peer().size() + envelope.dst_peer().size() + envelope.channel().size();
  for (const bb::Value& value : envelope.payload()) {
    n += 2 * kField;  // the payload's tag and length, then its one field's
    switch (value.kind_case()) {
      case bb::Value::kTensor: n += value.tensor().size(); break;
      case bb::Value::kBytesValue: n += value.bytes_value().size(); break;
      case bb::Value::kStringValue: n += value.string_value().size(); break;
      case bb::Value::kPeer: n += value.peer().size(); break;
      case bb::Value::kPeerList:
        for (const std::string& peer : value.peer_list().peers()) n += kField + peer.size();
        break;
      default: break;  // a varint, or an empty Trigger
    }
  }
  return n;
}

}  // namespace

bool decodes_unchanged(const bb::Envelope& envelope, const EnvelopeLimits& limits, const KnownPeers& known) {
  // Envelope → Value → PeerList: two levels of nesting; 4 leaves a margin.
  constexpr int kNesting = 4;
  if (limits.max_recursion_depth < kNesting || has_unknown_fields(envelope)) return false;
  constexpr auto kIntMax = static_cast<std::size_t>(INT_MAX);
  if (const std::size_t bound = size_bound(envelope); bound > limits.max_bytes || bound > kIntMax) {
    const std::size_t size = envelope.ByteSizeLong();
    if (size > limits.max_bytes || size > kIntMax) return false;
  }
  // ASCII is valid UTF-8 to the skim and to protobuf's parse alike.
  if (!is_ascii(envelope.channel())) return false;
  for (const bb::Value& value : envelope.payload()) {
    if (has_unknown_fields(value)) return false;
    if (value.kind_case() == bb::Value::kStringValue && !is_ascii(value.string_value())) return false;
    if (value.kind_case() == bb::Value::kPeerList && has_unknown_fields(value.peer_list())) return false;
    if (value.kind_case() == bb::Value::kTrigger && has_unknown_fields(value.trigger())) return false;
  }
  // What the skim counts (payloads, peer-list entries, tensor bytes) check_envelope
  // checks too; a serialized envelope parses back to an equal one.
  return static_cast<bool>(check_envelope_fields(envelope, limits, known));
}

Expected<bb::Envelope, EnvelopeError> decode_envelope(std::string_view bytes, const EnvelopeLimits& limits) {
  bb::Envelope envelope;
  if (auto decoded = decode_envelope_into(bytes, limits, envelope); !decoded) {
    return fail(decoded.error().reason, decoded.error().detail);
  }
  return envelope;
}

std::uint64_t EnvelopeRejections::total() const {
  std::uint64_t sum = 0;
  for (const std::uint64_t c : counts_) sum += c;
  return sum;
}

EnvelopeRejections& EnvelopeRejections::operator+=(const EnvelopeRejections& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  return *this;
}

}  // namespace bb::ir
