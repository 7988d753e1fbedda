// The tools' log lines escape what they quote: a node name, a path or a Log op's message
// cannot start a line of its own (or a CI command such as GitHub's `::error`) nor drive
// the terminal. Every message goes through ir::escape_text on its way to the sink, so
// no call site has to remember it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "bb/ir/escape.h"

namespace bb::tools {

class EscapingFormatter final : public spdlog::formatter {
 public:
  explicit EscapingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string escaped = ir::escape_text(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->format(copy, dest);
    msg.color_range_start = copy.color_range_start;  // where the color sink paints the level
    msg.color_range_end = copy.color_range_end;
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<EscapingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

// Sets `pattern` on `logger`, every message escaped.
inline void set_escaping_pattern(spdlog::logger& logger, const std::string& pattern) {
  logger.set_formatter(std::make_unique<EscapingFormatter>(std::make_unique<spdlog::pattern_formatter>(pattern)));
}

}  // namespace bb::tools
