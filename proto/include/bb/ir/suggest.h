// "Did you mean …?": the known word closest to a mistyped one. Used wherever a user
// types a name bb knows the list of (attribute names, op types, domains, subcommands).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bb::ir {

// The edit distance (insertions, deletions, substitutions and swaps of neighbours,
// ASCII case ignored) between two words.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a typo of it (at most
// `max_distance` edits; 0: one edit per three characters, at least one), else nullopt.
// Ties: the first candidate.
std::optional<std::string_view> closest_match(std::string_view word, std::span<const std::string_view> candidates,
                                              std::size_t max_distance = 0);

// " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace bb::ir
