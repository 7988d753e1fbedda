// Huge-page memory (bb/ir/huge_pages.h), and the arena for one large model held for a
// whole run that takes its blocks from it (bb/ir/model_io.h; here, not in model_io.cc,
// because <sys/mman.h> defines MAP_TYPE, which ONNX's text parser declares).
#include <sys/mman.h>

#include <cstdlib>
#include <new>

#include "bb/ir/huge_pages.h"
#include "bb/ir/model_io.h"

namespace bb::ir {

void* allocate_huge_pages(std::size_t bytes) {
  const std::size_t rounded = (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  void* block = std::aligned_alloc(kHugePageBytes, rounded);
  if (block == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  (void)madvise(block, rounded, MADV_HUGEPAGE);  // only advice: refused, the pages stay small
#endif
  return block;
}

void free_huge_pages(void* block) { std::free(block); }

namespace {

void* allocate_arena_block(std::size_t size) { return allocate_huge_pages(size); }
void free_arena_block(void* block, std::size_t) { free_huge_pages(block); }

}  // namespace

google::protobuf::ArenaOptions large_model_arena_options() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kHugePageBytes;
  options.max_block_size = 32 * kHugePageBytes;
  options.block_alloc = allocate_arena_block;
  options.block_dealloc = free_arena_block;
  return options;
}

}  // namespace bb::ir
