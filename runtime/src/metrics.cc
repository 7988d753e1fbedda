#include "bb/runtime/metrics.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "bb/ir/duration.h"
#include "bb/ir/gates.h"
#include "bb/ir/escape.h"
#include "bb/ir/json.h"
#include "bb/ir/names.h"
#include "bb/ir/saturating.h"
#include "bb/ir/sha256.h"

namespace bb::runtime {
namespace {

using ir::append_json_string;
using ir::json_string;

constexpr std::array<OutcomeKind, kOutcomeKinds> kOutcomes{OutcomeKind::kDelivered, OutcomeKind::kUnreachable,
                                                           OutcomeKind::kTimeout, OutcomeKind::kRejected,
                                                           OutcomeKind::kAdvised};

void key(std::string& out, std::string_view name, int indent) {
  out.append(static_cast<std::size_t>(indent), ' ');
  ir::append_json_string(out, name);
  out += ": ";
}

std::string u64(std::uint64_t v) { return std::to_string(v); }

// Shortest text that reads back as the same double ("0.93", "1e-05").
std::string number(double v) {
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// `series` and `states` are written only when the graph has Record, Aggregate or named
// state: the metrics of other graphs keep exactly the keys of Appendix A.
void write_series(std::string& out, const NodeMetrics& m) {
  if (m.series.empty()) return;
  key(out, "series", 6), out += "{";
  for (std::size_t i = 0; i < m.series.size(); ++i) {
    out += i ? ",\n" : "\n";
    key(out, m.series[i].name, 8);
    out += "[";
    for (std::size_t k = 0; k < m.series[i].points.size(); ++k) {
      const auto& p = m.series[i].points[k];
      out += (k ? ", [" : "[") + std::to_string(p.t_ns) + ", " + number(p.value) + "]";
    }
    out += "]";
  }
  out += "\n      },\n";
}

void write_states(std::string& out, const NodeReport& n) {
  if (n.states.empty()) return;
  key(out, "states", 6), out += "{";
  for (std::size_t i = 0; i < n.states.size(); ++i) {
    const StateReport& s = n.states[i];
    out += i ? ", " : "";
    ir::append_json_string(out, s.name);
    out += ": {\"value\": " + ir::json_string(s.value) + ", \"sha256\": ";
    out += s.sha256.empty() ? std::string("null") : ir::json_string(s.sha256);
    out += "}";
  }
  out += "},\n";
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

std::vector<const NodeReport*> sorted(std::span<const NodeReport> nodes) {
  std::vector<const NodeReport*> out;
  for (const auto& n : nodes) out.push_back(&n);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->peer < b->peer; });
  return out;
}

// {"label": count, …} sorted by label.
void write_counts(std::string& out, std::vector<std::pair<std::string, std::uint64_t>> counts) {
  std::sort(counts.begin(), counts.end());
  out += "{";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out += i ? ", " : "";
    ir::append_json_string(out, counts[i].first);
    out += ": " + u64(counts[i].second);
  }
  out += "}";
}

void add_count(std::vector<std::pair<std::string, std::uint64_t>>& counts, std::string_view label, std::uint64_t n) {
  auto it = std::find_if(counts.begin(), counts.end(), [label](const auto& c) { return c.first == label; });
  if (it == counts.end())
    counts.emplace_back(std::string(label), n);
  else
    it->second = ir::saturating_add(it->second, n);
}

void write_node(std::string& out, const NodeReport& n) {
  const NodeMetrics& m = n.metrics;
  out += "{\n";
  key(out, "executions", 6), out += u64(m.executions) + ",\n";
  key(out, "dispatches", 6), out += u64(m.dispatches) + ",\n";
  key(out, "skipped", 6), out += u64(m.skipped) + ",\n";
  key(out, "attempts", 6), out += "{";
  for (std::size_t k = 0; k < kOutcomes.size(); ++k) {
    out += k ? ", " : "";
    ir::append_json_string(out, to_string(kOutcomes[k]));
    out += ": " + u64(m.attempts[k]);
  }
  out += "},\n";
  if (!m.rejected_by.empty()) key(out, "rejected_by", 6), write_counts(out, m.rejected_by), out += ",\n";
  key(out, "gates", 6), out += "{";
  bool first_gate = true;
  for (int g = 0; g < kGateKinds; ++g) {
    const auto& counts = m.gates[static_cast<std::size_t>(g)];
    if (!m.gate_present[static_cast<std::size_t>(g)]) continue;
    out += first_gate ? "\n" : ",\n";
    first_gate = false;
    key(out, ir::kGates[static_cast<std::size_t>(g)].op_type, 8);
    out += "{\"allowed\": " + u64(counts[0]);
    for (int r = 1; r < kReasonCount; ++r) {
      if (counts[static_cast<std::size_t>(r)] == 0) continue;
      out += ", ";
      ir::append_json_string(out, to_string(static_cast<Reason>(r)));
      out += ": " + u64(counts[static_cast<std::size_t>(r)]);
    }
    out += "}";
  }
  out += first_gate ? "},\n" : "\n      },\n";
  key(out, "receives", 6), out += "{\"accepted\": " + u64(m.receives_accepted);
  for (int r = 1; r < kReasonCount; ++r) {
    if (m.receive_drops[static_cast<std::size_t>(r)] == 0) continue;
    out += ", ";
    ir::append_json_string(out, to_string(static_cast<Reason>(r)));
    out += ": " + u64(m.receive_drops[static_cast<std::size_t>(r)]);
  }
  for (const auto& [label, count] : n.refused) {
    out += ", ";
    ir::append_json_string(out, label);
    out += ": " + u64(count);
  }
  out += "},\n";
  key(out, "counters", 6), out += "{";
  auto counters = m.counters;
  std::sort(counters.begin(), counters.end());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    out += i ? ", " : "";
    ir::append_json_string(out, counters[i].first);
    out += ": " + std::to_string(counters[i].second);
  }
  out += "},\n";
  write_series(out, m);
  write_states(out, n);
  key(out, "peers", 6), out += "[";
  for (std::size_t i = 0; i < n.peers.size(); ++i) {
    const auto& p = n.peers[i];
    out += i ? ",\n        " : "\n        ";
    out += "{\"peer\": " + ir::json_string(p.peer) + ", \"failures\": " + std::to_string(p.failures) +
           ", \"next_retry_ns\": " + std::to_string(p.next_retry_ns) + ", \"down\": " + (p.down ? "true" : "false") + "}";
  }
  out += n.peers.empty() ? "]" : "\n      ]";
  if (!n.links.empty()) {
    out += ",\n";
    key(out, "links", 6), out += "[";
    for (std::size_t i = 0; i < n.links.size(); ++i) {
      const LinkReport& l = n.links[i];
      out += i ? ",\n        " : "\n        ";
      out += "{\"peer\": " + json_string(l.peer) + ", \"address\": " + json_string(l.address) +
             ", \"state\": " + json_string(l.state) + ", \"bytes_sent\": " + u64(l.bytes_sent) +
             ", \"bytes_received\": " + u64(l.bytes_received) + ", \"outcomes\": {";
      for (std::size_t k = 0; k < kOutcomes.size(); ++k) {
        out += k ? ", " : "";
        append_json_string(out, to_string(kOutcomes[k]));
        out += ": " + u64(l.outcomes[k]);
      }
      out += "}, \"reasons\": {";
      bool first = true;
      for (std::size_t k = 0; k < kOutcomes.size(); ++k) {
        if (l.reasons[k].empty()) continue;
        out += first ? "" : ", ";
        first = false;
        append_json_string(out, to_string(kOutcomes[k]));
        out += ": ";
        write_counts(out, l.reasons[k]);
      }
      out += "}}";
    }
    out += "\n      ],\n";
    key(out, "bytes_received", 6), out += u64(n.bytes_received);
  }
  out += "\n    }";
}

}  // namespace

StateReport state_report(std::string_view name, const Value& value) {
  StateReport r{std::string(name), describe(value), {}};
  if (value.kind() != ValueKind::kTensor) return r;
  const Tensor& t = value.as_tensor();
  if (t.dtype() == DType::kString || t.dtype() == DType::kUndefined) return r;
  r.sha256 = sha256_hex(std::string_view(static_cast<const char*>(t.raw()), t.byte_size()));
  return r;
}

void NodeMetrics::merge(const NodeMetrics& o) {
  using ir::saturating_add;
  executions = saturating_add(executions, o.executions);
  dispatches = saturating_add(dispatches, o.dispatches);
  skipped = saturating_add(skipped, o.skipped);
  for (std::size_t k = 0; k < attempts.size(); ++k) attempts[k] = saturating_add(attempts[k], o.attempts[k]);
  for (const auto& [label, count] : o.rejected_by) add_count(rejected_by, label, count);
  for (std::size_t g = 0; g < gates.size(); ++g) {
    gate_present[g] = gate_present[g] || o.gate_present[g];
    for (std::size_t r = 0; r < gates[g].size(); ++r) gates[g][r] = saturating_add(gates[g][r], o.gates[g][r]);
  }
  receives_accepted = saturating_add(receives_accepted, o.receives_accepted);
  for (std::size_t r = 0; r < receive_drops.size(); ++r)
    receive_drops[r] = saturating_add(receive_drops[r], o.receive_drops[r]);
  for (const auto& [name, value] : o.counters) {
    // (clang 14, used for fuzzing, cannot capture structured bindings.)
    auto it = std::find_if(counters.begin(), counters.end(), [&n = name](const auto& c) { return c.first == n; });
    if (it == counters.end())
      counters.emplace_back(name, value);
    else
      it->second = saturating_add(it->second, value);
  }
  for (const Series& s : o.series) {
    auto it = std::find_if(series.begin(), series.end(), [&s](const Series& mine) { return mine.name == s.name; });
    if (it == series.end())
      series.push_back(s);
    else
      it->points.insert(it->points.end(), s.points.begin(), s.points.end());
  }
}

std::string metrics_json(std::span<const NodeReport> nodes, const NetworkStats* network,
                         std::string_view trace_sha256) {
  std::string out = "{\n  \"nodes\": {";
  const auto order = sorted(nodes);
  for (std::size_t i = 0; i < order.size(); ++i) {
    out += i ? ",\n" : "\n";
    key(out, order[i]->peer, 4);
    write_node(out, *order[i]);
  }
  out += order.empty() ? "},\n" : "\n  },\n";
  if (network != nullptr) {
    out += "  \"network\": {\"sent\": " + u64(network->sent) + ", \"delivered\": " + u64(network->delivered) +
           ", \"lost\": " + u64(network->lost) + ", \"duplicated\": " + u64(network->duplicated) + "},\n";
  }
  out += "  \"trace_sha256\": ";
  out += trace_sha256.empty() ? std::string("null") : ir::json_string(trace_sha256);
  out += "\n}\n";
  return out;
}

std::string summary_text(std::span<const NodeReport> nodes, const NetworkStats* network) {
  std::string out;
  for (const NodeReport* n : sorted(nodes)) {
    const NodeMetrics& m = n->metrics;
    out += "== node " + n->peer + "\n";
    out += "  executions " + u64(m.executions) + ", dispatches " + u64(m.dispatches) + ", skipped " + u64(m.skipped) + "\n";
    out += "  attempts  ";
    for (std::size_t k = 0; k < kOutcomes.size(); ++k)
      out += std::string(k ? ", " : " ") + std::string(to_string(kOutcomes[k])) + " " + u64(m.attempts[k]);
    out += "\n";
    if (!m.rejected_by.empty()) {
      auto by = m.rejected_by;
      std::sort(by.begin(), by.end());
      out += "  rejected  ";
      for (std::size_t i = 0; i < by.size(); ++i)
        out += std::string(i ? ", " : " ") + ir::escape_text(by[i].first, 64) + " " + u64(by[i].second);
      out += "\n";
    }
    for (int g = 0; g < kGateKinds; ++g) {
      if (!m.gate_present[static_cast<std::size_t>(g)]) continue;
      const auto& c = m.gates[static_cast<std::size_t>(g)];
      out += "  gate " + pad(ir::kGates[static_cast<std::size_t>(g)].op_type, 17) + " allowed " + u64(c[0]);
      for (int r = 1; r < kReasonCount; ++r)
        if (c[static_cast<std::size_t>(r)] != 0)
          out += ", " + std::string(to_string(static_cast<Reason>(r))) + " " + u64(c[static_cast<std::size_t>(r)]);
      out += "\n";
    }
    out += "  receives   accepted " + u64(m.receives_accepted);
    for (int r = 1; r < kReasonCount; ++r)
      if (m.receive_drops[static_cast<std::size_t>(r)] != 0)
        out += ", " + std::string(to_string(static_cast<Reason>(r))) + " " + u64(m.receive_drops[static_cast<std::size_t>(r)]);
    for (const auto& [label, count] : n->refused) out += ", " + ir::escape_text(label, 64) + " " + u64(count);
    out += "\n";
    auto counters = m.counters;
    std::sort(counters.begin(), counters.end());
    for (const auto& [name, value] : counters)
      out += "  counter " + ir::escape_text(name, 256) + " = " + std::to_string(value) + "\n";
    for (const Series& s : m.series) {
      out += "  series " + ir::escape_text(s.name, 256) + ": " + u64(s.points.size()) + " point(s)";
      if (!s.points.empty())
        out += ", last " + number(s.points.back().value) + " at " + format_time(s.points.back().t_ns);
      out += "\n";
    }
    for (const StateReport& s : n->states)
      out += "  state " + ir::escape_text(s.name, 256) + ": " + ir::escape_text(s.value, 256) + (s.sha256.empty() ? "" : ", sha256 " + s.sha256) + "\n";
    if (!n->peers.empty()) {
      out += "  peers with failures:\n";
      for (const auto& p : n->peers)
        out += "    " + pad(p.peer, 20) + " failures " + std::to_string(p.failures) + ", next retry at " +
               format_time(p.next_retry_ns) + (p.down ? ", down" : "") + "\n";
    }
    if (!n->links.empty()) {
      out += "  links (received " + u64(n->bytes_received) + " bytes):\n";
      for (const LinkReport& l : n->links) {
        out += "    " + pad(l.peer, 20) + " " + l.address + " " + l.state + ", sent " + u64(l.bytes_sent) +
               " bytes, acks " + u64(l.bytes_received) + " bytes;";
        for (std::size_t k = 0; k < kOutcomes.size(); ++k)
          if (l.outcomes[k] != 0) out += " " + std::string(to_string(kOutcomes[k])) + " " + u64(l.outcomes[k]);
        for (std::size_t k = 0; k < kOutcomes.size(); ++k) {
          if (l.reasons[k].empty()) continue;
          auto by = l.reasons[k];
          std::sort(by.begin(), by.end());
          out += " (" + std::string(to_string(kOutcomes[k])) + ":";
          for (const auto& [label, count] : by) out += " " + label + " " + u64(count);
          out += ")";
        }
        out += "\n";
      }
    }
  }
  if (network != nullptr)
    out += "== network: sent " + u64(network->sent) + ", delivered " + u64(network->delivered) + ", lost " +
           u64(network->lost) + ", duplicated " + u64(network->duplicated) + "\n";
  return out;
}

}  // namespace bb::runtime
