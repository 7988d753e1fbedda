// Per-core figures of the runtime benchmarks use the calling thread's CPU time: the
// machines are shared, and another process's load must not count against bb.
#pragma once

#include <ctime>

namespace bb::bench {

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace bb::bench
