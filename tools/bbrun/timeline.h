// The feedback loop of a run as a person reads it (bbrun --sim and the real network).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "bb/ir/duration.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/node.h"

namespace bb::bbrun {

// Times in the log: seconds with millisecond precision ("2.006s"), so the lines of a run
// align; durations in them are format_time's.
inline std::string at(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

// The feedback loop as a person reads it: one line per change of a peer's state while
// the run goes, and at the end one line per (sender, destination) with the attempts by
// outcome and the sends the Tx gates held.
class Timeline final : public runtime::PeerObserver {
 public:
  void outcome(const runtime::PeerOutcome& c) override {
    Link& link = links_[{std::string(c.node), std::string(c.peer)}];
    ++link.outcomes[static_cast<std::size_t>(c.outcome)];
    if (c.failures == 0 && c.failures_before == 0) return;  // business as usual
    std::string line = at(c.t_ns) + "  " + std::string(c.node) + " -> " + std::string(c.peer) + ": " +
                       std::string(runtime::to_string(c.outcome));
    if (!c.reason.empty()) line += " (" + std::string(c.reason) + ")";  // the receiver's refusal
    if (c.failures == 0) {
      line += " after " + std::to_string(c.failures_before) + " failure(s): cooldown cleared";
    } else {
      line += ", failure " + std::to_string(c.failures) + ": cooldown " + format_time(c.next_retry_ns - c.t_ns) +
              ", next try at " + at(c.next_retry_ns);
      if (c.down) line += ", peer down";
    }
    if (link.held_since > 0) line += " (" + std::to_string(link.held_since) + " send(s) held since the last outcome)";
    link.held_since = 0;
    spdlog::info("{}", line);
  }
  void held(std::int64_t, std::string_view node, std::string_view peer, runtime::Reason reason) override {
    Link& link = links_[{std::string(node), std::string(peer)}];
    ++link.held_since;
    ++link.held[static_cast<std::size_t>(reason)];
  }

  std::string table() const {
    std::string out = "== sends per destination\n";
    for (const auto& [key, link] : links_) {
      std::string line = "  " + key.first + " -> " + key.second;
      if (line.size() < 28) line.append(28 - line.size(), ' ');
      const char* sep = " ";
      for (std::size_t k = 0; k < link.outcomes.size(); ++k) {
        if (link.outcomes[k] == 0 && k != 0) continue;
        line += sep + std::string(runtime::to_string(static_cast<runtime::OutcomeKind>(k))) + " " +
                std::to_string(link.outcomes[k]);
        sep = ", ";
      }
      for (std::size_t r = 1; r < link.held.size(); ++r)
        if (link.held[r] != 0)
          line += ", held " + std::to_string(link.held[r]) + " (" +
                  std::string(runtime::to_string(static_cast<runtime::Reason>(r))) + ")";
      out += line + "\n";
    }
    return out;
  }

 private:
  struct Link {
    std::array<std::uint64_t, runtime::kOutcomeKinds> outcomes{};
    std::array<std::uint64_t, runtime::kReasonCount> held{};
    std::uint64_t held_since = 0;
  };
  std::map<std::pair<std::string, std::string>, Link> links_;
};

}  // namespace bb::bbrun
