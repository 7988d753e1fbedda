// Interned PeerIds: every peer the node's state tracks gets a small integer id, so the
// tables (backoff, governor, dedup) are vectors indexed by it and a gate holds the id
// it parsed at load. The bytes live once, in one arena.
//
// Ids are reference counted: acquire() adds a reference (interning on first use),
// release() drops one, and an id with no references is recycled. find() never adds.
// Not thread-safe: a node and its state are single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "bb/ir/peer_id.h"

namespace bb::runtime {

using PeerIndex = std::uint32_t;
inline constexpr PeerIndex kNoPeer = std::numeric_limits<PeerIndex>::max();

class PeerInterner {
 public:
  PeerInterner();
  PeerInterner(const PeerInterner&) = delete;
  PeerInterner& operator=(const PeerInterner&) = delete;

  // The id of `bytes` (multihash bytes of a valid PeerId), interning it if new; adds a
  // reference.
  PeerIndex acquire(std::string_view bytes);
  PeerIndex acquire(const PeerId& peer) { return acquire(peer.bytes()); }
  // Adds a reference to a live id.
  void retain(PeerIndex id) { ++refs_[id]; }
  // Drops a reference; the id is recycled when none is left.
  void release(PeerIndex id);

  // The id of `bytes`, or kNoPeer when not interned. No allocation.
  PeerIndex find(std::string_view bytes) const;

  std::string_view bytes(PeerIndex id) const;
  // The PeerId (its bytes were validated when it was first acquired).
  PeerId peer(PeerIndex id) const;
  std::string text(PeerIndex id) const { return peer(id).to_text(); }

  std::size_t size() const { return index_.size(); }
  // One past the largest id ever handed out: tables indexed by id size themselves to it.
  std::size_t id_limit() const { return offset_.size(); }
  // Heap bytes held (arena, vectors, hash set), for the memory budget.
  std::size_t memory_bytes() const;

 private:
  struct Hash {
    using is_transparent = void;
    const PeerInterner* self;
    std::size_t operator()(std::string_view bytes) const;
    std::size_t operator()(PeerIndex id) const { return (*this)(self->bytes(id)); }
  };
  struct Eq {
    using is_transparent = void;
    const PeerInterner* self;
    bool operator()(PeerIndex a, PeerIndex b) const { return a == b; }
    bool operator()(PeerIndex a, std::string_view b) const { return self->bytes(a) == b; }
    bool operator()(std::string_view a, PeerIndex b) const { return a == self->bytes(b); }
  };
  void compact();

  std::vector<char> arena_;         // per id: one length byte, then the bytes
  std::vector<std::uint32_t> offset_;  // id → offset in arena_
  std::vector<std::uint32_t> refs_;    // id → references (0: free)
  std::vector<PeerIndex> free_;
  std::size_t garbage_ = 0;  // arena bytes of released ids
  absl::flat_hash_set<PeerIndex, Hash, Eq> index_;
};

}  // namespace bb::runtime
