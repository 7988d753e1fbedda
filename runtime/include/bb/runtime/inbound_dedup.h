// InboundDedup (docs/runtime.md): the anti-replay window of the dedup gates, as IPsec,
// DTLS and QUIC keep one. A sender numbers its envelopes 1, 2, 3, … per incarnation
// (message ids only grow), so per stream — (gate, source peer, incarnation) — it keeps
// the highest id admitted and a bitmap of the last `window` ids below it:
//
//   id > highest                  admitted; the window slides up to it
//   highest - window < id <= highest   admitted unless its bit is set (`duplicate`)
//   id <= highest - window        refused as a `replay`: too old to tell apart
//
// Memory is taken as it is used and stays bounded whatever peers send: a stream's bitmap
// grows (doubling) only as far as the ids it has seen span, never past the window; a stream idle for the TTL is swept; at `max_streams` the least
// recently used stream is forgotten to make room. (Before, a FIFO of the last `window`
// keys of all streams with a hash set over them: far more memory per remembered id, and
// an old id fell out of the window and passed again.)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bb/runtime/peer_interner.h"
#include "bb/runtime/reasons.h"
#include "bb/runtime/settings.h"

namespace bb::runtime {

class InboundDedup {
 public:
  InboundDedup(PeerInterner& peers, DedupSettings settings);
  InboundDedup(const InboundDedup&) = delete;
  InboundDedup& operator=(const InboundDedup&) = delete;
  ~InboundDedup();

  // Reason::kNone when the envelope is new (it is remembered), kDuplicate when its id
  // was admitted before, kReplay when it lies below the stream's window.
  Reason admit(std::uint32_t gate, std::string_view source_bytes, std::uint64_t incarnation,
               std::uint64_t message_id, std::int64_t now_ns);
  // The same for a source the node has interned already (an envelope frame's sender).
  Reason admit(std::uint32_t gate, PeerIndex source, std::uint64_t incarnation, std::uint64_t message_id,
               std::int64_t now_ns);

  // Streams remembered.
  std::size_t streams() const { return by_key_.size(); }
  // Heap bytes held (streams, bitmaps, the map), for the memory budget.
  std::size_t memory_bytes() const;

 private:
  struct StreamKey {
    std::uint32_t gate = 0;  // the gate's node index
    PeerIndex source = kNoPeer;
    std::uint64_t incarnation = 0;
    friend bool operator==(const StreamKey&, const StreamKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const StreamKey& k) {
      return H::combine(std::move(h), k.gate, k.source, k.incarnation);
    }
  };
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Stream {
    StreamKey key;
    std::uint64_t highest = 0;  // the highest id admitted
    std::int64_t last_ns = 0;   // the last envelope, for the TTL sweep
    std::uint32_t older = kNone, newer = kNone;  // the list by last use
    // Ids in 64-bit words: block b = id / 64 lies at words[b % size]; the words hold the
    // blocks highest/64 - size + 1 … highest/64, at most (window - 1) / 64 + 2 of them.
    std::vector<std::uint64_t> words;
  };

  std::uint32_t open(const StreamKey& key, std::int64_t now_ns);
  void close(std::uint32_t index);
  void touch(std::uint32_t index, std::int64_t now_ns);
  void unlink(std::uint32_t index);
  void sweep(std::int64_t now_ns);
  // Makes the words of `stream` hold at least `blocks` blocks up to its highest (and at
  // most the blocks of a window), keeping what they hold.
  void grow(Stream& stream, std::uint64_t blocks) const;
  Reason check_and_set(Stream& stream, std::uint64_t message_id) const;

  PeerInterner& peers_;
  DedupSettings settings_;
  // By source id: the stream that source's last envelope went to (kNone: none open). A
  // source sends on one (gate, incarnation) stream at a time, so its next envelope finds
  // its stream without hashing the key; the stream's key is compared before it is used,
  // and close() forgets the slot. One word per interned id, however many streams.
  std::vector<std::uint32_t> recent_;
  std::vector<Stream> streams_;  // slots; a closed one goes to free_
  std::vector<std::uint32_t> free_;
  std::uint32_t oldest_ = kNone, newest_ = kNone;
  absl::flat_hash_map<StreamKey, std::uint32_t> by_key_;
};

}  // namespace bb::runtime
