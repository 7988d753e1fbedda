// Memory for the large, randomly accessed structures of a run over a big model (the
// model's arena, the value tables with a slot per value): blocks aligned to and advised
// for 2 MiB transparent huge pages. At a million nodes those structures are hundreds of
// MB; on 4 KiB pages nearly every access to them misses the TLB as well as the cache,
// and the first touch of every page is a fault (docs/performance.md, "Round 5: huge pages").
// Where the kernel offers no huge pages the advice is ignored: ordinary memory.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <utility>

#include <absl/container/flat_hash_map.h>

namespace bb::ir {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// `bytes` rounded up to whole huge pages, aligned to one, advised for huge pages; throws
// std::bad_alloc when there is no memory. Freed with free_huge_pages.
void* allocate_huge_pages(std::size_t bytes);
void free_huge_pages(void* block);

// While one is alive, every block allocate_huge_pages hands out is also faulted in by a
// thread of its own, in the order the blocks were asked for: the kernel zero-fills a
// fresh page on its first touch, and on a virtual machine whose host reclaims freed
// memory that is a large part of building a big model (docs/performance.md, "Round 13:
// memory faulted in on the other core"). The thread asks the kernel to fill in the page
// tables (madvise MADV_POPULATE_WRITE) and never reads or writes the blocks, so their
// owner may use them at once; a block freed before its turn is skipped. Where the
// kernel cannot (before Linux 5.14), or the process may run on one CPU only, nothing is
// faulted in. For a tool that builds one large model with a core to spare (bbc); one at
// a time.
class HugePagePrefault {
 public:
  HugePagePrefault();
  // Stops after the huge page in hand and joins the thread.
  ~HugePagePrefault();
  HugePagePrefault(const HugePagePrefault&) = delete;
  HugePagePrefault& operator=(const HugePagePrefault&) = delete;

 private:
  std::thread thread_;
};

// std::allocator, except that a request of at least `kMinBytes` is served by
// Allocate(bytes) and given back with Free(block, bytes): the allocator of a table that
// may be large (HugePageAllocator below; bbrun's ProgramAllocator, runtime/src/program_memory.h).
template <class T, std::size_t kMinBytes, void* (*Allocate)(std::size_t), void (*Free)(void*, std::size_t)>
struct LargeBlockAllocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = LargeBlockAllocator<U, kMinBytes, Allocate, Free>;
  };

  LargeBlockAllocator() = default;
  template <class U>
  LargeBlockAllocator(const LargeBlockAllocator<U, kMinBytes, Allocate, Free>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n * sizeof(T) < kMinBytes) return std::allocator<T>().allocate(n);
    return static_cast<T*>(Allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kMinBytes) return std::allocator<T>().deallocate(p, n);
    Free(p, n * sizeof(T));
  }

  template <class U>
  bool operator==(const LargeBlockAllocator<U, kMinBytes, Allocate, Free>&) const noexcept {
    return true;
  }
};

inline void free_huge_pages_of(void* block, std::size_t) { free_huge_pages(block); }

// A request of at least one huge page gets huge pages.
template <class T>
using HugePageAllocator = LargeBlockAllocator<T, kHugePageBytes, allocate_huge_pages, free_huge_pages_of>;

// absl::flat_hash_map with its default equality (and hash, unless given), its slots on
// huge pages once the table reaches one: for a table with a slot per value of a large
// model.
template <class K, class V, class Hash = absl::container_internal::hash_default_hash<K>>
using HugePageHashMap = absl::flat_hash_map<K, V, Hash, absl::container_internal::hash_default_eq<K>,
                                            HugePageAllocator<std::pair<const K, V>>>;

}  // namespace bb::ir
