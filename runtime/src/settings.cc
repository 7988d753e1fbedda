#include "bb/runtime/settings.h"

#include <array>

namespace bb::runtime {
namespace {
constexpr std::array<std::string_view, 4> kJitterNames{"none", "full", "equal", "decorrelated"};
}

std::string_view to_string(Jitter jitter) { return kJitterNames[static_cast<std::size_t>(jitter)]; }

std::optional<Jitter> jitter_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kJitterNames.size(); ++i)
    if (kJitterNames[i] == text) return static_cast<Jitter>(i);
  return std::nullopt;
}

}  // namespace bb::runtime
