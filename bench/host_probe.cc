// What memory and a CPU step cost on this machine right now, for reading the other
// figures of `make bench` (docs/performance.md, "The host's memory"):
//
//   bb_host_probe
//
// On a virtual machine whose host hands memory back and forth, the first touch of a
// fresh page can cost ten times what it costs on the same machine an hour later, and a
// load that misses the cache two or three times; a compile of a million nodes touches
// some 280 MB of fresh memory and misses the cache on nearly every value it looks up,
// so its wall time moves with both while the work stays the same. And the share of a
// CPU the host gives the VM moves too: then every CPU-bound row slows together. One
// line of four figures, the first three each from memory mapped fresh for it:
//   - the first touch of 128 MiB advised for 2 MiB pages (as bbc's large tables and
//     arena are), in ms per 100 MB;
//   - the first touch of 32 MiB of 4 KiB pages (as most small allocations), likewise;
//   - one dependent load of a walk over 64 MiB on 2 MiB pages (a hash lookup's cache
//     miss), in ns;
//   - one step of a chain of dependent integer multiply-adds in registers (no memory at
//     all: the CPU's speed as the VM gets it), in ns.
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A fresh anonymous mapping of `bytes`, aligned to a huge page; nullptr when refused.
char* map_fresh(std::size_t bytes, int advice) {
  const std::size_t padded = bytes + kHugePage;
  void* raw = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto at = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (at + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > at) munmap(raw, aligned - at);
  munmap(reinterpret_cast<void*>(aligned + bytes), at + padded - (aligned + bytes));
  (void)madvise(reinterpret_cast<void*>(aligned), bytes, advice);  // advice only
  return reinterpret_cast<char*>(aligned);
}

// ms per 100 MB to touch `bytes` of fresh memory for the first time; -1 when refused.
double first_touch(std::size_t bytes, int advice) {
  char* block = map_fresh(bytes, advice);
  if (block == nullptr) return -1;
  const auto start = Clock::now();
  for (std::size_t at = 0; at < bytes; at += kPage) block[at] = 1;
  const double ms = ms_since(start);
  munmap(block, bytes);
  return ms * 100e6 / static_cast<double>(bytes);
}

// ns per dependent load over `bytes` (a power of two); -1 when refused. The walk is
// i -> (a i + c) mod n, one cycle through every slot (Hull-Dobell: c odd, a = 1 mod 4)
// whose jumps no prefetcher follows, and filling it is one sequential pass.
double dependent_load(std::size_t bytes) {
  const std::size_t n = bytes / sizeof(std::uint64_t);
  auto* next = reinterpret_cast<std::uint64_t*>(map_fresh(bytes, MADV_HUGEPAGE));
  if (next == nullptr) return -1;
  constexpr std::uint64_t kA = 6364136223846793005ULL, kC = 1442695040888963407ULL;
  for (std::size_t i = 0; i < n; ++i) next[i] = (kA * i + kC) & (n - 1);
  constexpr int kLoads = 4 << 20;
  std::uint64_t at = 0;
  const auto start = Clock::now();
  for (int i = 0; i < kLoads; ++i) at = next[at];
  const double ms = ms_since(start);
  munmap(next, bytes);
  if (at == n) std::puts("");  // (never: keeps the walk)
  return ms * 1e6 / kLoads;
}

// ns per step of x = a x + c, each step waiting for the last (four cycles or so on
// any x86-64 core of the last decade), over 50 M steps.
double multiply_add_step() {
  constexpr int kSteps = 50'000'000;
  std::uint64_t x = 1;
  const auto start = Clock::now();
  for (int i = 0; i < kSteps; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(x));  // one step at a time: no unrolled closed form
  }
  const double ms = ms_since(start);
  if (x == 0) std::puts("");  // (never: keeps the chain)
  return ms * 1e6 / kSteps;
}

}  // namespace

int main(int argc, char** /*argv*/) {
  if (argc != 1) {
    std::fprintf(stderr, "usage: bb_host_probe (no arguments)\n");
    return 2;
  }
  const double fresh_2m = first_touch(std::size_t{128} << 20, MADV_HUGEPAGE);
  const double fresh_4k = first_touch(std::size_t{32} << 20, MADV_NOHUGEPAGE);
  const double load = dependent_load(std::size_t{64} << 20);
  const double step = multiply_add_step();
  std::printf("first touch %.0f ms per 100 MB on 2 MiB pages, %.0f ms on 4 KiB pages; a dependent load %.0f ns; "
              "a multiply-add step %.2f ns\n",
              fresh_2m, fresh_4k, load, step);
  return fresh_2m < 0 || fresh_4k < 0 || load < 0 ? 1 : 0;
}
