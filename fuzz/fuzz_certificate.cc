// Fuzzes the peer certificate check that runs inside every TLS handshake (the bytes a
// remote peer controls): DER or PEM, any size. Invariants: nothing crashes; whatever
// verifies proves an Ed25519 PeerId whose key decodes again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bb/net/certificate.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

// Fixed, inside the validity of the seeds, so runs are reproducible.
constexpr std::time_t kNow = 1'800'000'000;  // 2027-01-15

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto peer = bb::net::verify_certificate(input, kNow);
  if (peer) {
    check(peer->code() == bb::PeerId::kIdentityCode);
    check(bb::net::decode_public_key(peer->digest()).has_value());
  }
  (void)bb::net::decode_public_key(input);
  return 0;
}
