// The simulator's seeded random numbers. std::mt19937_64 is specified bit for bit by
// the C++ standard; the std::*_distribution classes are not (their output differs
// between standard libraries), so the conversions below are written out.
#pragma once

#include <cstdint>
#include <random>

namespace bb::sim {

class SimRng {
 public:
  explicit SimRng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability p. p ≤ 0 and p ≥ 1 consume no draw.
  bool chance(double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return unit() < p;
  }

  // Uniform in [0, bound) without bias (rejection of the incomplete last block).
  std::uint64_t below(std::uint64_t bound) {
    if (bound <= 1) return 0;
    if (bound != bound_) {  // a simulation draws from one or two bounds: one division saved per draw
      bound_ = bound;
      limit_ = UINT64_MAX - UINT64_MAX % bound;
    }
    const std::uint64_t limit = limit_;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % bound;
  }

  // Uniform in [lo, hi], inclusive; lo when hi ≤ lo (a fixed value draws nothing).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) return lo;
    const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    const std::uint64_t offset = span == UINT64_MAX ? next() : below(span + 1);
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
  }

 private:
  std::mt19937_64 engine_;
  std::uint64_t bound_ = 0, limit_ = 0;  // the last bound of below() and its rejection limit
};

}  // namespace bb::sim
