#include "trace_output.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "bb/ir/escape.h"

namespace bb::bbrun {

TraceOutput::TraceOutput(std::string path, const std::string& format) : path_(std::move(path)) {
  const bool chrome = format == "chrome" && !path_.empty();
  jsonl_ = std::make_unique<runtime::JsonlTrace>(path_.empty() || chrome ? nullptr : &file_);
  if (chrome) {
    chrome_ = std::make_unique<runtime::ChromeTrace>(&file_);
    tee_ = std::make_unique<runtime::TraceTee>(*jsonl_, *chrome_);
  }
}

bool TraceOutput::open() {
  if (path_.empty()) return true;
  file_.open(path_, std::ios::binary | std::ios::trunc);
  if (!file_) spdlog::error("--trace {}: cannot write the file", ir::escape_text(path_));
  return static_cast<bool>(file_);
}

std::string TraceOutput::finish(std::int64_t end_ns) {
  if (chrome_) chrome_->finish(end_ns);
  if (!path_.empty()) {
    file_.flush();
    if (!file_)
      spdlog::error("--trace {}: writing failed (a full disk?): the trace is incomplete", ir::escape_text(path_));
  }
  return jsonl_->finish_sha256();
}

void TraceOutput::discard() {
  if (path_.empty()) return;
  file_.close();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace bb::bbrun
