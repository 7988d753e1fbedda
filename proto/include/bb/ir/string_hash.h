// The hash for the compiler's tables keyed by std::string_view (value and node names).
#pragma once

#include <cstddef>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

namespace bb::ir {

// Hashes a std::string_view as Abseil hashes its own string_view. Debian's Abseil has an
// absl::string_view of its own, not std's, and absl::Hash<std::string_view> falls back
// to std::hash: libstdc++'s _Hash_bytes, slower on a graph's short names (3 % of a
// million-node compile's samples, in the value maps).
struct StringHash {
  std::size_t operator()(std::string_view s) const noexcept {
    return absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  }
};

template <class V>
using StringMap = absl::flat_hash_map<std::string_view, V, StringHash>;
using StringSet = absl::flat_hash_set<std::string_view, StringHash>;

}  // namespace bb::ir
