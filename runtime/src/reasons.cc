#include "bb/runtime/reasons.h"

#include <array>

namespace bb::runtime {
namespace {

constexpr std::array<std::string_view, kReasonCount> kLabels{
    "",        "cooldown", "blocklisted", "not_allowlisted", "duplicate",      "no_peers",  "unreachable",
    "timeout", "rejected", "advised",     "shape_mismatch",  "arity_mismatch", "bad_input", "type_mismatch",
    "invalid_value", "replay", "internal",
};

}  // namespace

std::string_view to_string(Reason reason) { return kLabels[static_cast<std::size_t>(reason)]; }

std::optional<Reason> reason_from_string(std::string_view label) {
  for (std::size_t i = 1; i < kLabels.size(); ++i)
    if (kLabels[i] == label) return static_cast<Reason>(i);
  return std::nullopt;
}

}  // namespace bb::runtime
