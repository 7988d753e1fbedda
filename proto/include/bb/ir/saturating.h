// Counter arithmetic that saturates instead of wrapping: a count that overflows stays
// at its largest value (a graph's IncrMetric may add any int64; totals are summed over
// a node's incarnations), so no report shows a huge count turned negative or small.
#pragma once

#include <cstdint>
#include <limits>

namespace bb::ir {

constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::uint64_t>::max() : sum;
}

}  // namespace bb::ir
