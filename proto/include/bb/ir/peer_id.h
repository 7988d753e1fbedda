// PeerId: a libp2p-compatible multihash, `varint(code) varint(len) digest`.
//
// Accepted codes: 0x00 (identity) and 0x12 (sha2-256, digest of 32 bytes). Varints are
// minimal and at most 9 bytes; digests at most 64 bytes; the length must match. Text
// forms: base58btc of the bytes (as libp2p prints `12D3KooW…` / `Qm…`), or the
// convenience `id:<name>` (identity multihash of the UTF-8 name).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bb/ir/expected.h"

namespace bb {

// Why a PeerId (or its text) was refused. Stable: tests and diagnostics use the labels.
enum class PeerIdError {
  kEmpty,              // no bytes / empty text
  kTruncatedVarint,    // a varint ran past the end of the input
  kNonMinimalVarint,   // a varint with a redundant trailing zero byte
  kVarintTooLong,      // a varint longer than 9 bytes
  kUnsupportedCode,    // a multihash code other than identity (0x00) or sha2-256 (0x12)
  kLengthMismatch,     // declared digest length differs from the bytes that follow
  kDigestTooLong,      // declared digest length over 64 bytes
  kBadSha256Length,    // sha2-256 with a digest length other than 32
  kInvalidBase58,      // a character outside the base58btc alphabet
  kEmptyName,          // `id:` with nothing after it
  kTooLong,            // text longer than any valid PeerId can encode to
};

// Short stable label, e.g. "varint truncated".
std::string_view describe(PeerIdError error);

class PeerId {
 public:
  static constexpr std::uint64_t kIdentityCode = 0x00;
  static constexpr std::uint64_t kSha256Code = 0x12;
  static constexpr std::size_t kMaxDigestBytes = 64;
  static constexpr std::size_t kMaxVarintBytes = 9;
  // Two maximal varints and a maximal digest: no valid PeerId is longer.
  static constexpr std::size_t kMaxBytes = 2 * kMaxVarintBytes + kMaxDigestBytes;

  PeerId() = default;

  // Validates multihash bytes.
  static Expected<PeerId, PeerIdError> from_bytes(std::string_view bytes);
  // The same validation without making a PeerId (no copy): the digest's offset in `bytes`.
  static Expected<std::size_t, PeerIdError> check_bytes(std::string_view bytes);
  // Decodes base58btc text, then validates the bytes.
  static Expected<PeerId, PeerIdError> from_base58(std::string_view text);
  // `id:<name>` or base58btc.
  static Expected<PeerId, PeerIdError> from_text(std::string_view text);
  // Multihash bytes or any text form: what a `peer` attribute may hold (docs/spec.md).
  // Bytes are tried first; the accepted codes keep the two forms unambiguous.
  static Expected<PeerId, PeerIdError> from_attribute(std::string_view value);
  // The identity multihash of `name` (the `id:` shorthand). Names over 64 bytes fail.
  static Expected<PeerId, PeerIdError> identity(std::string_view name);

  const std::string& bytes() const { return bytes_; }
  std::uint64_t code() const;
  std::string_view digest() const;
  bool empty() const { return bytes_.empty(); }

  std::string to_base58() const;
  // `id:<name>` for an identity multihash with a printable-ASCII digest, else base58btc.
  std::string to_text() const;

  friend bool operator==(const PeerId&, const PeerId&) = default;
  friend auto operator<=>(const PeerId&, const PeerId&) = default;

 private:
  explicit PeerId(std::string bytes, std::size_t digest_offset)
      : bytes_(std::move(bytes)), digest_offset_(static_cast<std::uint8_t>(digest_offset)) {}

  std::string bytes_;
  std::uint8_t digest_offset_ = 0;
};

// base58btc (Bitcoin alphabet). Decoding refuses characters outside the alphabet.
std::string base58_encode(std::string_view bytes);
Expected<std::string, PeerIdError> base58_decode(std::string_view text);

// Unsigned LEB128 varints as multiformats use them.
void append_uvarint(std::string& out, std::uint64_t value);
struct VarintRead {
  std::uint64_t value;
  std::size_t length;
};
Expected<VarintRead, PeerIdError> read_uvarint(std::string_view bytes);

}  // namespace bb

template <>
struct std::hash<bb::PeerId> {
  std::size_t operator()(const bb::PeerId& p) const noexcept {
    return std::hash<std::string>{}(p.bytes());
  }
};
