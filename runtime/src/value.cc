#include "bb/runtime/value.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bb/ir/duration.h"
#include "bb/ir/model_io.h"
#include "bb/runtime/tensor_proto.h"

namespace bb::runtime {
namespace {

struct BytesPayload final : Value::Payload {
  explicit BytesPayload(std::string d) : data(std::move(d)) {}
  std::string data;
};
// Every compute dispatch makes one: they come from a per-thread free list (values
// belong to one node, a node to one thread), so a kernel's output costs no heap
// allocation in steady state. The list keeps at most kMaxFree.
struct TensorPayload final : Value::Payload {
  explicit TensorPayload(Tensor t) : tensor(std::move(t)) {}
  Tensor tensor;

  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;
};

// The list's state on this thread: values that outlive it (statics destroyed after the
// thread's thread_locals) go straight back to the heap.
enum class PoolState : std::uint8_t { kUnused, kAlive, kGone };
thread_local PoolState g_pool_state = PoolState::kUnused;

struct FreePayloads {
#if defined(__SANITIZE_ADDRESS__)
  static constexpr std::size_t kMaxFree = 0;  // ASan sees every use after free
#else
  static constexpr std::size_t kMaxFree = 4096;
#endif
  std::vector<void*> free;
  FreePayloads() { g_pool_state = PoolState::kAlive; }
  ~FreePayloads() {
    g_pool_state = PoolState::kGone;
    for (void* p : free) ::operator delete(p);
  }
};
thread_local FreePayloads g_free_payloads;

void* TensorPayload::operator new(std::size_t size) {
  if (g_pool_state == PoolState::kGone || size != sizeof(TensorPayload)) return ::operator new(size);
  auto& list = g_free_payloads.free;
  if (list.empty()) return ::operator new(size);
  void* p = list.back();
  list.pop_back();
  return p;
}

void TensorPayload::operator delete(void* p, std::size_t size) noexcept {
  if (g_pool_state != PoolState::kAlive || size != sizeof(TensorPayload) ||
      g_free_payloads.free.size() >= FreePayloads::kMaxFree) {
    ::operator delete(p);
    return;
  }
  try {
    g_free_payloads.free.push_back(p);
  } catch (...) {
    ::operator delete(p);
  }
}
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
    case ValueKind::kTensor: return "tensor " + tensor_shape(value.as_tensor());
    case ValueKind::kBytes: return "bytes (" + std::to_string(value.as_bytes().size()) + " B)";
    case ValueKind::kString: {
      std::string out = "string \"";
      for (unsigned char c : value.as_bytes().substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
      return out + (value.as_bytes().size() > 200 ? "\"…" : "\"");
    }
    case ValueKind::kInt64: return "int64 " + std::to_string(value.as_int());
    case ValueKind::kTimestamp: return "timestamp " + format_time(value.as_int());
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

namespace {

std::uint32_t half_bits_to_float_bits(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0x1f) return sign | 0x7f800000u | (mantissa << 13);  // inf, NaN
  if (exponent == 0) {
    if (mantissa == 0) return sign;
    exponent = 127 - 15 + 1;  // subnormal: normalise
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    return sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  return sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
}

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

// Element i of `t` as text.
std::string element_text(const Tensor& t, std::size_t i) {
  const void* raw = t.raw();
  switch (t.dtype()) {
    case DType::kFloat: return number_text(static_cast<const float*>(raw)[i]);
    case DType::kDouble: return number_text(static_cast<const double*>(raw)[i]);
    case DType::kFloat16:
    case DType::kBfloat16: {
      const std::uint16_t bits = static_cast<const std::uint16_t*>(raw)[i];
      const std::uint32_t f = t.dtype() == DType::kFloat16 ? half_bits_to_float_bits(bits)
                                                           : static_cast<std::uint32_t>(bits) << 16;
      float v;
      std::memcpy(&v, &f, sizeof v);
      return number_text(v);
    }
    case DType::kInt8: return std::to_string(static_cast<const std::int8_t*>(raw)[i]);
    case DType::kInt16: return std::to_string(static_cast<const std::int16_t*>(raw)[i]);
    case DType::kInt32: return std::to_string(static_cast<const std::int32_t*>(raw)[i]);
    case DType::kInt64: return std::to_string(static_cast<const std::int64_t*>(raw)[i]);
    case DType::kUint8: return std::to_string(static_cast<const std::uint8_t*>(raw)[i]);
    case DType::kUint16: return std::to_string(static_cast<const std::uint16_t*>(raw)[i]);
    case DType::kUint32: return std::to_string(static_cast<const std::uint32_t*>(raw)[i]);
    case DType::kUint64: return std::to_string(static_cast<const std::uint64_t*>(raw)[i]);
    case DType::kBool: return static_cast<const bool*>(raw)[i] ? "true" : "false";
    case DType::kString: return describe(Value::string(static_cast<const std::string*>(raw)[i])).substr(7);
    case DType::kUndefined: break;
  }
  return "?";
}

}  // namespace

std::string describe_values(const Value& value, std::size_t max_elements) {
  std::string out = describe(value);
  if (value.kind() != ValueKind::kTensor) return out;
  const Tensor& t = value.as_tensor();
  if (!t.defined()) return out;
  const auto n = static_cast<std::size_t>(t.size());
  out += " [";
  for (std::size_t i = 0; i < n && i < max_elements; ++i) out += (i ? ", " : "") + element_text(t, i);
  if (n > max_elements) out += ", …] (" + std::to_string(n) + " elements)";
  else out += "]";
  return out;
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
