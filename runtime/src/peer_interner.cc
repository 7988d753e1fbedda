#include "bb/runtime/peer_interner.h"

#include <algorithm>
#include <cassert>

#include <absl/hash/hash.h>

namespace bb::runtime {

namespace {

// Grows by a quarter instead of doubling (the per-peer memory budget counts capacity).
template <class C>
void reserve_for(C& c, std::size_t n) {
  if (n > c.capacity()) c.reserve(std::max(n, c.capacity() + c.capacity() / 4 + 64));
}

}  // namespace

PeerInterner::PeerInterner() : index_(0, Hash{this}, Eq{this}) {}

std::size_t PeerInterner::Hash::operator()(std::string_view bytes) const {
  return absl::Hash<std::string_view>{}(bytes);
}

std::string_view PeerInterner::bytes(PeerIndex id) const {
  const std::uint32_t at = offset_[id];
  return {arena_.data() + at + 1, static_cast<unsigned char>(arena_[at])};
}

PeerId PeerInterner::peer(PeerIndex id) const {
  auto parsed = PeerId::from_bytes(bytes(id));
  assert(parsed.has_value());
  return parsed.has_value() ? *parsed : PeerId{};
}

PeerIndex PeerInterner::find(std::string_view bytes) const {
  auto it = index_.find(bytes);
  return it == index_.end() ? kNoPeer : *it;
}

PeerIndex PeerInterner::acquire(std::string_view bytes) {
  assert(bytes.size() <= PeerId::kMaxBytes);
  if (auto it = index_.find(bytes); it != index_.end()) {
    ++refs_[*it];
    return *it;
  }
  PeerIndex id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<PeerIndex>(offset_.size());
    reserve_for(offset_, offset_.size() + 1);
    reserve_for(refs_, refs_.size() + 1);
    offset_.push_back(0);
    refs_.push_back(0);
  }
  offset_[id] = static_cast<std::uint32_t>(arena_.size());
  reserve_for(arena_, arena_.size() + 1 + bytes.size());
  arena_.push_back(static_cast<char>(bytes.size()));
  arena_.insert(arena_.end(), bytes.begin(), bytes.end());
  refs_[id] = 1;
  index_.insert(id);
  return id;
}

void PeerInterner::release(PeerIndex id) {
  assert(refs_[id] > 0);
  if (--refs_[id] != 0) return;
  index_.erase(id);
  garbage_ += 1 + bytes(id).size();
  free_.push_back(id);
  if (garbage_ > 4096 && garbage_ * 2 > arena_.size()) compact();
}

void PeerInterner::compact() {
  std::vector<char> arena;
  arena.reserve(arena_.size() - garbage_);
  for (PeerIndex id = 0; id < offset_.size(); ++id) {
    if (refs_[id] == 0) continue;
    const std::string_view b = bytes(id);
    offset_[id] = static_cast<std::uint32_t>(arena.size());
    arena.push_back(static_cast<char>(b.size()));
    arena.insert(arena.end(), b.begin(), b.end());
  }
  arena_ = std::move(arena);
  garbage_ = 0;
}

std::size_t PeerInterner::memory_bytes() const {
  // A flat_hash_set slot is the key plus one control byte.
  return arena_.capacity() + offset_.capacity() * sizeof(std::uint32_t) + refs_.capacity() * sizeof(std::uint32_t) +
         free_.capacity() * sizeof(PeerIndex) + index_.capacity() * (sizeof(PeerIndex) + 1);
}

}  // namespace bb::runtime
