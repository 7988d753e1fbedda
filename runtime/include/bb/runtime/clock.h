// Time as kernels see it. Kernels never read wall time directly: they ask the node's
// clock, which is either a real monotonic clock or a virtual one that jumps to the
// next event.
#pragma once

#include <chrono>
#include <cstdint>

namespace bb::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ns() const = 0;
  virtual bool is_virtual() const = 0;
};

// Starts at 0 and only moves when the scheduler advances it.
class VirtualClock final : public Clock {
 public:
  std::int64_t now_ns() const override { return now_; }
  bool is_virtual() const override { return true; }
  void advance_to(std::int64_t t_ns) {
    if (t_ns > now_) now_ = t_ns;
  }

 private:
  std::int64_t now_ = 0;
};

// Monotonic time since construction (the run's t = 0).
class RealClock final : public Clock {
 public:
  RealClock() : start_(std::chrono::steady_clock::now()) {}
  std::int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count();
  }
  bool is_virtual() const override { return false; }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bb::runtime
