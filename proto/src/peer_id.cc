#include "bb/ir/peer_id.h"

#include <array>

#include "bb/ir/names.h"

namespace bb {
namespace {

constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 128> make_base58_index() {
  std::array<std::int8_t, 128> index{};
  for (auto& v : index) v = -1;
  for (std::size_t i = 0; i < kBase58Alphabet.size(); ++i)
    index[static_cast<unsigned char>(kBase58Alphabet[i])] = static_cast<std::int8_t>(i);
  return index;
}
constexpr auto kBase58Index = make_base58_index();

bool is_printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace

std::string_view describe(PeerIdError error) {
  switch (error) {
    case PeerIdError::kEmpty: return "empty";
    case PeerIdError::kTruncatedVarint: return "varint truncated";
    case PeerIdError::kNonMinimalVarint: return "varint not minimal";
    case PeerIdError::kVarintTooLong: return "varint longer than 9 bytes";
    case PeerIdError::kUnsupportedCode: return "multihash code is neither identity (0x00) nor sha2-256 (0x12)";
    case PeerIdError::kLengthMismatch: return "digest length does not match the declared length";
    case PeerIdError::kDigestTooLong: return "digest longer than 64 bytes";
    case PeerIdError::kBadSha256Length: return "sha2-256 digest is not 32 bytes";
    case PeerIdError::kInvalidBase58: return "invalid base58btc character";
    case PeerIdError::kEmptyName: return "empty name after 'id:'";
    case PeerIdError::kTooLong: return "longer than any valid PeerId";
  }
  return "unknown";
}

void append_uvarint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

Expected<VarintRead, PeerIdError> read_uvarint(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == PeerId::kMaxVarintBytes) return unexpected(PeerIdError::kVarintTooLong);
    const auto byte = static_cast<std::uint8_t>(bytes[i]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      // A final zero byte after a continuation adds nothing: the encoding is not minimal.
      if (byte == 0 && i > 0) return unexpected(PeerIdError::kNonMinimalVarint);
      return VarintRead{value, i + 1};
    }
  }
  return unexpected(PeerIdError::kTruncatedVarint);
}

Expected<std::size_t, PeerIdError> PeerId::check_bytes(std::string_view bytes) {
  if (bytes.empty()) return unexpected(PeerIdError::kEmpty);
  auto code = read_uvarint(bytes);
  if (!code) return unexpected(code.error());
  if (code->value != kIdentityCode && code->value != kSha256Code)
    return unexpected(PeerIdError::kUnsupportedCode);
  auto rest = bytes.substr(code->length);
  auto length = read_uvarint(rest);
  if (!length) return unexpected(length.error());
  if (length->value > kMaxDigestBytes) return unexpected(PeerIdError::kDigestTooLong);
  if (code->value == kSha256Code && length->value != 32)
    return unexpected(PeerIdError::kBadSha256Length);
  const std::size_t offset = code->length + length->length;
  if (bytes.size() - offset != length->value) return unexpected(PeerIdError::kLengthMismatch);
  return offset;
}

Expected<PeerId, PeerIdError> PeerId::from_bytes(std::string_view bytes) {
  auto offset = check_bytes(bytes);
  if (!offset) return unexpected(offset.error());
  return PeerId(std::string(bytes), *offset);
}

Expected<PeerId, PeerIdError> PeerId::identity(std::string_view name) {
  if (name.empty()) return unexpected(PeerIdError::kEmptyName);
  if (name.size() > kMaxDigestBytes) return unexpected(PeerIdError::kDigestTooLong);
  std::string bytes;
  append_uvarint(bytes, kIdentityCode);
  append_uvarint(bytes, name.size());
  const std::size_t offset = bytes.size();
  bytes.append(name);
  return PeerId(std::move(bytes), offset);
}

Expected<PeerId, PeerIdError> PeerId::from_base58(std::string_view text) {
  // Every byte needs at least one base58 digit: longer text cannot be a PeerId, and
  // refusing it first keeps the quadratic decoder away from attacker-sized input.
  if (text.size() > 2 * kMaxBytes) return unexpected(PeerIdError::kTooLong);
  auto bytes = base58_decode(text);
  if (!bytes) return unexpected(bytes.error());
  return from_bytes(*bytes);
}

Expected<PeerId, PeerIdError> PeerId::from_text(std::string_view text) {
  if (text.empty()) return unexpected(PeerIdError::kEmpty);
  if (text.starts_with(ir::kIdPrefix)) return identity(text.substr(ir::kIdPrefix.size()));
  return from_base58(text);
}

Expected<PeerId, PeerIdError> PeerId::from_attribute(std::string_view value) {
  if (value.empty()) return unexpected(PeerIdError::kEmpty);
  auto as_bytes = from_bytes(value);
  if (as_bytes) return as_bytes;
  // Text forms never start with byte 0x00 or 0x12, the only codes bytes may carry.
  const auto first = static_cast<std::uint8_t>(value.front());
  if (first == kIdentityCode || first == kSha256Code) return as_bytes;
  return from_text(value);
}

std::uint64_t PeerId::code() const {
  return bytes_.empty() ? 0 : static_cast<std::uint8_t>(bytes_.front());
}

std::string_view PeerId::digest() const {
  return std::string_view(bytes_).substr(digest_offset_);
}

std::string PeerId::to_base58() const { return base58_encode(bytes_); }

std::string PeerId::to_text() const {
  if (code() == kIdentityCode && !digest().empty() && is_printable_ascii(digest()))
    return std::string(ir::kIdPrefix) + std::string(digest());
  return to_base58();
}

std::string base58_encode(std::string_view bytes) {
  std::size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.37: enough base-58 digits for the remaining bytes.
  std::string digits((bytes.size() - zeros) * 137 / 100 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<std::uint8_t>(bytes[i]);
    for (std::size_t j = 0; j < used || carry != 0; ++j) {
      if (j < used) carry += 256u * static_cast<std::uint8_t>(digits[j]);
      digits[j] = static_cast<char>(carry % 58);
      carry /= 58;
      if (j >= used) used = j + 1;
    }
  }
  std::string out(zeros, kBase58Alphabet[0]);
  for (std::size_t j = used; j-- > 0;) out.push_back(kBase58Alphabet[static_cast<std::uint8_t>(digits[j])]);
  return out;
}

Expected<std::string, PeerIdError> base58_decode(std::string_view text) {
  if (text.empty()) return unexpected(PeerIdError::kEmpty);
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == kBase58Alphabet[0]) ++ones;
  // Little-endian base-256 accumulator; log(58)/log(256) < 0.74.
  std::string acc((text.size() - ones) * 74 / 100 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = ones; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= kBase58Index.size() || kBase58Index[c] < 0) return unexpected(PeerIdError::kInvalidBase58);
    unsigned carry = static_cast<unsigned>(kBase58Index[c]);
    for (std::size_t j = 0; j < used || carry != 0; ++j) {
      if (j < used) carry += 58u * static_cast<std::uint8_t>(acc[j]);
      acc[j] = static_cast<char>(carry & 0xff);
      carry >>= 8;
      if (j >= used) used = j + 1;
    }
  }
  std::string out(ones, '\0');
  for (std::size_t j = used; j-- > 0;) out.push_back(acc[j]);
  return out;
}

}  // namespace bb
