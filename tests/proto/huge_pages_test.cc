// Huge-page blocks faulted in by HugePagePrefault's thread (bb/ir/huge_pages.h).
#include "bb/ir/huge_pages.h"

#include <google/protobuf/arena.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bb/ir/cpus.h"
#include "bb/ir/model_io.h"

namespace bb::ir {
namespace {

// Whether this kernel fills in page tables on request (Linux 5.14 and later).
bool kernel_populates() {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* probe = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) return false;
  const bool ok = madvise(probe, page, MADV_POPULATE_WRITE) == 0;
  munmap(probe, page);
  return ok;
#else
  return false;
#endif
}

// The number of `block`'s pages that are in memory.
std::size_t resident_pages(void* block, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident(bytes / page);
  if (mincore(block, bytes, resident.data()) != 0) return 0;
  std::size_t n = 0;
  for (unsigned char r : resident) n += r & 1u;
  return n;
}

// The threads of this process (/proc/self/status).
int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

// A block handed out while a HugePagePrefault lives is put in memory by its thread,
// whole, though its owner touched only its first and last byte; what the owner wrote
// meanwhile stays (the thread asks the kernel for the pages and never writes).
TEST(HugePages, APrefaultPutsEveryBlockInMemoryAndLeavesItsContents) {
  if (!kernel_populates()) GTEST_SKIP() << "the kernel has no MADV_POPULATE_WRITE (Linux 5.14+)";
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a prefault does nothing";
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t bytes = 32 * kHugePageBytes;  // 64 MiB: above the C library's largest mmap threshold, so fresh
  const int threads = thread_count();
  HugePagePrefault prefault;
  EXPECT_EQ(thread_count(), threads + 1);
  auto* block = static_cast<unsigned char*>(allocate_huge_pages(bytes));
  block[0] = 0xAB;
  block[bytes - 1] = 0xCD;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (resident_pages(block, bytes) < bytes / page && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(resident_pages(block, bytes), bytes / page);
  EXPECT_EQ(block[0], 0xAB);
  EXPECT_EQ(block[bytes - 1], 0xCD);
  free_huge_pages(block);
}

// Without one, a block's untouched pages stay out of memory; a second HugePagePrefault
// while one lives does nothing, and ending it leaves the first at work.
TEST(HugePages, WithoutAPrefaultUntouchedPagesStayOut) {
  if (!kernel_populates()) GTEST_SKIP() << "the kernel has no MADV_POPULATE_WRITE (Linux 5.14+)";
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a prefault does nothing";
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t bytes = 32 * kHugePageBytes;  // 64 MiB: above the C library's largest mmap threshold, so fresh
  auto* cold = static_cast<unsigned char*>(allocate_huge_pages(bytes));
  cold[0] = 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT(resident_pages(cold, bytes), bytes / page);
  free_huge_pages(cold);

  HugePagePrefault first;
  { HugePagePrefault second; }
  auto* block = static_cast<unsigned char*>(allocate_huge_pages(bytes));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (resident_pages(block, bytes) < bytes / page && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(resident_pages(block, bytes), bytes / page);
  free_huge_pages(block);
}

// On one CPU a prefault starts no thread: it would take its time from the caller.
TEST(HugePages, OnOneCpuAPrefaultDoesNothing) {
  if (!kernel_populates()) GTEST_SKIP() << "the kernel has no MADV_POPULATE_WRITE (Linux 5.14+)";
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &all)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_EQ(usable_cpus(), 1);
  const int threads = thread_count();
  {
    HugePagePrefault prefault;
    EXPECT_EQ(thread_count(), threads);
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
}

// Blocks freed before the thread reaches them, and a prefault ended with blocks still
// queued: nothing is faulted in after the free, and the destructor returns at once.
TEST(HugePages, FreedAndQueuedBlocksDoNotHoldUpThePrefault) {
  const auto start = std::chrono::steady_clock::now();
  {
    HugePagePrefault prefault;
    std::vector<void*> blocks;
    for (int i = 0; i < 16; ++i) blocks.push_back(allocate_huge_pages(16 * kHugePageBytes));
    for (std::size_t i = 0; i < blocks.size(); i += 2) free_huge_pages(blocks[i]);
    for (std::size_t i = 1; i < blocks.size(); i += 2) free_huge_pages(blocks[i]);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// An arena on large_model_arena_options under a prefault takes each next block from the
// one asked for early (and a block past the largest size on its own): what is put in it
// stays, across 2, 4, 8 and 16 MiB blocks and an 18 MiB request.
TEST(HugePages, AnArenaUnderAPrefaultHoldsWhatIsPutInIt) {
  HugePagePrefault prefault;
  google::protobuf::Arena arena(large_model_arena_options());
  std::vector<std::uint64_t*> chunks;
  constexpr std::size_t kWords = 64 * 1024;  // 512 KiB a chunk, 96 chunks: 48 MiB
  for (std::uint64_t c = 0; c < 96; ++c) {
    auto* words = google::protobuf::Arena::CreateArray<std::uint64_t>(&arena, kWords);
    for (std::size_t w = 0; w < kWords; ++w) words[w] = c * kWords + w;
    chunks.push_back(words);
    if (c == 50) {
      const std::size_t big = 9 * kHugePageBytes;
      auto* bytes = google::protobuf::Arena::CreateArray<char>(&arena, big);
      bytes[0] = 'a';
      bytes[big - 1] = 'z';
      EXPECT_EQ(bytes[0] + bytes[big - 1], 'a' + 'z');
    }
  }
  for (std::uint64_t c = 0; c < chunks.size(); ++c)
    for (std::size_t w = 0; w < kWords; w += 4099) ASSERT_EQ(chunks[c][w], c * kWords + w);
  EXPECT_GE(arena.SpaceAllocated(), std::uint64_t{57} << 20);
}

}  // namespace
}  // namespace bb::ir
