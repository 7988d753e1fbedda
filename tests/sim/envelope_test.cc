// The envelope codec: round trips, every rejection reason, limits before parsing, and
// random bytes never crash the decoder.
#include "bb/ir/envelope.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include <google/protobuf/util/message_differencer.h>

#include "../support/envelopes.h"

namespace bb::ir {
namespace {

using bb::testing::add_tensor;
using bb::testing::float_tensor;
using bb::testing::peer_bytes;

bb::Envelope make_envelope() {
  bb::Envelope env = bb::testing::valid_envelope(3, 42);
  env.set_deadline_ns(250'000'000);
  return env;
}

EnvelopeReason reject(const bb::Envelope& env, const EnvelopeLimits& limits = {}) {
  auto decoded = decode_envelope(encode_envelope(env), limits);
  EXPECT_FALSE(decoded.has_value()) << "accepted: " << env.ShortDebugString();
  return decoded ? EnvelopeReason::kMalformed : decoded.error().reason;
}

EnvelopeReason reject_bytes(std::string_view bytes, const EnvelopeLimits& limits = {}) {
  auto decoded = decode_envelope(bytes, limits);
  EXPECT_FALSE(decoded.has_value());
  return decoded ? EnvelopeReason::kOversized : decoded.error().reason;
}

EnvelopeReason reject_tensor(const onnx::TensorProto& t, const EnvelopeLimits& limits = {}) {
  bb::Envelope env = make_envelope();
  add_tensor(env, t);
  return reject(env, limits);
}

TEST(Envelope, RoundTripsEveryValueKind) {
  bb::Envelope env = make_envelope();
  env.add_payload()->mutable_trigger();
  add_tensor(env, float_tensor({2, 3}));
  env.add_payload()->set_bytes_value(std::string("\x00\xff\x10", 3));
  env.add_payload()->set_string_value("héllo");
  env.add_payload()->set_int64_value(-7);
  env.add_payload()->set_timestamp_ns(123456789);
  env.add_payload()->set_peer(peer_bytes("carol"));
  auto* list = env.add_payload()->mutable_peer_list();
  list->add_peers(peer_bytes("dave"));
  list->add_peers(peer_bytes("erin"));

  const std::string bytes = encode_envelope(env);
  EXPECT_EQ(bytes, encode_envelope(env)) << "encoding is deterministic";
  auto decoded = decode_envelope(bytes);
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*decoded, env));
  EXPECT_EQ(encode_envelope(*decoded), bytes);
}

TEST(Envelope, EmptyPayloadListIsValid) {
  auto decoded = decode_envelope(encode_envelope(make_envelope()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload_size(), 0);
}

TEST(Envelope, OversizedIsRefusedBeforeParsing) {
  EnvelopeLimits limits;
  limits.max_bytes = 64;
  // Not protobuf at all: a parse would say "malformed"; the size check comes first.
  EXPECT_EQ(reject_bytes(std::string(65, '\xff'), limits), EnvelopeReason::kOversized);
  bb::Envelope env = make_envelope();
  env.add_payload()->set_bytes_value(std::string(100, 'x'));
  EXPECT_EQ(reject(env, limits), EnvelopeReason::kOversized);
  limits.max_bytes = encode_envelope(env).size();
  EXPECT_TRUE(decode_envelope(encode_envelope(env), limits)) << "exactly at the limit passes";
}

TEST(Envelope, MalformedBytes) {
  const std::string good = encode_envelope(make_envelope());
  EXPECT_EQ(reject_bytes(good.substr(0, good.size() - 2)), EnvelopeReason::kMalformed);
  EXPECT_EQ(reject_bytes("\xff\xff\xff"), EnvelopeReason::kMalformed);
  EXPECT_EQ(reject_bytes(std::string("\x00", 1)), EnvelopeReason::kMalformed) << "field number 0";
  // Length-delimited field whose length runs past the end.
  EXPECT_EQ(reject_bytes(std::string("\x32\x10zz", 4)), EnvelopeReason::kMalformed);
  // A stray end-group tag.
  EXPECT_EQ(reject_bytes(good + "\x0c"), EnvelopeReason::kMalformed);
}

TEST(Envelope, InvalidUtf8IsMalformed) {
  bb::Envelope env = make_envelope();
  env.set_channel("ok");
  std::string bytes = encode_envelope(env);
  const auto at = bytes.find("ok");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xc3';  // a lead byte without its continuation
  bytes[at + 1] = 'x';
  EXPECT_EQ(reject_bytes(bytes), EnvelopeReason::kMalformed);

  bb::Envelope with_string = make_envelope();
  with_string.add_payload()->set_string_value("ab");
  bytes = encode_envelope(with_string);
  bytes[bytes.rfind("ab")] = '\xff';
  EXPECT_EQ(reject_bytes(bytes), EnvelopeReason::kMalformed);
}

TEST(Envelope, DeepNestingIsBounded) {
  // Unknown field 15 as nested groups, 1000 deep: the recursion limit stops the skim.
  std::string bytes = encode_envelope(make_envelope());
  for (int i = 0; i < 1000; ++i) bytes += '\x7b';  // start group, field 15
  for (int i = 0; i < 1000; ++i) bytes += '\x7c';  // end group, field 15
  EXPECT_EQ(reject_bytes(bytes), EnvelopeReason::kMalformed);
  // Shallow unknown groups are ignored (forward compatibility).
  std::string shallow = encode_envelope(make_envelope()) + "\x7b\x7c";
  EXPECT_TRUE(decode_envelope(shallow));
}

TEST(Envelope, BadSchemaVersion) {
  bb::Envelope env = make_envelope();
  env.set_schema_version(2);
  EXPECT_EQ(reject(env), EnvelopeReason::kBadSchemaVersion);
  env.set_schema_version(0);
  EXPECT_EQ(reject(env), EnvelopeReason::kBadSchemaVersion);
}

TEST(Envelope, TooManyPayloadsIsCountedBeforeParsing) {
  EnvelopeLimits limits;
  limits.max_payloads = 4;
  bb::Envelope env = make_envelope();
  for (int i = 0; i < 4; ++i) env.add_payload()->mutable_trigger();
  EXPECT_TRUE(decode_envelope(encode_envelope(env), limits));
  env.add_payload()->mutable_trigger();
  EXPECT_EQ(reject(env, limits), EnvelopeReason::kTooManyPayloads);
  // check_envelope enforces the same limit on an envelope in memory.
  auto checked = check_envelope(env, limits);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().reason, EnvelopeReason::kTooManyPayloads);
  // Many tiny payloads: refused by the skim, before any Value is built.
  std::string bytes = encode_envelope(make_envelope());
  for (int i = 0; i < 100000; ++i) bytes += std::string("\x3a\x00", 2);
  EXPECT_EQ(reject_bytes(bytes), EnvelopeReason::kTooManyPayloads);
}

TEST(Envelope, BadSourceAndDestinationPeers) {
  bb::Envelope env = make_envelope();
  env.set_src_peer("");
  EXPECT_EQ(reject(env), EnvelopeReason::kBadSrcPeer);
  env.set_src_peer("\x05\x01x");  // unsupported multihash code
  EXPECT_EQ(reject(env), EnvelopeReason::kBadSrcPeer);
  env.set_src_peer(std::string(PeerId::kMaxBytes + 1, '\0'));
  auto decoded = decode_envelope(encode_envelope(env));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().reason, EnvelopeReason::kBadSrcPeer);
  EXPECT_NE(decoded.error().detail.find("over the limit"), std::string::npos) << decoded.error().detail;

  env = make_envelope();
  env.set_dst_peer(std::string("\x00\x05" "ab", 4));  // length mismatch
  EXPECT_EQ(reject(env), EnvelopeReason::kBadDstPeer);
}

TEST(Envelope, ChannelTooLong) {
  EnvelopeLimits limits;
  limits.max_channel_bytes = 8;
  bb::Envelope env = make_envelope();
  env.set_channel("12345678");
  EXPECT_TRUE(decode_envelope(encode_envelope(env), limits));
  env.set_channel("123456789");
  EXPECT_EQ(reject(env, limits), EnvelopeReason::kChannelTooLong);
}

TEST(Envelope, NegativeDeadline) {
  bb::Envelope env = make_envelope();
  env.set_deadline_ns(-1);
  EXPECT_EQ(reject(env), EnvelopeReason::kBadDeadline);
}

TEST(Envelope, EmptyValue) {
  bb::Envelope env = make_envelope();
  env.add_payload()->set_int64_value(1);
  env.add_payload();
  auto decoded = decode_envelope(encode_envelope(env));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().reason, EnvelopeReason::kEmptyValue);
  EXPECT_NE(decoded.error().detail.find("payload 1"), std::string::npos) << decoded.error().detail;
}

TEST(Envelope, BadPeerValues) {
  bb::Envelope env = make_envelope();
  env.add_payload()->set_peer("\x12\x05short");  // sha2-256 must be 32 bytes
  EXPECT_EQ(reject(env), EnvelopeReason::kBadPeer);
  env = make_envelope();
  auto* list = env.add_payload()->mutable_peer_list();
  list->add_peers(peer_bytes("ok"));
  list->add_peers("");
  auto decoded = decode_envelope(encode_envelope(env));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().reason, EnvelopeReason::kBadPeer);
  EXPECT_NE(decoded.error().detail.find("entry 1"), std::string::npos) << decoded.error().detail;
}

TEST(Envelope, TooManyPeersInAList) {
  EnvelopeLimits limits;
  limits.max_peers_in_list = 3;
  bb::Envelope env = make_envelope();
  auto* list = env.add_payload()->mutable_peer_list();
  for (int i = 0; i < 3; ++i) list->add_peers(peer_bytes("p" + std::to_string(i)));
  EXPECT_TRUE(decode_envelope(encode_envelope(env), limits));
  list->add_peers(peer_bytes("p3"));
  EXPECT_EQ(reject(env, limits), EnvelopeReason::kTooManyPeers);
  auto checked = check_envelope(env, limits);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().reason, EnvelopeReason::kTooManyPeers);
}

TEST(Envelope, TensorsPassWhenConsistent) {
  bb::Envelope env = make_envelope();
  add_tensor(env, float_tensor({4, 5}));
  onnx::TensorProto raw;
  raw.set_data_type(onnx::TensorProto::INT64);
  raw.add_dims(3);
  raw.set_raw_data(std::string(24, '\1'));
  add_tensor(env, raw);
  onnx::TensorProto complex;
  complex.set_data_type(onnx::TensorProto::COMPLEX64);
  complex.add_dims(2);
  for (int i = 0; i < 4; ++i) complex.add_float_data(1.0f);
  add_tensor(env, complex);
  onnx::TensorProto strings;
  strings.set_data_type(onnx::TensorProto::STRING);
  strings.add_dims(2);
  strings.add_string_data("a");
  strings.add_string_data("b");
  add_tensor(env, strings);
  onnx::TensorProto scalar;  // rank 0: one element
  scalar.set_data_type(onnx::TensorProto::INT32);
  scalar.add_int32_data(9);
  add_tensor(env, scalar);
  onnx::TensorProto empty;  // a zero dim makes it empty, whatever the other dims say
  empty.set_data_type(onnx::TensorProto::FLOAT);
  empty.add_dims(std::int64_t{1} << 62);
  empty.add_dims(0);
  add_tensor(env, empty);
  auto decoded = decode_envelope(encode_envelope(env));
  EXPECT_TRUE(decoded) << describe(decoded.error());
}

TEST(Envelope, TensorTooLarge) {
  onnx::TensorProto huge;  // 2^40 elements declared, no data: refused on the count
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(std::int64_t{1} << 20);
  huge.add_dims(std::int64_t{1} << 20);
  EXPECT_EQ(reject_tensor(huge), EnvelopeReason::kTensorTooLarge);

  onnx::TensorProto overflow;  // the product wraps around 2^64: still refused
  overflow.set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < 3; ++i) overflow.add_dims(std::int64_t{1} << 62);
  EXPECT_EQ(reject_tensor(overflow), EnvelopeReason::kTensorTooLarge);

  EnvelopeLimits limits;
  limits.max_tensor_rank = 2;
  EXPECT_EQ(reject_tensor(float_tensor({1, 1, 1}), limits), EnvelopeReason::kTensorTooLarge);

  limits = {};
  limits.max_tensor_bytes = 16;
  EXPECT_EQ(reject_tensor(float_tensor({10}), limits), EnvelopeReason::kTensorTooLarge);
  auto direct = decode_tensor(float_tensor({10}).SerializeAsString(), limits);
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().reason, EnvelopeReason::kTensorTooLarge);

  limits = {};
  limits.max_tensor_elements = 10;
  EXPECT_TRUE(decode_tensor(float_tensor({2, 5}).SerializeAsString(), limits));
  EXPECT_EQ(reject_tensor(float_tensor({11}), limits), EnvelopeReason::kTensorTooLarge);
}

TEST(Envelope, BadTensors) {
  bb::Envelope env = make_envelope();
  env.add_payload()->set_tensor("\xff\xff\xff");
  EXPECT_EQ(reject(env), EnvelopeReason::kBadTensor) << "not a TensorProto";

  onnx::TensorProto t = float_tensor({2});
  t.set_data_type(99);
  EXPECT_EQ(reject_tensor(t), EnvelopeReason::kBadTensor) << "unknown data type";
  t.set_data_type(onnx::TensorProto::UNDEFINED);
  EXPECT_EQ(reject_tensor(t), EnvelopeReason::kBadTensor) << "undefined data type";

  t = float_tensor({3});
  t.add_float_data(1.0f);
  EXPECT_EQ(reject_tensor(t), EnvelopeReason::kBadTensor) << "4 values for 3 elements";

  onnx::TensorProto raw;
  raw.set_data_type(onnx::TensorProto::FLOAT);
  raw.add_dims(4);
  raw.set_raw_data(std::string(15, '\0'));
  EXPECT_EQ(reject_tensor(raw), EnvelopeReason::kBadTensor) << "raw_data size mismatch";

  onnx::TensorProto no_data;
  no_data.set_data_type(onnx::TensorProto::FLOAT);
  no_data.add_dims(2);
  EXPECT_EQ(reject_tensor(no_data), EnvelopeReason::kBadTensor) << "elements without data";

  onnx::TensorProto negative = float_tensor({2});
  negative.add_dims(-1);
  EXPECT_EQ(reject_tensor(negative), EnvelopeReason::kBadTensor);

  onnx::TensorProto two_fields = float_tensor({1});
  two_fields.set_raw_data(std::string(4, '\0'));
  EXPECT_EQ(reject_tensor(two_fields), EnvelopeReason::kBadTensor);

  onnx::TensorProto wrong_field;
  wrong_field.set_data_type(onnx::TensorProto::INT64);
  wrong_field.add_dims(1);
  wrong_field.add_float_data(1.0f);
  EXPECT_EQ(reject_tensor(wrong_field), EnvelopeReason::kBadTensor);

  onnx::TensorProto string_raw;
  string_raw.set_data_type(onnx::TensorProto::STRING);
  string_raw.add_dims(1);
  string_raw.set_raw_data("x");
  EXPECT_EQ(reject_tensor(string_raw), EnvelopeReason::kBadTensor);

  onnx::TensorProto external = float_tensor({1});
  external.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(reject_tensor(external), EnvelopeReason::kBadTensor);
}

TEST(EnvelopeRejections, CountsPerReasonInAFixedOrder) {
  std::set<std::string_view> labels;
  for (std::size_t i = 0; i < kEnvelopeReasons.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kEnvelopeReasons[i]), i) << "the list follows the enum";
    EXPECT_NE(to_string(kEnvelopeReasons[i]), "unknown");
    labels.insert(to_string(kEnvelopeReasons[i]));
  }
  EXPECT_EQ(labels.size(), kEnvelopeReasonCount) << "labels are unique";

  EnvelopeRejections counts;
  counts.record(EnvelopeReason::kMalformed);
  counts.record(EnvelopeReason::kMalformed);
  counts.record(decode_envelope(std::string(EnvelopeLimits{}.max_bytes + 1, 'x')).error());
  EXPECT_EQ(counts.count(EnvelopeReason::kMalformed), 2u);
  EXPECT_EQ(counts.count(EnvelopeReason::kOversized), 1u);
  EXPECT_EQ(counts.total(), 3u);
  EnvelopeRejections more;
  more.record(EnvelopeReason::kBadTensor);
  counts += more;
  EXPECT_EQ(counts.total(), 4u);
  EXPECT_EQ(counts.counts()[static_cast<std::size_t>(EnvelopeReason::kBadTensor)], 1u);
}

RC_GTEST_PROP(EnvelopeProperty, RandomBytesNeverCrash, (const std::string& bytes)) {
  EnvelopeLimits limits;
  limits.max_bytes = 4096;
  auto decoded = decode_envelope(bytes, limits);
  if (decoded) {
    // Whatever passes the checks passes them again after a round trip.
    RC_ASSERT(check_envelope(*decoded, limits).has_value());
    auto again = decode_envelope(encode_envelope(*decoded), limits);
    RC_ASSERT(again.has_value());
  } else {
    RC_ASSERT(to_string(decoded.error().reason) != "unknown");
  }
}

RC_GTEST_PROP(EnvelopeProperty, MutatedEnvelopesNeverCrash, (std::vector<std::pair<std::uint16_t, std::uint8_t>> edits)) {
  bb::Envelope env = make_envelope();
  add_tensor(env, float_tensor({2, 2}));
  env.add_payload()->mutable_peer_list()->add_peers(peer_bytes("x"));
  env.add_payload()->set_string_value("text");
  std::string bytes = encode_envelope(env);
  for (const auto& [at, value] : edits) bytes[at % bytes.size()] = static_cast<char>(value);
  auto decoded = decode_envelope(bytes);
  if (decoded) RC_ASSERT(check_envelope(*decoded).has_value());
}

RC_GTEST_PROP(EnvelopeProperty, ValidEnvelopesRoundTrip,
              (std::uint64_t incarnation, std::uint64_t message_id, std::vector<std::int64_t> ints, std::string name)) {
  RC_PRE(!name.empty() && name.size() <= 64);
  bb::Envelope env = make_envelope();
  env.set_incarnation(incarnation);
  env.set_message_id(message_id);
  env.set_src_peer(PeerId::identity(name).value().bytes());
  for (std::size_t i = 0; i < ints.size() && i < 64; ++i) env.add_payload()->set_int64_value(ints[i]);
  auto decoded = decode_envelope(encode_envelope(env));
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(encode_envelope(*decoded) == encode_envelope(env));
}

// decodes_unchanged() lets the simulator skip the codec: whenever it says yes, the codec
// must agree (decode(encode(e)) succeeds and equals e), over envelopes with every kind of
// defect and tight limits.
RC_GTEST_PROP(EnvelopeProperty, DecodesUnchangedOnlyWhenTheCodecAgrees, ()) {
  const auto some_peer = [] {
    return *rc::gen::element<std::string>(peer_bytes("alice"), peer_bytes("b"), std::string("\x12\x01x"),
                                          std::string(), peer_bytes(std::string(60, 'p')));
  };
  const auto some_text = [] {
    return *rc::gen::element<std::string>("grads", "", "h\xc3\xa9llo", std::string("\xff\xfe"), std::string(300, 'c'));
  };
  bb::Envelope env = make_envelope();
  env.set_schema_version(*rc::gen::element<std::uint32_t>(1, 1, 2));
  env.set_src_peer(some_peer());
  env.set_dst_peer(some_peer());
  env.set_channel(some_text());
  env.set_deadline_ns(*rc::gen::element<std::int64_t>(0, 5, -1));
  const int values = *rc::gen::inRange(0, 6);
  for (int i = 0; i < values; ++i) {
    bb::Value* v = env.add_payload();
    switch (*rc::gen::inRange(0, 10)) {
      case 0: v->mutable_trigger(); break;
      case 1: v->set_tensor(float_tensor({2, *rc::gen::inRange<std::int64_t>(0, 40)}).SerializeAsString()); break;
      case 2: v->set_tensor(std::string("\x08\xff")); break;
      case 3: v->set_bytes_value(std::string("\x00\xff", 2)); break;
      case 4: v->set_string_value(some_text()); break;
      case 5: v->set_int64_value(*rc::gen::arbitrary<std::int64_t>()); break;
      case 6: v->set_peer(some_peer()); break;
      case 7:
        for (int k = *rc::gen::inRange(0, 4); k > 0; --k) v->mutable_peer_list()->add_peers(some_peer());
        break;
      case 8: v->GetReflection()->MutableUnknownFields(v)->AddVarint(99, 1); break;
      default: break;  // no kind
    }
  }
  if (*rc::gen::inRange(0, 8) == 0) env.GetReflection()->MutableUnknownFields(&env)->AddVarint(77, 5);
  EnvelopeLimits limits;
  limits.max_bytes = *rc::gen::element<std::size_t>(64, 200, 4096, limits.max_bytes);
  limits.max_payloads = *rc::gen::element<std::size_t>(2, 64);
  limits.max_tensor_bytes = *rc::gen::element<std::size_t>(40, limits.max_tensor_bytes);
  limits.max_peers_in_list = *rc::gen::element<std::size_t>(1, 1024);
  limits.max_channel_bytes = *rc::gen::element<std::size_t>(4, 256);
  limits.max_recursion_depth = *rc::gen::inRange(1, 17);

  // Bytes the caller vouches for are valid PeerIds (or none): the src/dst checks skip them.
  const auto some_valid = [] { return *rc::gen::element<std::string>(std::string(), peer_bytes("alice"), peer_bytes("b")); };
  const std::string known_src = some_valid(), known_dst = some_valid();

  if (!decodes_unchanged(env, limits, KnownPeers{known_src, known_dst})) return;
  auto decoded = decode_envelope(encode_envelope(env), limits);
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(google::protobuf::util::MessageDifferencer::Equals(*decoded, env));
}

TEST(Envelope, DecodesUnchangedTakesTheCommonCaseAndRefusesTheDoubtful) {
  bb::Envelope env = make_envelope();
  env.add_payload()->set_int64_value(7);
  env.add_payload()->mutable_peer_list()->add_peers(peer_bytes("carol"));
  EXPECT_TRUE(decodes_unchanged(env, {}));
  bb::Envelope accented = env;
  accented.set_channel("h\xc3\xa9llo");  // valid UTF-8, but not ASCII: the codec decides
  EXPECT_FALSE(decodes_unchanged(accented, {}));
  bb::Envelope unknown = env;
  unknown.GetReflection()->MutableUnknownFields(&unknown)->AddVarint(99, 1);
  EXPECT_FALSE(decodes_unchanged(unknown, {}));
  EnvelopeLimits small;
  small.max_bytes = 16;
  EXPECT_FALSE(decodes_unchanged(env, small));
  EnvelopeLimits shallow;
  shallow.max_recursion_depth = 2;
  EXPECT_FALSE(decodes_unchanged(env, shallow));
  bb::Envelope bad = env;
  bad.set_src_peer("x");
  EXPECT_FALSE(decodes_unchanged(bad, {}));
  // Known peers spare the parse, not the checks: other bytes are parsed, sizes limited.
  const std::string alice = env.src_peer();
  EXPECT_TRUE(decodes_unchanged(env, {}, KnownPeers{alice, env.dst_peer()}));
  EXPECT_FALSE(decodes_unchanged(bad, {}, KnownPeers{alice, env.dst_peer()}));
  EnvelopeLimits short_peers;
  short_peers.max_peer_bytes = 4;
  EXPECT_FALSE(decodes_unchanged(env, short_peers, KnownPeers{alice, env.dst_peer()}));
}

}  // namespace
}  // namespace bb::ir
