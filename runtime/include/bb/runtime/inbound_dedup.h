// InboundDedup (docs/runtime.md): remembers (gate, source peer, incarnation, message id) of
// the envelopes a dedup gate let through, in a bounded window (oldest first out) with
// a TTL. A repeat inside the window is a `duplicate`. (Upstream keyed on payload bytes
// only, so every identical trigger after the first was dropped.)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "bb/runtime/peer_interner.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

struct DedupKey {
  std::uint32_t gate = 0;  // the gate's node index
  PeerIndex source = kNoPeer;
  std::uint64_t incarnation = 0;
  std::uint64_t message_id = 0;
  friend bool operator==(const DedupKey&, const DedupKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const DedupKey& k) {
    return H::combine(std::move(h), k.gate, k.source, k.incarnation, k.message_id);
  }
};

class InboundDedup {
 public:
  InboundDedup(PeerInterner& peers, DedupSettings settings);
  InboundDedup(const InboundDedup&) = delete;
  InboundDedup& operator=(const InboundDedup&) = delete;
  ~InboundDedup();

  // True the first time (the key is remembered), false for a repeat inside the window.
  bool admit(std::uint32_t gate, std::string_view source_bytes, std::uint64_t incarnation,
             std::uint64_t message_id, std::int64_t now_ns);
  // The same for a source the node has interned already (an envelope frame's sender):
  // one hash probe, no interning.
  bool admit(std::uint32_t gate, PeerIndex source, std::uint64_t incarnation, std::uint64_t message_id,
             std::int64_t now_ns);
  std::size_t size() const { return seen_.size(); }

 private:
  struct Entry {
    DedupKey key;
    std::int64_t t_ns;
  };
  // The set holds ring positions (4 bytes a slot instead of the 24-byte key): a window
  // of 8192 is ~80 KB of set instead of ~400 KB, which matters with many nodes in one
  // process. Positions hash and compare as the keys they hold.
  struct Hash {
    using is_transparent = void;
    const std::vector<Entry>* ring;
    std::size_t operator()(const DedupKey& k) const { return absl::Hash<DedupKey>{}(k); }
    std::size_t operator()(std::uint32_t position) const { return (*this)((*ring)[position].key); }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<Entry>* ring;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return a == b; }
    bool operator()(std::uint32_t a, const DedupKey& b) const { return (*ring)[a].key == b; }
    bool operator()(const DedupKey& a, std::uint32_t b) const { return a == (*ring)[b].key; }
  };
  void expire(std::int64_t now_ns);
  void pop_oldest();

  PeerInterner& peers_;
  DedupSettings settings_;
  std::vector<Entry> ring_;  // FIFO of admitted keys, capacity = window
  std::size_t head_ = 0, count_ = 0;
  absl::flat_hash_set<std::uint32_t, Hash, Eq> seen_;  // positions in ring_ of the admitted keys
};

}  // namespace bb::runtime
