// Huge-page memory (bb/ir/huge_pages.h), and the arena for one large model held for a
// whole run that takes its blocks from it (bb/ir/model_io.h; here, not in model_io.cc,
// because <sys/mman.h> defines MAP_TYPE, which ONNX's text parser declares).
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <utility>

#include "bb/ir/cpus.h"
#include "bb/ir/huge_pages.h"
#include "bb/ir/model_io.h"

namespace bb::ir {

namespace {

// The blocks HugePagePrefault's thread is to fault in. Never destroyed: a block may be
// freed by a static object's destructor after this file's statics are gone.
struct PrefaultQueue {
  struct Block {
    char* begin;
    std::size_t bytes;
  };
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Block> blocks;
  bool active = false;       // a HugePagePrefault is alive
  bool unsupported = false;  // the kernel cannot populate: blocks are not queued
  bool stop = false;         // its destructor asks the thread to end
  char* current = nullptr;   // the block the thread is faulting in
  bool cancel = false;       // ... which was freed: leave it
  // The arena's next block, asked for one block early (allocate_arena_block).
  void* spare = nullptr;
  std::size_t spare_bytes = 0;
};

std::size_t whole_huge_pages(std::size_t bytes) { return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1); }

PrefaultQueue& prefault_queue() {
  static auto* queue = new PrefaultQueue;  // NOLINT(cppcoreguidelines-owning-memory): see PrefaultQueue
  return *queue;
}

// Faults in [begin, begin + bytes) for writing; false when the kernel cannot.
bool populate(char* begin, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  // ENOMEM/EFAULT: the range was unmapped meanwhile (freed): nothing to do.
  return madvise(begin, bytes, MADV_POPULATE_WRITE) == 0 || errno != EINVAL;
#else
  (void)begin, (void)bytes;
  return false;
#endif
}

void prefault_blocks() {
  PrefaultQueue& queue = prefault_queue();
  std::unique_lock lock(queue.mutex);
  while (true) {
    queue.wake.wait(lock, [&] { return queue.stop || !queue.blocks.empty(); });
    if (queue.stop) return;
    const PrefaultQueue::Block block = queue.blocks.front();
    queue.blocks.pop_front();
    queue.current = block.begin;
    queue.cancel = false;
    bool supported = true;
    // A huge page at a time, the lock let go in between: a request to stop or a free of
    // the block waits for one page, not for the block.
    for (std::size_t at = 0; at < block.bytes && supported && !queue.stop && !queue.cancel; at += kHugePageBytes) {
      lock.unlock();
      supported = populate(block.begin + at, std::min(kHugePageBytes, block.bytes - at));
      lock.lock();
    }
    queue.current = nullptr;
    if (!supported) {
      queue.unsupported = true;
      queue.blocks.clear();
      return;
    }
  }
}

void queue_for_prefault(void* block, std::size_t bytes) {
  PrefaultQueue& queue = prefault_queue();
  {
    const std::lock_guard lock(queue.mutex);
    if (!queue.active || queue.unsupported) return;
    queue.blocks.push_back({static_cast<char*>(block), bytes});
  }
  queue.wake.notify_one();
}

void forget_prefault(void* block) {
  PrefaultQueue& queue = prefault_queue();
  const std::lock_guard lock(queue.mutex);
  if (!queue.active) return;
  if (queue.current == block) queue.cancel = true;
  std::erase_if(queue.blocks, [&](const PrefaultQueue::Block& b) { return b.begin == block; });
}

}  // namespace

HugePagePrefault::HugePagePrefault() {
  if (usable_cpus() < 2) return;  // the thread would take its time from the caller's
  PrefaultQueue& queue = prefault_queue();
  const std::lock_guard lock(queue.mutex);
  if (queue.active) return;  // one at a time: this one does nothing
  queue.active = true;
  queue.stop = false;
  thread_ = std::thread(prefault_blocks);
}

HugePagePrefault::~HugePagePrefault() {
  if (!thread_.joinable()) return;
  PrefaultQueue& queue = prefault_queue();
  void* spare = nullptr;
  {
    const std::lock_guard lock(queue.mutex);
    queue.stop = true;
    queue.active = false;
    queue.blocks.clear();
    spare = std::exchange(queue.spare, nullptr);
  }
  queue.wake.notify_one();
  thread_.join();
  if (spare != nullptr) free_huge_pages(spare);
}

void* allocate_huge_pages(std::size_t bytes) {
  const std::size_t rounded = whole_huge_pages(bytes);
  void* block = std::aligned_alloc(kHugePageBytes, rounded);
  if (block == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  (void)madvise(block, rounded, MADV_HUGEPAGE);  // only advice: refused, the pages stay small
#endif
  queue_for_prefault(block, rounded);
  return block;
}

void free_huge_pages(void* block) {
  forget_prefault(block);
  std::free(block);
}

namespace {

constexpr std::size_t kArenaMaxBlock = 8 * kHugePageBytes;  // faulted in whole (HugePagePrefault): little to spare

// While a prefault runs, the arena's next block is asked for one block early, of the
// size the arena's growth will ask for (twice the last, at most kArenaMaxBlock), so that
// the thread has faulted it in by the time the arena moves into it; else the arena's
// first touches of each block race the thread. A spare of another size is let go.
void* allocate_arena_block(std::size_t size) {
  const std::size_t rounded = whole_huge_pages(size);
  PrefaultQueue& queue = prefault_queue();
  void* block = nullptr;
  void* unused = nullptr;
  bool ahead = false;
  {
    const std::lock_guard lock(queue.mutex);
    ahead = queue.active && !queue.unsupported;
    if (queue.spare_bytes == rounded) {
      block = std::exchange(queue.spare, nullptr);
    } else {
      unused = std::exchange(queue.spare, nullptr);
    }
  }
  if (unused != nullptr) free_huge_pages(unused);
  if (block == nullptr) block = allocate_huge_pages(rounded);
  if (!ahead) return block;
  const std::size_t next_bytes = std::min(2 * rounded, kArenaMaxBlock);
  void* next = nullptr;
  try {
    next = allocate_huge_pages(next_bytes);
  } catch (const std::bad_alloc&) {
    return block;  // no memory for the next block yet: the arena asks when it needs it
  }
  {
    const std::lock_guard lock(queue.mutex);
    if (queue.active && queue.spare == nullptr) {
      queue.spare = std::exchange(next, nullptr);
      queue.spare_bytes = next_bytes;
    }
  }
  if (next != nullptr) free_huge_pages(next);
  return block;
}

void free_arena_block(void* block, std::size_t) { free_huge_pages(block); }

}  // namespace

google::protobuf::ArenaOptions large_model_arena_options() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kHugePageBytes;
  options.max_block_size = kArenaMaxBlock;
  options.block_alloc = allocate_arena_block;
  options.block_dealloc = free_arena_block;
  return options;
}

}  // namespace bb::ir
