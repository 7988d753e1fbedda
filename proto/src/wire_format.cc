#include "bb/ir/wire_format.h"

namespace bb::ir {

bool skip_field(google::protobuf::io::CodedInputStream& in, std::uint32_t tag) {
  switch (tag_type(tag)) {
    case WireType::kVarint: {
      std::uint64_t value = 0;
      return in.ReadVarint64(&value);
    }
    case WireType::kFixed64: {
      std::uint64_t value = 0;
      return in.ReadLittleEndian64(&value);
    }
    case WireType::kFixed32: {
      std::uint32_t value = 0;
      return in.ReadLittleEndian32(&value);
    }
    case WireType::kLengthDelimited: {
      std::uint32_t length = 0;
      return in.ReadVarint32(&length) && length <= static_cast<std::uint32_t>(INT32_MAX) &&
             in.Skip(static_cast<int>(length));
    }
    case WireType::kStartGroup: {
      if (!in.IncrementRecursionDepth()) return false;
      const std::uint32_t end = make_tag(tag_field(tag), WireType::kEndGroup);
      for (;;) {
        const std::uint32_t inner = in.ReadTag();
        if (inner == 0) return false;  // the group never ends
        if (inner == end) break;
        if (tag_field(inner) == 0 || !skip_field(in, inner)) return false;
      }
      in.DecrementRecursionDepth();
      return true;
    }
    case WireType::kEndGroup:
      return false;
  }
  return false;  // wire types 6 and 7 do not exist
}

std::size_t offset_after_field(std::string_view bytes, int field) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (true) {
    const int offset = in.CurrentPosition();
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return bytes.size();
    if (tag_field(tag) > field) return static_cast<std::size_t>(offset);
    if (!skip_field(in, tag)) return bytes.size();
  }
}

}  // namespace bb::ir
