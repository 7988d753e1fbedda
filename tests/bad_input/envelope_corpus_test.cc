// The bad-input corpus of the wire (docs/wire.md, docs/security.md): malformed and hostile envelopes,
// generated here, through the decoder every transport uses (no CLI takes envelopes).
// Each case asserts the stable reason label and that nothing is returned.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../support/envelopes.h"
#include "bb/ir/envelope.h"

namespace bb::ir {
namespace {

using bb::testing::add_tensor;
using bb::testing::declared_tensor;
using bb::testing::float_tensor;
using bb::testing::peer_bytes;

bb::Envelope valid() {
  bb::Envelope env = bb::testing::valid_envelope(1, 7);
  env.add_payload()->mutable_trigger();
  return env;
}

// A FLOAT tensor of `dims` whose raw_data is `raw`, encoded.
std::string tensor_bytes(const std::vector<std::int64_t>& dims, std::string raw) {
  onnx::TensorProto t = declared_tensor(onnx::TensorProto::FLOAT, dims);
  t.set_raw_data(std::move(raw));
  return t.SerializeAsString();
}

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

struct Case {
  std::string name;
  std::string bytes;
  std::string reason;  // to_string(EnvelopeReason)
};

// One envelope edited by `edit`, encoded.
template <class F>
std::string edited(F&& edit) {
  bb::Envelope env = valid();
  edit(env);
  return env.SerializeAsString();
}

std::vector<Case> corpus() {
  std::vector<Case> out;
  const std::string good = encode_envelope(valid());
  out.push_back({"truncated", good.substr(0, good.size() - 3), "malformed"});
  out.push_back({"truncated_to_one_byte", good.substr(0, 1), "malformed"});
  out.push_back({"random_bytes", random_bytes(512, 11), "malformed"});
  out.push_back({"length_prefix_past_the_end", std::string("\x12\xff\xff\xff\x7f", 5) + "abc", "malformed"});
  out.push_back({"varint_never_ends", std::string(12, '\xff'), "malformed"});
  out.push_back({"end_group_tag", std::string("\x0c", 1), "malformed"});
  out.push_back({"field_number_zero", std::string("\x00\x01", 2), "malformed"});
  {
    // Payload values nested in start-groups deeper than the recursion limit.
    std::string deep = good;
    for (int i = 0; i < 200; ++i) deep += "\x3b";  // field 7, wire type 3 (start group)
    out.push_back({"groups_nested_past_the_limit", deep, "malformed"});
  }
  out.push_back({"channel_not_utf8", edited([](bb::Envelope& e) { e.set_channel(std::string("\xc3\x28", 2)); }),
                 "malformed"});
  out.push_back({"oversized",
                 edited([](bb::Envelope& e) { e.set_channel(std::string(ir::EnvelopeLimits{}.max_bytes + 1, 'c')); }),
                 "oversized"});
  out.push_back({"schema_version_from_the_future", edited([](bb::Envelope& e) { e.set_schema_version(2); }),
                 "bad_schema_version"});
  out.push_back({"too_many_payloads",
                 edited([](bb::Envelope& e) {
                   for (int i = 0; i < 100; ++i) e.add_payload()->mutable_trigger();
                 }),
                 "too_many_payloads"});
  out.push_back({"src_missing", edited([](bb::Envelope& e) { e.clear_src_peer(); }), "bad_src_peer"});
  out.push_back({"src_non_minimal_varint",
                 edited([](bb::Envelope& e) { e.set_src_peer(std::string("\x00\x85\x00" "abcde", 8)); }),
                 "bad_src_peer"});
  out.push_back({"src_truncated_varint", edited([](bb::Envelope& e) { e.set_src_peer(std::string("\x12\x80", 2)); }),
                 "bad_src_peer"});
  out.push_back({"src_unknown_code", edited([](bb::Envelope& e) { e.set_src_peer(std::string("\x13\x02" "ab", 4)); }),
                 "bad_src_peer"});
  out.push_back({"src_wrong_length", edited([](bb::Envelope& e) { e.set_src_peer(std::string("\x00\x05" "abc", 5)); }),
                 "bad_src_peer"});
  out.push_back({"src_over_the_peer_length_limit",
                 edited([](bb::Envelope& e) { e.set_src_peer(std::string("\x00\x7f", 2) + std::string(127, 'x')); }),
                 "bad_src_peer"});
  out.push_back({"dst_sha256_wrong_length",
                 edited([](bb::Envelope& e) { e.set_dst_peer(std::string("\x12\x03" "abc", 5)); }), "bad_dst_peer"});
  out.push_back({"channel_too_long", edited([](bb::Envelope& e) { e.set_channel(std::string(300, 'c')); }),
                 "channel_too_long"});
  out.push_back({"negative_deadline", edited([](bb::Envelope& e) { e.set_deadline_ns(-1); }), "bad_deadline"});
  out.push_back({"empty_value", edited([](bb::Envelope& e) { e.add_payload(); }), "empty_value"});
  out.push_back({"peer_value_varint_too_long",
                 edited([](bb::Envelope& e) { e.add_payload()->set_peer(std::string(10, '\x80') + "\x01"); }),
                 "bad_peer"});
  out.push_back({"peer_list_too_long",
                 edited([](bb::Envelope& e) {
                   auto* list = e.add_payload()->mutable_peer_list();
                   for (int i = 0; i < 1100; ++i) list->add_peers(peer_bytes("p"));
                 }),
                 "too_many_peers"});
  out.push_back({"peer_list_bad_entry",
                 edited([](bb::Envelope& e) {
                   auto* list = e.add_payload()->mutable_peer_list();
                   list->add_peers(peer_bytes("ok"));
                   list->add_peers(std::string("\x00\x05" "abc", 5));
                 }),
                 "bad_peer"});
  out.push_back({"tensor_declares_2_to_the_40_elements",
                 edited([](bb::Envelope& e) { e.add_payload()->set_tensor(tensor_bytes({std::int64_t{1} << 40}, "")); }),
                 "tensor_too_large"});
  out.push_back({"tensor_dims_overflow_64_bits",
                 edited([](bb::Envelope& e) {
                   e.add_payload()->set_tensor(tensor_bytes({std::int64_t{1} << 62, std::int64_t{1} << 62, 4}, ""));
                 }),
                 "tensor_too_large"});
  out.push_back({"tensor_rank_over_the_limit",
                 edited([](bb::Envelope& e) { add_tensor(e, float_tensor(std::vector<std::int64_t>(40, 1))); }),
                 "tensor_too_large"});
  out.push_back({"tensor_negative_dim",
                 edited([](bb::Envelope& e) { e.add_payload()->set_tensor(tensor_bytes({-4}, "")); }), "bad_tensor"});
  out.push_back({"tensor_data_shorter_than_its_dims",
                 edited([](bb::Envelope& e) { e.add_payload()->set_tensor(tensor_bytes({1000}, std::string(8, '\0'))); }),
                 "bad_tensor"});
  out.push_back({"tensor_not_a_tensor", edited([](bb::Envelope& e) { e.add_payload()->set_tensor(random_bytes(64, 12)); }),
                 "bad_tensor"});
  return out;
}

class BadEnvelope : public ::testing::TestWithParam<Case> {};

TEST_P(BadEnvelope, IsRefusedWithItsReason) {
  const Case& c = GetParam();
  auto decoded = decode_envelope(c.bytes);
  ASSERT_FALSE(decoded.has_value()) << c.name << " was accepted";
  EXPECT_EQ(to_string(decoded.error().reason), c.reason) << describe(decoded.error());
  EXPECT_FALSE(decoded.error().detail.empty());
  // The reusing decoder agrees.
  bb::Envelope scratch = valid();
  auto into = decode_envelope_into(c.bytes, EnvelopeLimits{}, scratch);
  ASSERT_FALSE(into.has_value());
  EXPECT_EQ(into.error().reason, decoded.error().reason);
}

TEST(BadEnvelopeCorpus, TheValidEnvelopeDecodes) { EXPECT_TRUE(decode_envelope(encode_envelope(valid()))); }

INSTANTIATE_TEST_SUITE_P(Corpus, BadEnvelope, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace bb::ir
