// SHA-256 through OpenSSL's EVP API (the SHA256_* calls are deprecated in OpenSSL 3).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bb {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  std::array<std::uint8_t, 32> finish();
  // Lowercase hex of the digest.
  std::string finish_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view bytes);
std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace bb
