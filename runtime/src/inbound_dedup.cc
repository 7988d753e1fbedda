#include "bb/runtime/inbound_dedup.h"

#include <algorithm>

namespace bb::runtime {
namespace {

constexpr std::uint64_t block_of(std::uint64_t id) { return id / 64; }
constexpr std::uint64_t bit_of(std::uint64_t id) { return std::uint64_t{1} << (id % 64); }

}  // namespace

InboundDedup::InboundDedup(PeerInterner& peers, DedupSettings settings) : peers_(peers), settings_(settings) {
  settings_.window = std::clamp<std::size_t>(settings_.window, 1, kMaxDedupWindow);
  settings_.max_streams = std::clamp<std::size_t>(settings_.max_streams, 1, kMaxDedupStreams);
}

InboundDedup::~InboundDedup() {
  while (oldest_ != kNone) close(oldest_);
}

Reason InboundDedup::admit(std::uint32_t gate, std::string_view source_bytes, std::uint64_t incarnation,
                           std::uint64_t message_id, std::int64_t now_ns) {
  const PeerIndex source = peers_.acquire(source_bytes);
  const Reason reason = admit(gate, source, incarnation, message_id, now_ns);
  peers_.release(source);  // a stream keeps its own reference
  return reason;
}

Reason InboundDedup::admit(std::uint32_t gate, PeerIndex source, std::uint64_t incarnation, std::uint64_t message_id,
                           std::int64_t now_ns) {
  sweep(now_ns);
  const StreamKey key{gate, source, incarnation};
  if (source >= recent_.size()) recent_.resize(std::max<std::size_t>(peers_.id_limit(), source + std::size_t{1}), kNone);
  std::uint32_t& recent = recent_[source];
  if (recent == kNone || !(streams_[recent].key == key)) {
    const auto it = by_key_.find(key);
    recent = it != by_key_.end() ? it->second : kNone;  // kNone: opened below
  }
  if (recent != kNone) {
    const std::uint32_t index = recent;
    // Any envelope keeps its stream alive, refused ones too: a stream under a replay
    // attack must not be swept and forget what it refuses.
    touch(index, now_ns);
    return check_and_set(streams_[index], message_id);
  }
  const std::uint32_t index = open(key, now_ns);  // may close a stream: `recent` is not held across it
  recent_[source] = index;
  Stream& stream = streams_[index];
  stream.highest = message_id;
  stream.words.assign(1, bit_of(message_id));
  return Reason::kNone;
}

Reason InboundDedup::check_and_set(Stream& stream, std::uint64_t message_id) const {
  const std::uint64_t window = settings_.window;
  const std::uint64_t top = block_of(stream.highest);
  if (message_id > stream.highest) {
    // The window slides up. The stored blocks still inside it are kept (the words grow
    // to hold them and the new top); the blocks it enters start empty.
    const std::uint64_t new_top = block_of(message_id);
    const std::uint64_t stored_from = top + 1 >= stream.words.size() ? top + 1 - stream.words.size() : 0;
    const std::uint64_t floor = message_id >= window ? block_of(message_id - window + 1) : 0;
    const std::uint64_t keep_from = std::max(stored_from, floor);
    if (keep_from <= top && new_top - keep_from + 1 > stream.words.size()) grow(stream, new_top - keep_from + 1);
    const std::uint64_t size = stream.words.size();
    const std::uint64_t entering = new_top - top;
    if (entering >= size) {
      std::fill(stream.words.begin(), stream.words.end(), 0);
    } else {
      for (std::uint64_t b = top + 1; b <= new_top; ++b) stream.words[b % size] = 0;
    }
    stream.highest = message_id;
    stream.words[new_top % size] |= bit_of(message_id);
    return Reason::kNone;
  }
  if (stream.highest >= window && message_id <= stream.highest - window) return Reason::kReplay;
  const std::uint64_t block = block_of(message_id);
  // A block below the stored ones is still empty: make room for it.
  if (top - block >= stream.words.size()) grow(stream, top - block + 1);
  std::uint64_t& word = stream.words[block % stream.words.size()];
  if ((word & bit_of(message_id)) != 0) return Reason::kDuplicate;
  word |= bit_of(message_id);
  return Reason::kNone;
}

void InboundDedup::grow(Stream& stream, std::uint64_t blocks) const {
  // Doubling, but never past the blocks a window can touch: (window - 1) / 64 + 2.
  const std::uint64_t top = block_of(stream.highest);
  const std::uint64_t most = (settings_.window - 1) / 64 + 2;
  const std::uint64_t old_size = stream.words.size();
  const std::uint64_t size = std::min(most, std::max(blocks, 2 * old_size));
  std::vector<std::uint64_t> words(size, 0);
  for (std::uint64_t k = 0; k < old_size && k <= top; ++k) words[(top - k) % size] = stream.words[(top - k) % old_size];
  stream.words = std::move(words);
}

std::uint32_t InboundDedup::open(const StreamKey& key, std::int64_t now_ns) {
  if (by_key_.size() >= settings_.max_streams) close(oldest_);
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(streams_.size());
    streams_.emplace_back();
  }
  Stream& stream = streams_[index];
  stream.key = key;
  stream.last_ns = now_ns;
  stream.older = newest_;
  stream.newer = kNone;
  (newest_ != kNone ? streams_[newest_].newer : oldest_) = index;
  newest_ = index;
  peers_.retain(key.source);
  by_key_.emplace(key, index);
  return index;
}

void InboundDedup::close(std::uint32_t index) {
  Stream& stream = streams_[index];
  if (stream.key.source < recent_.size() && recent_[stream.key.source] == index) recent_[stream.key.source] = kNone;
  unlink(index);
  by_key_.erase(stream.key);
  peers_.release(stream.key.source);
  std::vector<std::uint64_t>().swap(stream.words);
  free_.push_back(index);
}

void InboundDedup::unlink(std::uint32_t index) {
  Stream& stream = streams_[index];
  (stream.older != kNone ? streams_[stream.older].newer : oldest_) = stream.newer;
  (stream.newer != kNone ? streams_[stream.newer].older : newest_) = stream.older;
  stream.older = stream.newer = kNone;
}

void InboundDedup::touch(std::uint32_t index, std::int64_t now_ns) {
  Stream& stream = streams_[index];
  stream.last_ns = now_ns;
  if (newest_ == index) return;
  unlink(index);
  stream.older = newest_;
  streams_[newest_].newer = index;
  newest_ = index;
}

void InboundDedup::sweep(std::int64_t now_ns) {
  while (oldest_ != kNone && now_ns - streams_[oldest_].last_ns >= settings_.ttl_ns) close(oldest_);
}

std::size_t InboundDedup::memory_bytes() const {
  std::size_t bytes = streams_.capacity() * sizeof(Stream) + free_.capacity() * sizeof(std::uint32_t) +
                      recent_.capacity() * sizeof(std::uint32_t) +
                      by_key_.capacity() * (sizeof(std::pair<StreamKey, std::uint32_t>) + 1);
  for (const Stream& stream : streams_) bytes += stream.words.capacity() * sizeof(std::uint64_t);
  return bytes;
}

}  // namespace bb::runtime
