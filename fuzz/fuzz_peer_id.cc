// Fuzzes every PeerId entry point: multihash bytes, base58btc, text forms, attributes.
// Invariants: nothing crashes; whatever parses re-encodes to the same bytes and text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bb/ir/peer_id.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_round_trip(const bb::PeerId& id) {
  auto again = bb::PeerId::from_bytes(id.bytes());
  check(again.has_value() && *again == id);
  auto from_b58 = bb::PeerId::from_base58(id.to_base58());
  check(from_b58.has_value() && *from_b58 == id);
  auto from_text = bb::PeerId::from_text(id.to_text());
  check(from_text.has_value() && *from_text == id);
  check(id.bytes().size() <= bb::PeerId::kMaxBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto id = bb::PeerId::from_bytes(input)) check_round_trip(*id);
  if (auto id = bb::PeerId::from_base58(input)) check_round_trip(*id);
  if (auto id = bb::PeerId::from_text(input)) check_round_trip(*id);
  if (auto id = bb::PeerId::from_attribute(input)) check_round_trip(*id);
  if (auto decoded = bb::base58_decode(input)) check(bb::base58_encode(*decoded) == input);
  (void)bb::read_uvarint(input);
  return 0;
}
