// A value on a graph edge (docs/ops.md): trigger, tensor, bytes, string, int64, timestamp,
// PeerId, peer list.
//
// 16 bytes: a kind tag and either an inline int64 or a pointer to an immutable,
// reference-counted payload. Copying a value never copies its payload, so gates and
// PassThrough forward tensors for the cost of a counter increment. The counter is not
// atomic: values belong to one node, which is single-threaded.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/bb.pb.h"
#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/runtime/tensor.h"

namespace bb::runtime {

enum class ValueKind : std::uint8_t { kEmpty, kTrigger, kTensor, kBytes, kString, kInt64, kTimestamp, kPeer, kPeerList };
// "empty", "trigger", "tensor", "bytes", "string", "int64", "timestamp", "peer", "peers".
std::string_view to_string(ValueKind kind);

class Value {
 public:
  Value() = default;
  Value(const Value& other) : kind_(other.kind_), u_(other.u_) { retain(); }
  Value(Value&& other) noexcept : kind_(other.kind_), u_(other.u_) { other.kind_ = ValueKind::kEmpty; }
  Value& operator=(const Value& other) {
    if (this != &other) {
      Value copy(other);
      swap(copy);
    }
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    Value moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Value() { release(); }

  static Value trigger() { return Value(ValueKind::kTrigger, std::int64_t{0}); }
  static Value int64(std::int64_t v) { return Value(ValueKind::kInt64, v); }
  static Value timestamp(std::int64_t ns) { return Value(ValueKind::kTimestamp, ns); }
  static Value bytes(std::string data);
  static Value string(std::string text);
  static Value tensor(Tensor tensor);
  static Value peer(PeerId peer);
  static Value peer_list(std::vector<PeerId> peers);

  ValueKind kind() const { return kind_; }
  bool has_value() const { return kind_ != ValueKind::kEmpty; }
  void reset() {
    release();
    kind_ = ValueKind::kEmpty;
  }

  // Accessors: the caller checks kind() first.
  std::int64_t as_int() const { return u_.i; }                // kInt64, kTimestamp
  const std::string& as_bytes() const;                        // kBytes, kString
  const Tensor& as_tensor() const;                            // kTensor
  const PeerId& as_peer() const;                              // kPeer
  const std::vector<PeerId>& as_peer_list() const;            // kPeerList
  // True when both share one payload (a forwarded value).
  bool same_payload(const Value& other) const { return kind_ == other.kind_ && u_.i == other.u_.i; }

  void swap(Value& other) noexcept {
    std::swap(kind_, other.kind_);
    std::swap(u_, other.u_);
  }

  struct Payload {
    mutable std::uint32_t refs = 1;
    virtual ~Payload() = default;
  };

 private:
  Value(ValueKind kind, std::int64_t i) : kind_(kind) { u_.i = i; }
  Value(ValueKind kind, const Payload* p) : kind_(kind) { u_.p = p; }
  // The kinds that hold a payload, one bit each: every copy, move and reset on the
  // dispatch path asks, and a shift and a test cost less than five compares.
  static constexpr std::uint32_t kBoxed =
      1u << static_cast<unsigned>(ValueKind::kTensor) | 1u << static_cast<unsigned>(ValueKind::kBytes) |
      1u << static_cast<unsigned>(ValueKind::kString) | 1u << static_cast<unsigned>(ValueKind::kPeer) |
      1u << static_cast<unsigned>(ValueKind::kPeerList);
  bool boxed() const { return (kBoxed >> static_cast<unsigned>(kind_) & 1u) != 0; }
  void retain() const {
    if (boxed()) ++u_.p->refs;
  }
  void release() {
    if (boxed() && --u_.p->refs == 0) delete u_.p;
  }

  ValueKind kind_ = ValueKind::kEmpty;
  union {
    std::int64_t i;
    const Payload* p;
  } u_{0};
};

// One line a person can read: `int64 42`, `tensor float[2,3]`, `string "hi"`,
// `peers [id:a, id:b]`, `timestamp 10ms`, `bytes (5 B)`, `trigger`.
std::string describe(const Value& value);
// The same, with a tensor's first `max_elements` elements in row-major order:
// `tensor float[2,3] [1, 2.5, -3, 4, 5, 6]`, `tensor int64[1000] [0, 1, 2, …] (1000 elements)`.
// What Log prints.
std::string describe_values(const Value& value, std::size_t max_elements = 8);

// To and from the envelope's Value (docs/wire.md): a tensor travels as the deterministic
// bytes of its TensorProto (tensor_proto.h). from_wire checks PeerIds and tensor bytes.
void to_wire(const Value& value, bb::Value& out);
Expected<Value, std::string> from_wire(const bb::Value& value);

}  // namespace bb::runtime
