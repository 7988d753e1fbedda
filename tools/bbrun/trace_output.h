// Where a run's trace goes (--trace FILE, --trace-format jsonl|chrome). The JSONL form
// is always what is hashed (`trace sha256`, the metrics' trace_sha256), whichever
// format the file is written in, so a run's fingerprint does not depend on the format.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "bb/runtime/chrome_trace.h"
#include "bb/runtime/trace.h"

namespace bb::bbrun {

class TraceOutput {
 public:
  // `path` empty: no file, the JSONL form is only hashed. Creating it writes nothing.
  TraceOutput(std::string path, const std::string& format);

  // Creates (truncates) the file; false when it cannot be written.
  bool open();
  // The sink the nodes write to.
  runtime::TraceSink* sink() { return tee_ ? static_cast<runtime::TraceSink*>(tee_.get()) : jsonl_.get(); }
  // The Chrome trace, which also watches the feedback loop (cooldowns); null for JSONL.
  runtime::ChromeTrace* chrome() { return chrome_.get(); }
  // Ends the trace at `end_ns` (closing the Chrome trace's open slices), flushes the
  // file, logs a failed write, and returns the hex SHA-256 of the JSONL form.
  std::string finish(std::int64_t end_ns);
  // A write to the file failed (a full disk, a device that refuses it): the trace is
  // incomplete, and the run must not exit 0.
  bool failed() const { return !path_.empty() && !file_.good(); }
  // Closes and removes the file (a run that never started leaves none).
  void discard();

 private:
  std::string path_;
  std::ofstream file_;
  std::unique_ptr<runtime::JsonlTrace> jsonl_;
  std::unique_ptr<runtime::ChromeTrace> chrome_;
  std::unique_ptr<runtime::TraceTee> tee_;
};

}  // namespace bb::bbrun
