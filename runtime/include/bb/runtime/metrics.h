// Metrics (docs/runtime.md, docs/spec.md): per-node counters, the metrics JSON and the run summary.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bb/ir/gates.h"
#include "bb/runtime/reasons.h"
#include "bb/runtime/transport.h"
#include "bb/runtime/value.h"

namespace bb::runtime {

// Gate decisions are counted per gate of the catalogue, indexed by ir::Gate.
inline constexpr int kGateKinds = ir::kGateCount;
inline constexpr int kOutcomeKinds = 5;

// A named series of the Record op: one point per record, in time order.
struct Series {
  struct Point {
    std::int64_t t_ns = 0;
    double value = 0;
  };
  std::string name;
  std::vector<Point> points;
};

struct NodeMetrics {
  std::uint64_t executions = 0;  // frames started by a trigger source
  std::uint64_t dispatches = 0;  // kernel runs, static and in frames
  std::uint64_t skipped = 0;     // nodes that did not run because something upstream failed or was denied
  std::array<std::uint64_t, kOutcomeKinds> attempts{};  // by OutcomeKind
  // `rejected` attempts by the receiver's refusal label ("no_recv", "oversized", …),
  // in the order first seen.
  std::vector<std::pair<std::string, std::uint64_t>> rejected_by;
  // Gate decisions: [gate][reason]; Reason::kNone counts `allowed`.
  std::array<std::array<std::uint64_t, kReasonCount>, kGateKinds> gates{};
  std::array<bool, kGateKinds> gate_present{};  // the graph has this gate
  std::uint64_t receives_accepted = 0;          // envelope frames no rx gate or Recv refused
  std::array<std::uint64_t, kReasonCount> receive_drops{};
  // IncrMetric counters, in the order the graph names them.
  std::vector<std::pair<std::string, std::int64_t>> counters;
  // Record series, in the order the graph names them.
  std::vector<Series> series;

  // Adds `other` (the simulator sums a node's incarnations).
  void merge(const NodeMetrics& other);
};

struct PeerReport {
  std::string peer;  // text form
  std::uint32_t failures = 0;
  std::int64_t next_retry_ns = 0;
  bool down = false;
};

// One destination of a real transport: its connection and what went over it.
struct LinkReport {
  std::string peer;     // text form
  std::string address;  // host:port
  std::string state;    // the connection's state: "idle", "connecting", "ready", "transient_failure", "shutdown"
  std::uint64_t bytes_sent = 0;      // encoded envelopes sent
  std::uint64_t bytes_received = 0;  // acknowledgements received
  std::array<std::uint64_t, kOutcomeKinds> outcomes{};  // by OutcomeKind
  // By OutcomeKind, reason label → count: the receiver's refusals for `rejected`, what the
  // transport saw for the others ("no_address", "unavailable", "deadline", "stopped", …).
  std::array<std::vector<std::pair<std::string, std::uint64_t>>, kOutcomeKinds> reasons;
};

// A named state at the end of a run (StateGet/StateSet): what it holds and, for a
// tensor, the SHA-256 of its element bytes (little-endian, row-major), so two runs can
// be compared bit for bit.
struct StateReport {
  std::string name;
  std::string value;   // describe(): "tensor float[650]", "empty" before the first StateSet
  std::string sha256;  // lowercase hex; empty unless a numeric tensor
};
StateReport state_report(std::string_view name, const Value& value);

struct NodeReport {
  std::string peer;  // text form
  NodeMetrics metrics;
  std::vector<PeerReport> peers;  // peers with failures, sorted by text
  // Envelopes the transport refused before they reached the graph (limits), by reason
  // label ("oversized", "malformed", …); written under `receives` next to the drops.
  std::vector<std::pair<std::string, std::uint64_t>> refused;
  // Per destination of a real transport, sorted by peer (empty in --sim and without a network).
  std::vector<LinkReport> links;
  // Inbound bytes of a real transport (envelopes received), 0 otherwise.
  std::uint64_t bytes_received = 0;

  // The live instance's named states, sorted by name (none while crashed).
  std::vector<StateReport> states;
};

struct NetworkStats {
  std::uint64_t sent = 0, delivered = 0, lost = 0, duplicated = 0;
};

// The metrics JSON of Appendix A. Nodes are written sorted by peer; `network` only when
// given (--sim); `trace_sha256` is null when empty (no --trace).
std::string metrics_json(std::span<const NodeReport> nodes, const NetworkStats* network,
                         std::string_view trace_sha256);
// The human summary table (stderr at exit).
std::string summary_text(std::span<const NodeReport> nodes, const NetworkStats* network);

}  // namespace bb::runtime
