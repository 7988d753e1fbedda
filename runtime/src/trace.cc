#include "bb/runtime/trace.h"

#include <array>

#include "bb/ir/json.h"

namespace bb::runtime {
namespace {
constexpr std::array<std::string_view, 8> kEventNames{"fire",    "deny", "fail", "attempt",
                                                      "outcome", "receive", "drop", "link"};
}

std::string_view to_string(TraceEvent event) { return kEventNames[static_cast<std::size_t>(event)]; }

void format_trace_line(const TraceRecord& r, std::string& out) {
  out += "{\"t_ns\":";
  out += std::to_string(r.t_ns);
  out += ",\"node\":";
  ir::append_json_string(out, r.node);
  out += ",\"exec\":";
  out += std::to_string(r.exec);
  out += ",\"op\":";
  ir::append_json_string(out, r.op);
  out += ",\"op_type\":";
  ir::append_json_string(out, r.op_type);
  out += ",\"event\":\"";
  out += to_string(r.event);
  out += '"';
  if (!r.state.empty()) {
    out += ",\"state\":";
    ir::append_json_string(out, r.state);
  }
  if (!r.outcome.empty()) {
    out += ",\"outcome\":";
    ir::append_json_string(out, r.outcome);
  }
  if (!r.reason.empty()) {
    out += ",\"reason\":";
    ir::append_json_string(out, r.reason);
  }
  if (!r.peer.empty()) {
    out += ",\"peer\":";
    ir::append_json_string(out, r.peer);
  }
  out += "}\n";
}

void JsonlTrace::write(const TraceRecord& record) {
  line_.clear();
  format_trace_line(record, line_);
  hash_.update(line_);
  if (out_ != nullptr) out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  ++events_;
}

std::string JsonlTrace::finish_sha256() { return hash_.finish_hex(); }

}  // namespace bb::runtime
