// The protobuf wire format at the level of tags and fields, with protobuf's public
// CodedInputStream only: what the envelope skim (envelope.cc), the graph digest of a
// file's bytes (passport.h) and the compiler's output splicing (model_bytes.cc) read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <google/protobuf/io/coded_stream.h>

namespace bb::ir {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

constexpr std::uint32_t make_tag(int field, WireType type) {
  return static_cast<std::uint32_t>(field) << 3 | static_cast<std::uint32_t>(type);
}
// The most bytes a length-delimited field's header takes: a varint32 tag, a varint64 length.
constexpr std::size_t kMaxTagAndLengthBytes = 15;

constexpr int tag_field(std::uint32_t tag) { return static_cast<int>(tag >> 3); }
constexpr WireType tag_type(std::uint32_t tag) { return static_cast<WireType>(tag & 7); }

// Skips the value of the field whose tag was just read: false when it is malformed, of an
// unknown wire type, or nests groups deeper than the stream's recursion limit.
bool skip_field(google::protobuf::io::CodedInputStream& in, std::uint32_t tag);

// The offset of the first top-level field of `bytes` numbered above `field` (the message's
// fields are in field order, as a deterministic serialization writes them), or the size.
std::size_t offset_after_field(std::string_view bytes, int field);

}  // namespace bb::ir
