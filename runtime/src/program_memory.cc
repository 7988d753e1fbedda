#include "bb/runtime/program_memory.h"

#include <array>
#include <cstdlib>
#include <mutex>
#include <new>

namespace bb::runtime {
namespace {

// A request's block: the next power of two below a huge page, whole huge pages above.
// Repeated loads of a model ask for the same sizes, so a pooled block fits again.
std::size_t block_size(std::size_t bytes) {
  if (bytes >= ir::kHugePageBytes) return (bytes + ir::kHugePageBytes - 1) & ~(ir::kHugePageBytes - 1);
  std::size_t size = kPooledBlockMinBytes;
  while (size < bytes) size *= 2;
  return size;
}

// A free block holds the next free block of its size.
struct FreeBlock {
  FreeBlock* next;
};

struct Pool {
  std::mutex mutex;  // programs are loaded and dropped on any thread
  // By block size; a list per size a load has given back. A pool with no room for
  // another size gives such blocks back to the C library.
  std::array<std::pair<std::size_t, FreeBlock*>, 64> free{};
  std::size_t bytes = 0;

  FreeBlock** list(std::size_t size, bool add) {
    for (auto& [s, head] : free) {
      if (s == size) return &head;
      if (s == 0 && add) {
        s = size;
        return &head;
      }
    }
    return nullptr;
  }
};

Pool& pool() {
  static Pool* const p = new Pool();  // never destroyed: a Program may outlive static destructors
  return *p;
}

void* arena_block(std::size_t bytes) { return allocate_program_block(bytes); }
void free_arena_block(void* block, std::size_t bytes) { free_program_block(block, bytes); }

}  // namespace

void* allocate_program_block(std::size_t bytes) {
  const std::size_t size = block_size(bytes);
  {
    Pool& p = pool();
    const std::lock_guard lock(p.mutex);
    if (FreeBlock** head = p.list(size, false); head != nullptr && *head != nullptr) {
      FreeBlock* block = *head;
      *head = block->next;
      p.bytes -= size;
      return block;
    }
  }
  if (size >= ir::kHugePageBytes) return ir::allocate_huge_pages(size);
  void* block = std::malloc(size);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void free_program_block(void* block, std::size_t bytes) noexcept {
  const std::size_t size = block_size(bytes);
  {
    Pool& p = pool();
    const std::lock_guard lock(p.mutex);
    if (FreeBlock** head = p.list(size, true); head != nullptr && p.bytes + size <= kMaxPooledProgramBytes) {
      *head = new (block) FreeBlock{*head};
      p.bytes += size;
      return;
    }
  }
  if (size >= ir::kHugePageBytes)
    ir::free_huge_pages(block);
  else
    std::free(block);
}

google::protobuf::ArenaOptions program_arena_options() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kPooledBlockMinBytes;
  options.max_block_size = ir::kHugePageBytes;
  options.block_alloc = arena_block;
  options.block_dealloc = free_arena_block;
  return options;
}

std::size_t pooled_program_bytes() {
  Pool& p = pool();
  const std::lock_guard lock(p.mutex);
  return p.bytes;
}

}  // namespace bb::runtime
