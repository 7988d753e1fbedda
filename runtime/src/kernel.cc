#include "bb/runtime/kernel.h"

#include <algorithm>
#include <cstddef>

#include "bb/runtime/program_memory.h"

namespace bb::runtime {
namespace {

// Before every kernel Kernel::operator new returns: the block it is in, or null for a
// heap object. 16 bytes keep the kernel aligned as operator new must.
struct alignas(alignof(std::max_align_t)) KernelHeader {
  KernelBlock* block;
};
constexpr std::size_t kHeader = sizeof(KernelHeader);

// The block kernels made on this thread go into (KernelBlock::Placing).
thread_local KernelBlock* t_placing = nullptr;

// Blocks grow from the first guess to the pool's huge-page size; under the pool's
// smallest block they are the C library's (a node of a small graph, of which a
// simulation may run hundreds, takes a few KiB).
constexpr std::size_t kMinBlockBytes = 4 << 10;
constexpr std::size_t kMaxBlockBytes = ir::kHugePageBytes;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

void* allocate_block(std::size_t bytes) {
  return bytes >= kPooledBlockMinBytes ? allocate_program_block(bytes) : ::operator new(bytes);
}

void free_block(void* block, std::size_t bytes) {
  if (bytes >= kPooledBlockMinBytes)
    free_program_block(block, bytes);
  else
    ::operator delete(block);
}

}  // namespace

KernelBlock::~KernelBlock() {
  for (const Block& b : blocks_) free_block(b.data, b.size);
}

KernelBlock::Placing::Placing(KernelBlock& block) : previous_(t_placing) { t_placing = &block; }

KernelBlock::Placing::~Placing() { t_placing = previous_; }

void* KernelBlock::allocate(std::size_t bytes) {
  bytes = round_up(bytes, alignof(std::max_align_t));
  if (static_cast<std::size_t>(end_ - cursor_) < bytes) {
    // A power of two (the pool's sizes), doubling per block up to a huge page.
    std::size_t size = kMinBlockBytes;
    while (size < std::min(next_bytes_, kMaxBlockBytes)) size *= 2;
    if (bytes > size / 4) return nullptr;
    char* data = static_cast<char*>(allocate_block(size));
    blocks_.push_back({data, size});
    cursor_ = data;
    end_ = data + size;
    next_bytes_ = std::min(size * 2, kMaxBlockBytes);
  }
  void* p = cursor_;
  cursor_ += bytes;
  return p;
}

void* Kernel::operator new(std::size_t size) {
  KernelBlock* block = t_placing;
  void* p = block != nullptr ? block->allocate(kHeader + size) : nullptr;
  if (p == nullptr) {
    block = nullptr;
    p = ::operator new(kHeader + size);
  }
  auto* header = new (p) KernelHeader{block};
  return header + 1;
}

void Kernel::operator delete(void* p) noexcept {
  if (p == nullptr) return;
  auto* header = static_cast<KernelHeader*>(p) - 1;
  if (header->block == nullptr) ::operator delete(header);
  // A kernel in a block: its memory goes with the block.
}

void* Kernel::operator new(std::size_t size, std::align_val_t alignment) { return ::operator new(size, alignment); }

void Kernel::operator delete(void* p, std::align_val_t alignment) noexcept { ::operator delete(p, alignment); }

}  // namespace bb::runtime
