#include "bb/ir/duration.h"

#include <cstdio>

#include <array>
#include <limits>

namespace bb {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ns;
};
// Longest suffixes first, so "ms" is not read as "m" + "s".
constexpr std::array<Unit, 6> kUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Expected<std::int64_t, std::string> parse_duration(std::string_view text) {
  std::size_t digits_end = 0;
  while (digits_end < text.size() && (is_digit(text[digits_end]) || text[digits_end] == '.')) ++digits_end;
  const std::string_view number = text.substr(0, digits_end);
  const std::string_view suffix = text.substr(digits_end);
  if (number.empty() || number == ".")
    return unexpected("'" + std::string(text) + "' is not a duration: expected a number then ns, us, ms, s, m or h");
  const Unit* unit = nullptr;
  for (const auto& u : kUnits)
    if (u.suffix == suffix) unit = &u;
  if (unit == nullptr) {
    return unexpected("'" + std::string(text) + "' has " +
                      (suffix.empty() ? std::string("no unit") : "unknown unit '" + std::string(suffix) + "'") +
                      ": use ns, us, ms, s, m or h");
  }
  const auto dot = number.find('.');
  if (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos)
    return unexpected("'" + std::string(text) + "' has more than one decimal point");
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);

  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  const auto too_large = [&] { return unexpected("'" + std::string(text) + "' is out of range"); };
  std::int64_t ns = 0;
  for (char c : whole) {
    const int d = c - '0';
    if (ns > (kMax - d) / 10) return too_large();
    ns = ns * 10 + d;
  }
  if (ns > kMax / unit->ns) return too_large();
  ns *= unit->ns;
  // The fraction contributes digit · unit / 10^k for its k-th digit; it must be exact.
  std::int64_t scale = unit->ns;
  for (char c : fraction) {
    const int d = c - '0';
    if (scale % 10 != 0) {
      if (d != 0) return unexpected("'" + std::string(text) + "' is finer than a nanosecond");
      continue;
    }
    scale /= 10;
    if (ns > kMax - d * scale) return too_large();
    ns += d * scale;
  }
  return ns;
}

std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t v = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  // Pick the largest unit in which the value has at most three decimals.
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    const auto unit = static_cast<std::uint64_t>(it->ns);
    if (v < unit) continue;
    const std::uint64_t whole = v / unit;
    const std::uint64_t rest = v % unit;
    if (rest == 0) return sign + std::to_string(whole) + std::string(it->suffix);
    if (unit >= 1000 && rest % (unit / 1000) == 0 && it->suffix != "m" && it->suffix != "h") {
      std::string frac = std::to_string(1000 + rest / (unit / 1000)).substr(1);
      while (frac.back() == '0') frac.pop_back();
      return sign + std::to_string(whole) + "." + frac + std::string(it->suffix);
    }
  }
  return sign + std::to_string(v) + "ns";
}

std::string format_time(std::int64_t ns) {
  const std::uint64_t v = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  const char* sign = ns < 0 ? "-" : "";
  struct Scale {
    std::uint64_t ns;
    const char* suffix;
  };
  // The largest unit the value reaches; exact values keep their short form ("10ms",
  // "1.5s"), others get three decimals ("1.000s").
  for (const Scale unit : {Scale{1'000'000'000, "s"}, Scale{1'000'000, "ms"}, Scale{1'000, "us"}}) {
    if (v < unit.ns) continue;
    const std::uint64_t whole = v / unit.ns, rest = v % unit.ns;
    char buf[48];
    if (rest % (unit.ns / 1000) == 0) {
      std::string frac = std::to_string(1000 + rest / (unit.ns / 1000)).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      return sign + std::to_string(whole) + (frac.empty() ? "" : "." + frac) + unit.suffix;
    }
    std::snprintf(buf, sizeof buf, "%s%.3f%s", sign, static_cast<double>(v) / static_cast<double>(unit.ns), unit.suffix);
    return buf;
  }
  return v == 0 ? std::string("0s") : sign + std::to_string(v) + "ns";
}

}  // namespace bb
