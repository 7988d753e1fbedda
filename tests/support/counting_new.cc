// The replaced global operator new behind counting_new.h: link this file into a
// program (as a source, so that it always wins over libstdc++'s definitions).
#include "counting_new.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

namespace bb::testing {
std::uint64_t heap_allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace bb::testing

// GCC cannot see that malloc backs this operator new.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
