// The arena for one large model held for a whole run (bb/ir/model_io.h). Apart from
// model_io.cc because <sys/mman.h> defines MAP_TYPE, which ONNX's text parser declares.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#include "bb/ir/model_io.h"

namespace bb::ir {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// A block rounded up to whole huge pages, aligned to one, advised for huge pages.
void* allocate_huge_page_block(std::size_t size) {
  const std::size_t rounded = (size + kHugePage - 1) & ~(kHugePage - 1);
  void* block = std::aligned_alloc(kHugePage, rounded);
  if (block == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  (void)madvise(block, rounded, MADV_HUGEPAGE);  // only advice: refused, the pages stay small
#endif
  return block;
}

void free_huge_page_block(void* block, std::size_t) { std::free(block); }

}  // namespace

google::protobuf::ArenaOptions large_model_arena_options() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kHugePage;
  options.max_block_size = 32 * kHugePage;
  options.block_alloc = allocate_huge_page_block;
  options.block_dealloc = free_huge_page_block;
  return options;
}

}  // namespace bb::ir
