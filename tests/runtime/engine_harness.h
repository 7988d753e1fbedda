// A single node on a virtual clock with no transport and an in-memory trace, plus a
// few test kernels (domain "test.bb") that capture or fail.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/trace.h"
#include "bb/runtime/transport.h"
#include "graph_builder.h"

namespace bb::testing {

inline constexpr std::string_view kTestDomain = "test.bb";

struct TraceLine {
  std::int64_t t_ns = 0;
  std::uint64_t exec = 0;
  std::string op, op_type, event, outcome, reason, peer;
};

inline std::vector<TraceLine> parse_trace(const std::string& jsonl) {
  std::vector<TraceLine> out;
  std::istringstream in(jsonl);
  std::string line;
  // "name": followed by a string (no escapes in test data) or an integer.
  auto field = [](const std::string& l, const std::string& name) -> std::string {
    const std::string key = "\"" + name + "\":";
    const auto at = l.find(key);
    if (at == std::string::npos) return "";
    auto p = at + key.size();
    if (l[p] == '"') return l.substr(p + 1, l.find('"', p + 1) - p - 1);
    const auto end = l.find_first_of(",}", p);
    return l.substr(p, end - p);
  };
  while (std::getline(in, line)) {
    TraceLine t;
    t.t_ns = std::stoll(field(line, "t_ns"));
    t.exec = std::stoull(field(line, "exec"));
    t.op = field(line, "op");
    t.op_type = field(line, "op_type");
    t.event = field(line, "event");
    t.outcome = field(line, "outcome");
    t.reason = field(line, "reason");
    t.peer = field(line, "peer");
    out.push_back(std::move(t));
  }
  return out;
}

class Harness {
 public:
  explicit Harness(const onnx::ModelProto& model, runtime::NodeConfig config = {}, bool trace = true) {
    auto program = runtime::Program::build(model, "test.bb");
    if (!program) {
      ADD_FAILURE() << program.error().message;
      return;
    }
    if (config.peer.empty()) config.peer = *PeerId::identity("local");
    if (trace) config.trace = &trace_;
    auto node = runtime::Node::create(*program, scheduler_, std::move(config));
    if (!node) {
      ADD_FAILURE() << node.error().message;
      return;
    }
    node_ = std::move(*node);
  }
  runtime::Node& node() { return *node_; }
  runtime::Scheduler& scheduler() { return scheduler_; }
  runtime::VirtualClock& clock() { return clock_; }
  void run(std::int64_t until_ns) {
    node_->start();
    scheduler_.run(until_ns);
  }
  std::vector<TraceLine> trace() const { return parse_trace(trace_out_.str()); }
  std::string trace_text() const { return trace_out_.str(); }
  std::string trace_sha() { return trace_.finish_sha256(); }

 private:
  runtime::VirtualClock clock_;
  runtime::Scheduler scheduler_{clock_};
  std::ostringstream trace_out_;
  runtime::JsonlTrace trace_{&trace_out_};
  std::unique_ptr<runtime::Node> node_;
};

}  // namespace bb::testing
