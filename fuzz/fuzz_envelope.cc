// Fuzzes envelope decoding, the first thing untrusted peers reach. Invariants: nothing
// crashes or allocates beyond the limits; a decoded envelope re-encodes and decodes to
// the same envelope.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bb/ir/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bb::ir::EnvelopeLimits limits;
  auto envelope = bb::ir::decode_envelope(input, limits);
  if (!envelope) return 0;
  const std::string bytes = bb::ir::encode_envelope(*envelope);
  auto again = bb::ir::decode_envelope(bytes, limits);
  if (!again || bb::ir::encode_envelope(*again) != bytes) std::abort();
  return 0;
}
