// Counts the heap allocations of a program that links tests/support/counting_new.cc
// (which replaces the global operator new; operator new[] and the aligned forms call
// it in libstdc++). Used by the zero-allocation checks of the performance test and
// the runtime benchmarks.
#pragma once

#include <cstdint>

namespace bb::testing {

// Allocations made so far by this program; take the difference around a loop.
std::uint64_t heap_allocations();

}  // namespace bb::testing
