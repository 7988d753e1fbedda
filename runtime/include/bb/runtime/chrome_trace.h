// The trace in the Trace Event Format (JSON), for Perfetto and chrome://tracing
// (`bbrun --trace-format chrome`). It is drawn from the same events as the JSONL trace,
// plus the execution boundaries and the cooldowns the feedback loop sets:
//
//   process (pid, process_name)    one per node, in order of first appearance
//   "executions" tracks            one complete slice (ph X) per execution, named by its
//                                  trigger op ("tick (Interval)"); overlapping executions take further lanes
//                                  ("executions 2", …) so slices on one track never
//                                  overlap; fire/receive/deny/fail/drop events of the
//                                  execution are instant events (ph i) on its lane
//   "peer <id>" tracks             one per (node, destination or sender): attempts,
//                                  outcomes and gate holds as instant events, cooldowns
//                                  as complete slices (a cooldown ends at its next-retry
//                                  time, or earlier when a later outcome replaces it)
//
// Timestamps are microseconds with nanosecond digits. Events are streamed as they
// happen (a slice when it ends); finish() closes what is still open at the end of the
// run and writes the closing brackets. Strings go through the JSON escaper, so the file
// is valid JSON whatever bytes a node name holds. Deterministic for a simulation.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bb/runtime/node.h"
#include "bb/runtime/trace.h"

namespace bb::runtime {

class ChromeTrace final : public TraceSink, public PeerObserver {
 public:
  explicit ChromeTrace(std::ostream* out) : out_(out) {}  // writes nothing until the first event
  ChromeTrace(const ChromeTrace&) = delete;
  ChromeTrace& operator=(const ChromeTrace&) = delete;

  // TraceSink.
  void write(const TraceRecord& record) override;
  void execution_begin(std::int64_t t_ns, std::string_view node, std::uint64_t exec, std::string_view trigger,
                       std::string_view trigger_type) override;
  void execution_end(std::int64_t t_ns, std::string_view node, std::uint64_t exec) override;
  // PeerObserver: cooldowns. Holds are already trace records (deny with a peer).
  void outcome(const PeerOutcome& change) override;
  void held(std::int64_t, std::string_view, std::string_view, Reason) override {}

  // A node-wide instant (the simulator's crash and restart); a crash also ends the
  // node's open executions.
  void node_instant(std::int64_t t_ns, std::string_view node, std::string_view name, bool crashed);
  // Closes every open slice at `end_ns` and the JSON document. Call once.
  void finish(std::int64_t end_ns);
  std::uint64_t events() const { return events_; }

 private:
  struct OpenExec {
    std::int64_t start_ns = 0;
    std::uint32_t lane = 0;
    std::string trigger;
  };
  struct Cooldown {
    std::int64_t start_ns = 0, until_ns = 0;
    std::uint32_t failures = 0;
    std::string outcome;
    bool down = false;
    bool open = false;
  };
  struct Process {
    std::uint32_t pid = 0;
    std::uint32_t next_tid = 1;
    std::vector<std::uint32_t> lane_tids;  // by lane; 0 = not named yet
    std::vector<bool> lane_busy;
    std::map<std::uint64_t, OpenExec> open;                    // by exec
    std::map<std::string, std::uint32_t, std::less<>> peer_tids;  // by peer text
    std::map<std::string, Cooldown, std::less<>> cooldowns;       // by peer text
  };

  Process& process(std::string_view node);
  std::uint32_t lane_tid(Process& p, std::uint32_t lane);
  std::uint32_t peer_tid(Process& p, std::string_view peer);
  std::uint32_t exec_tid(Process& p, std::uint64_t exec);
  void end_exec(Process& p, std::map<std::uint64_t, OpenExec>::iterator it, std::int64_t t_ns, bool cut);
  void end_cooldown(Process& p, std::string_view peer, Cooldown& c, std::int64_t t_ns);
  void metadata(std::uint32_t pid, std::uint32_t tid, std::string_view kind, std::string_view name);
  // Starts one event: {"name":…,"cat":…,"ph":…,"ts":…,"pid":…,"tid":… (the caller adds
  // fields, then end_event()).
  void begin_event(std::string_view name, std::string_view cat, char ph, std::int64_t ts_ns, std::uint32_t pid,
                   std::uint32_t tid);
  void end_event();

  std::ostream* out_;
  std::string buf_;
  std::uint64_t events_ = 0;
  bool finished_ = false;
  std::map<std::string, Process, std::less<>> processes_;
};

// Hands every event to two sinks (the hashed JSONL trace and the Chrome trace).
class TraceTee final : public TraceSink {
 public:
  TraceTee(TraceSink& a, TraceSink& b) : a_(a), b_(b) {}
  void write(const TraceRecord& r) override { a_.write(r), b_.write(r); }
  void execution_begin(std::int64_t t, std::string_view node, std::uint64_t exec, std::string_view trigger,
                       std::string_view type) override {
    a_.execution_begin(t, node, exec, trigger, type), b_.execution_begin(t, node, exec, trigger, type);
  }
  void execution_end(std::int64_t t, std::string_view node, std::uint64_t exec) override {
    a_.execution_end(t, node, exec), b_.execution_end(t, node, exec);
  }

 private:
  TraceSink& a_;
  TraceSink& b_;
};

// Hands every feedback-loop event to two observers.
class ObserverTee final : public PeerObserver {
 public:
  ObserverTee(PeerObserver& a, PeerObserver& b) : a_(a), b_(b) {}
  void outcome(const PeerOutcome& c) override { a_.outcome(c), b_.outcome(c); }
  void held(std::int64_t t, std::string_view node, std::string_view peer, Reason reason) override {
    a_.held(t, node, peer, reason), b_.held(t, node, peer, reason);
  }

 private:
  PeerObserver& a_;
  PeerObserver& b_;
};

}  // namespace bb::runtime
