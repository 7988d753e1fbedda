#include "bb/runtime/value.h"

#include <array>
#include <sstream>

#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/tensor_proto.h"

namespace bb::runtime {
namespace {

struct BytesPayload final : Value::Payload {
  explicit BytesPayload(std::string d) : data(std::move(d)) {}
  std::string data;
};
struct TensorPayload final : Value::Payload {
  explicit TensorPayload(Tensor t) : tensor(std::move(t)) {}
  Tensor tensor;
};
struct PeerPayload final : Value::Payload {
  explicit PeerPayload(PeerId p) : peer(std::move(p)) {}
  PeerId peer;
};
struct PeerListPayload final : Value::Payload {
  explicit PeerListPayload(std::vector<PeerId> p) : peers(std::move(p)) {}
  std::vector<PeerId> peers;
};

constexpr std::array<std::string_view, 9> kKindNames{"empty", "trigger", "tensor", "bytes",   "string",
                                                     "int64", "timestamp", "peer", "peers"};

std::string tensor_shape(const Tensor& t) { return to_string(t.dtype()) + shape_text(t.shape()); }

// The elements of a small numeric tensor, " {1, 2.5, 3}" (Log shows what moves);
// empty for larger tensors and other element types.
constexpr std::int64_t kDescribedElements = 16;

template <class T>
std::string elements_of(const Tensor& t) {
  std::ostringstream out;
  out << " {";
  const auto values = t.values<T>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out << ", ";
    if constexpr (sizeof(T) == 1) out << static_cast<int>(values[i]); else out << values[i];
  }
  out << '}';
  return out.str();
}

std::string tensor_elements(const Tensor& t) {
  if (t.size() > kDescribedElements) return {};
  switch (t.dtype()) {
    case DType::kFloat: return elements_of<float>(t);
    case DType::kDouble: return elements_of<double>(t);
    case DType::kInt32: return elements_of<std::int32_t>(t);
    case DType::kInt64: return elements_of<std::int64_t>(t);
    case DType::kInt8: return elements_of<std::int8_t>(t);
    case DType::kUint8: return elements_of<std::uint8_t>(t);
    case DType::kBool: return elements_of<bool>(t);
    default: return {};
  }
}

}  // namespace

std::string_view to_string(ValueKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

Value Value::bytes(std::string data) { return Value(ValueKind::kBytes, new BytesPayload(std::move(data))); }
Value Value::string(std::string text) { return Value(ValueKind::kString, new BytesPayload(std::move(text))); }
Value Value::tensor(Tensor tensor) {
  return Value(ValueKind::kTensor, new TensorPayload(std::move(tensor)));
}
Value Value::peer(PeerId peer) { return Value(ValueKind::kPeer, new PeerPayload(std::move(peer))); }
Value Value::peer_list(std::vector<PeerId> peers) {
  return Value(ValueKind::kPeerList, new PeerListPayload(std::move(peers)));
}

const std::string& Value::as_bytes() const { return static_cast<const BytesPayload*>(u_.p)->data; }
const Tensor& Value::as_tensor() const { return static_cast<const TensorPayload*>(u_.p)->tensor; }
const PeerId& Value::as_peer() const { return static_cast<const PeerPayload*>(u_.p)->peer; }
const std::vector<PeerId>& Value::as_peer_list() const { return static_cast<const PeerListPayload*>(u_.p)->peers; }

std::string describe(const Value& value) {
  switch (value.kind()) {
    case ValueKind::kEmpty: return "empty";
    case ValueKind::kTrigger: return "trigger";
    case ValueKind::kTensor: return "tensor " + tensor_shape(value.as_tensor()) + tensor_elements(value.as_tensor());
    case ValueKind::kBytes: return "bytes (" + std::to_string(value.as_bytes().size()) + " B)";
    case ValueKind::kString: {
      std::string out = "string \"";
      for (unsigned char c : value.as_bytes().substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
      return out + (value.as_bytes().size() > 200 ? "\"…" : "\"");
    }
    case ValueKind::kInt64: return "int64 " + std::to_string(value.as_int());
    case ValueKind::kTimestamp: return "timestamp " + format_duration(value.as_int());
    case ValueKind::kPeer: return "peer " + value.as_peer().to_text();
    case ValueKind::kPeerList: {
      std::string out = "peers [";
      const auto& peers = value.as_peer_list();
      for (std::size_t i = 0; i < peers.size(); ++i) out += (i ? ", " : "") + peers[i].to_text();
      return out + "]";
    }
  }
  return "unknown";
}

void to_wire(const Value& value, bb::Value& out) {
  switch (value.kind()) {
    case ValueKind::kEmpty:
    case ValueKind::kTrigger: out.mutable_trigger(); break;
    case ValueKind::kTensor: out.set_tensor(ir::serialize_deterministic(to_proto(value.as_tensor()))); break;
    case ValueKind::kBytes: out.set_bytes_value(value.as_bytes()); break;
    case ValueKind::kString: out.set_string_value(value.as_bytes()); break;
    case ValueKind::kInt64: out.set_int64_value(value.as_int()); break;
    case ValueKind::kTimestamp: out.set_timestamp_ns(value.as_int()); break;
    case ValueKind::kPeer: out.set_peer(value.as_peer().bytes()); break;
    case ValueKind::kPeerList: {
      auto* list = out.mutable_peer_list();
      for (const auto& p : value.as_peer_list()) list->add_peers(p.bytes());
      break;
    }
  }
}

Expected<Value, std::string> from_wire(const bb::Value& value) {
  switch (value.kind_case()) {
    case bb::Value::kTrigger: return Value::trigger();
    case bb::Value::kTensor: {
      onnx::TensorProto tensor;
      if (!tensor.ParseFromString(value.tensor())) return unexpected(std::string("tensor bytes are not a TensorProto"));
      auto converted = from_proto(tensor);
      if (!converted) return unexpected(std::move(converted.error()));
      return Value::tensor(std::move(*converted));
    }
    case bb::Value::kBytesValue: return Value::bytes(value.bytes_value());
    case bb::Value::kStringValue: return Value::string(value.string_value());
    case bb::Value::kInt64Value: return Value::int64(value.int64_value());
    case bb::Value::kTimestampNs: return Value::timestamp(value.timestamp_ns());
    case bb::Value::kPeer: {
      auto peer = PeerId::from_bytes(value.peer());
      if (!peer) return unexpected("peer value: " + std::string(describe(peer.error())));
      return Value::peer(std::move(*peer));
    }
    case bb::Value::kPeerList: {
      std::vector<PeerId> peers;
      peers.reserve(static_cast<std::size_t>(value.peer_list().peers_size()));
      for (const auto& bytes : value.peer_list().peers()) {
        auto peer = PeerId::from_bytes(bytes);
        if (!peer) return unexpected("peer list entry: " + std::string(describe(peer.error())));
        peers.push_back(std::move(*peer));
      }
      return Value::peer_list(std::move(peers));
    }
    case bb::Value::KIND_NOT_SET: break;
  }
  return unexpected(std::string("value without a kind"));
}

}  // namespace bb::runtime
