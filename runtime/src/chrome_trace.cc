#include "bb/runtime/chrome_trace.h"

#include "bb/ir/json.h"

namespace bb::runtime {

using ir::append_json_string;
using ir::json_string;
namespace {

// Microseconds with three decimals: the format's unit, nanoseconds kept exact.
void append_us(std::string& out, std::int64_t ns) {
  if (ns < 0) {
    out += '-';
    ns = -ns;
  }
  out += std::to_string(ns / 1000);
  const auto frac = static_cast<int>(ns % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

constexpr std::string_view kOpen = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";

}  // namespace

void ChromeTrace::begin_event(std::string_view name, std::string_view cat, char ph, std::int64_t ts_ns,
                              std::uint32_t pid, std::uint32_t tid) {
  buf_.clear();
  if (events_ == 0) buf_ += kOpen;  // written with the first event: creating the sink writes nothing
  buf_ += events_ == 0 ? "\n{\"name\":" : ",\n{\"name\":";
  append_json_string(buf_, name);
  append_field(buf_, "cat", cat);
  buf_ += ",\"ph\":\"";
  buf_ += ph;
  buf_ += "\",\"ts\":";
  append_us(buf_, ts_ns);
  buf_ += ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
}

void ChromeTrace::end_event() {
  buf_ += '}';
  if (out_ != nullptr) out_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  ++events_;
}

void ChromeTrace::metadata(std::uint32_t pid, std::uint32_t tid, std::string_view kind, std::string_view name) {
  begin_event(kind, "__metadata", 'M', 0, pid, tid);
  buf_ += ",\"args\":{\"name\":";
  append_json_string(buf_, name);
  buf_ += '}';
  end_event();
  // The order of first appearance is the order Perfetto shows.
  const bool is_process = kind == "process_name";
  begin_event(is_process ? "process_sort_index" : "thread_sort_index", "__metadata", 'M', 0, pid, tid);
  buf_ += ",\"args\":{\"sort_index\":" + std::to_string(is_process ? pid : tid) + "}";
  end_event();
}

ChromeTrace::Process& ChromeTrace::process(std::string_view node) {
  auto it = processes_.find(node);
  if (it != processes_.end()) return it->second;
  Process& p = processes_[std::string(node)];
  p.pid = static_cast<std::uint32_t>(processes_.size());
  metadata(p.pid, 0, "process_name", node);
  return p;
}

std::uint32_t ChromeTrace::lane_tid(Process& p, std::uint32_t lane) {
  if (lane >= p.lane_tids.size()) p.lane_tids.resize(lane + 1, 0);
  if (p.lane_tids[lane] == 0) {
    p.lane_tids[lane] = p.next_tid++;
    metadata(p.pid, p.lane_tids[lane], "thread_name",
             lane == 0 ? std::string("executions") : "executions " + std::to_string(lane + 1));
  }
  return p.lane_tids[lane];
}

std::uint32_t ChromeTrace::peer_tid(Process& p, std::string_view peer) {
  auto it = p.peer_tids.find(peer);
  if (it != p.peer_tids.end()) return it->second;
  const std::uint32_t tid = p.next_tid++;
  p.peer_tids.emplace(std::string(peer), tid);
  metadata(p.pid, tid, "thread_name", "peer " + std::string(peer));
  return tid;
}

// The lane of a running execution; the first lane for the static run (exec 0) and for
// events of an execution that is not open.
std::uint32_t ChromeTrace::exec_tid(Process& p, std::uint64_t exec) {
  auto it = p.open.find(exec);
  return lane_tid(p, it == p.open.end() ? 0 : it->second.lane);
}

void ChromeTrace::write(const TraceRecord& r) {
  if (finished_) return;
  Process& p = process(r.node);
  const std::string_view event = to_string(r.event);
  const bool on_peer = !r.peer.empty() && r.event != TraceEvent::kReceive && r.event != TraceEvent::kDrop;
  const std::uint32_t tid = on_peer ? peer_tid(p, r.peer) : exec_tid(p, r.exec);
  std::string name;
  switch (r.event) {
    case TraceEvent::kFire:
    case TraceEvent::kReceive: name = std::string(r.op); break;
    case TraceEvent::kAttempt: name = "attempt"; break;
    case TraceEvent::kOutcome: name = std::string(r.outcome); break;
    case TraceEvent::kDeny:
    case TraceEvent::kFail:
    case TraceEvent::kDrop: name = std::string(r.op_type) + ": " + std::string(r.reason); break;
    case TraceEvent::kLink: name = "link: " + std::string(r.state); break;
  }
  begin_event(name, event, 'i', r.t_ns, p.pid, tid);
  buf_ += ",\"s\":\"t\",\"args\":{\"exec\":" + std::to_string(r.exec);
  append_field(buf_, "op", r.op);
  append_field(buf_, "op_type", r.op_type);
  if (!r.state.empty()) append_field(buf_, "state", r.state);
  if (!r.outcome.empty()) append_field(buf_, "outcome", r.outcome);
  if (!r.reason.empty()) append_field(buf_, "reason", r.reason);
  if (!r.peer.empty()) append_field(buf_, "peer", r.peer);
  buf_ += '}';
  end_event();
}

void ChromeTrace::execution_begin(std::int64_t t_ns, std::string_view node, std::uint64_t exec,
                                  std::string_view trigger, std::string_view trigger_type) {
  if (finished_) return;
  Process& p = process(node);
  // A restarted node numbers its executions from 1 again: an execution of the crashed
  // instance still open under this number ends here.
  if (auto it = p.open.find(exec); it != p.open.end()) end_exec(p, it, t_ns, true);
  std::uint32_t lane = 0;
  while (lane < p.lane_busy.size() && p.lane_busy[lane]) ++lane;
  if (lane == p.lane_busy.size()) p.lane_busy.push_back(false);
  p.lane_busy[lane] = true;
  lane_tid(p, lane);
  p.open.emplace(exec, OpenExec{t_ns, lane, std::string(trigger) + " (" + std::string(trigger_type) + ")"});
}

void ChromeTrace::execution_end(std::int64_t t_ns, std::string_view node, std::uint64_t exec) {
  if (finished_) return;
  Process& p = process(node);
  if (auto it = p.open.find(exec); it != p.open.end()) end_exec(p, it, t_ns, false);
}

void ChromeTrace::end_exec(Process& p, std::map<std::uint64_t, OpenExec>::iterator it, std::int64_t t_ns, bool cut) {
  const OpenExec& e = it->second;
  begin_event(e.trigger, "execution", 'X', e.start_ns, p.pid, lane_tid(p, e.lane));
  buf_ += ",\"dur\":";
  append_us(buf_, t_ns > e.start_ns ? t_ns - e.start_ns : 0);
  buf_ += ",\"args\":{\"exec\":" + std::to_string(it->first);
  if (cut) buf_ += ",\"cut\":true";
  buf_ += '}';
  end_event();
  p.lane_busy[e.lane] = false;
  p.open.erase(it);
}

void ChromeTrace::outcome(const PeerOutcome& c) {
  if (finished_) return;
  Process& p = process(c.node);
  Cooldown& cd = p.cooldowns[std::string(c.peer)];
  if (cd.open) end_cooldown(p, c.peer, cd, c.t_ns);
  if (c.next_retry_ns <= c.t_ns) return;
  cd = Cooldown{c.t_ns, c.next_retry_ns, c.failures, std::string(to_string(c.outcome)), c.down, true};
}

void ChromeTrace::end_cooldown(Process& p, std::string_view peer, Cooldown& c, std::int64_t t_ns) {
  const std::int64_t end = t_ns < c.until_ns ? t_ns : c.until_ns;
  begin_event("cooldown", "cooldown", 'X', c.start_ns, p.pid, peer_tid(p, peer));
  buf_ += ",\"dur\":";
  append_us(buf_, end > c.start_ns ? end - c.start_ns : 0);
  buf_ += ",\"args\":{\"failures\":" + std::to_string(c.failures);
  append_field(buf_, "peer", peer);
  append_field(buf_, "after", c.outcome);
  buf_ += ",\"next_retry_us\":";
  append_us(buf_, c.until_ns);
  buf_ += c.down ? ",\"down\":true}" : ",\"down\":false}";
  end_event();
  c.open = false;
}

void ChromeTrace::node_instant(std::int64_t t_ns, std::string_view node, std::string_view name, bool crashed) {
  if (finished_) return;
  Process& p = process(node);
  if (crashed)
    while (!p.open.empty()) end_exec(p, p.open.begin(), t_ns, true);
  begin_event(name, "node", 'i', t_ns, p.pid, lane_tid(p, 0));
  buf_ += ",\"s\":\"p\"";
  end_event();
}

void ChromeTrace::finish(std::int64_t end_ns) {
  if (finished_) return;
  for (auto& [node, p] : processes_) {
    while (!p.open.empty()) end_exec(p, p.open.begin(), end_ns, true);
    for (auto& [peer, cd] : p.cooldowns)
      if (cd.open) end_cooldown(p, peer, cd, end_ns);
  }
  finished_ = true;
  buf_ = events_ == 0 ? std::string(kOpen) : std::string();
  buf_ += "\n]}\n";
  if (out_ != nullptr) out_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
}

}  // namespace bb::runtime
