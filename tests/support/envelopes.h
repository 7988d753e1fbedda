// Envelopes and tensors for the tests of the wire codec (tests/sim/envelope_test.cc,
// tests/bad_input/envelope_corpus_test.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/bb.pb.h"
#include "bb/ir/envelope.h"
#include "bb/ir/peer_id.h"

namespace bb::testing {

// The wire bytes of the peer `id:<name>`.
inline std::string peer_bytes(std::string_view name) { return PeerId::identity(name).value().bytes(); }

// A valid envelope without payload: alice to bob on channel "grads".
inline bb::Envelope valid_envelope(std::uint64_t incarnation, std::uint64_t message_id) {
  bb::Envelope env;
  env.set_schema_version(ir::kEnvelopeSchemaVersion);
  env.set_src_peer(peer_bytes("alice"));
  env.set_dst_peer(peer_bytes("bob"));
  env.set_incarnation(incarnation);
  env.set_message_id(message_id);
  env.set_channel("grads");
  return env;
}

// A tensor of `data_type` and `dims`, without data.
inline onnx::TensorProto declared_tensor(std::int32_t data_type, const std::vector<std::int64_t>& dims) {
  onnx::TensorProto t;
  t.set_data_type(data_type);
  for (auto d : dims) t.add_dims(d);
  return t;
}

// A FLOAT tensor of `dims` holding 0, 0.5, 1, … in float_data.
inline onnx::TensorProto float_tensor(const std::vector<std::int64_t>& dims) {
  onnx::TensorProto t = declared_tensor(onnx::TensorProto::FLOAT, dims);
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  for (std::int64_t i = 0; i < n; ++i) t.add_float_data(static_cast<float>(i) * 0.5f);
  return t;
}

// Appends `t` to the payload of `env`, encoded.
inline void add_tensor(bb::Envelope& env, const onnx::TensorProto& t) {
  env.add_payload()->set_tensor(t.SerializeAsString());
}

}  // namespace bb::testing
