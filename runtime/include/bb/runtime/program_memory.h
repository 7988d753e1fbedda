// The memory a load makes in proportion to the model — the arena the model is parsed
// into (Program::load) and the plan's tables — comes in blocks from a pool the process
// keeps: when a program goes, its blocks wait there for the next load instead of going
// back to the C library. glibc gives the free top of its heap back to the system once
// it is larger than its trim threshold (twice the largest mmap'd block freed so far: a
// 14 MB file's bytes make it 28 MB), and a 100k-node model is ~120 MB of arena and
// ~40 MB of tables, so a process that loads again (a restarted node, a test, the
// start-up benchmark) got most pages back by a fault, 6–15 µs each on a virtual machine
// (docs/performance.md, "Round 6: start-up"). The file's bytes stay the C library's:
// that one large free is what keeps the trim threshold above a dropped program ("Round
// 7: start-up"). Blocks of 2 MiB and more are huge pages (bb/ir/huge_pages.h), so a
// first load faults far less often too.
#pragma once

#include <cstddef>
#include <vector>

#include <google/protobuf/arena.h>

#include "bb/ir/huge_pages.h"

namespace bb::runtime {

// Smaller requests are the C library's.
inline constexpr std::size_t kPooledBlockMinBytes = std::size_t{64} << 10;
// The most the pool keeps; blocks freed beyond it go back to the C library.
inline constexpr std::size_t kMaxPooledProgramBytes = std::size_t{256} << 20;

// A block of at least `bytes` (kPooledBlockMinBytes or more), and its return with the
// same `bytes`.
void* allocate_program_block(std::size_t bytes);
void free_program_block(void* block, std::size_t bytes) noexcept;

template <class T>
using ProgramAllocator = ir::LargeBlockAllocator<T, kPooledBlockMinBytes, allocate_program_block, free_program_block>;
template <class T>
using ProgramVector = std::vector<T, ProgramAllocator<T>>;

google::protobuf::ArenaOptions program_arena_options();

// What the pool holds now, in bytes.
std::size_t pooled_program_bytes();

}  // namespace bb::runtime
