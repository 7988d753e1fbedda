// The trace (docs/runtime.md, "Outputs"): one JSON object per event, in event order, with the
// fields t_ns, node, exec, op, op_type, event, state, outcome, reason, peer (absent omitted).
// A node holds a TraceSink pointer that is null when tracing is off: no cost beyond one
// branch per event.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "bb/ir/sha256.h"

namespace bb::runtime {

// kLink: a destination's connection changed state (a networked node; no op, exec 0).
enum class TraceEvent : std::uint8_t { kFire, kDeny, kFail, kAttempt, kOutcome, kReceive, kDrop, kLink };
// "fire", "deny", "fail", "attempt", "outcome", "receive", "drop", "link".
std::string_view to_string(TraceEvent event);

struct TraceRecord {
  std::int64_t t_ns = 0;
  std::string_view node;  // the node's peer (text form)
  std::uint64_t exec = 0;  // execution number; 0 = the static run at start
  std::string_view op;     // node name
  std::string_view op_type;
  TraceEvent event = TraceEvent::kFire;
  std::string_view outcome;  // "" = absent
  std::string_view reason;   // "" = absent
  std::string_view peer;     // "" = absent
  std::string_view state;    // "" = absent (kLink: the connection's new state)
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(const TraceRecord& record) = 0;
  // An execution's frame began (trigger: the op that started it, by name and type) or
  // ended. The JSONL trace has no line for these; timelines (ChromeTrace) draw slices.
  virtual void execution_begin(std::int64_t /*t_ns*/, std::string_view /*node*/, std::uint64_t /*exec*/,
                               std::string_view /*trigger*/, std::string_view /*trigger_type*/) {}
  virtual void execution_end(std::int64_t /*t_ns*/, std::string_view /*node*/, std::uint64_t /*exec*/) {}
};

// JSONL to a stream, hashing the bytes as they go.
class JsonlTrace final : public TraceSink {
 public:
  explicit JsonlTrace(std::ostream* out) : out_(out) {}
  void write(const TraceRecord& record) override;
  std::uint64_t events() const { return events_; }
  // Lowercase hex SHA-256 of every byte written so far (call once, at the end).
  std::string finish_sha256();

 private:
  std::ostream* out_;
  Sha256 hash_;
  std::string line_;
  std::uint64_t events_ = 0;
};

// One line (with its newline), as JsonlTrace writes it.
void format_trace_line(const TraceRecord& record, std::string& out);

}  // namespace bb::runtime
