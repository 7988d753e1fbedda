// Writing a file atomically as a stream: the bytes go to a temporary file in the same
// folder as they come; commit() flushes, fsyncs and renames it over the path. The disk
// write of each chunk is started as soon as it is written (sync_file_range), so the
// fsync of a large streamed file waits for its last chunks only. Until
// then the path is untouched, and a writer destroyed without a successful commit (an
// error, an exception, a compile that failed half way) removes its temporary file; so
// does a SIGTERM, SIGINT or SIGHUP that ends the process (unless the program handles
// that signal itself, and then its destructors do).
//
// An existing path that is not a regular file nor a folder — a FIFO, a device, a
// socket, or a symlink to one — is never renamed over: the bytes are written to it in
// place (its open waits for a FIFO's reader, as a shell's `>` does), and its write
// errors are the writer's errors (`/dev/full` fails with "No space left on device").
//
// With `background`, a second thread does the write(2) calls while the caller produces
// the next bytes (a large serialization overlaps its own I/O); at most a few chunks are
// in flight, so memory stays small whatever the file's size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "bb/ir/expected.h"
#include "bb/ir/model_io.h"

namespace bb::ir {

class AtomicWriter {
 public:
  struct Options {
    bool background = false;  // write(2) on a second thread
    // Buffered before each write(2). Not smaller: on ext4 (Linux 6.18) 1 MiB writes
    // cost 6× the kernel time of 2 MiB or larger ones (150 MB: 0.38 s against 0.06 s).
    std::size_t chunk_bytes = std::size_t{4} << 20;
    // Keep the file readable and writable by its owner only (mode 0600, as the
    // temporary file is created) instead of the usual 0666 less the umask: for secrets.
    bool owner_only = false;
    // Fail with kExists instead of replacing a file that is already at the path; the
    // check and the rename are one step (link(2)), so no other writer slips in between.
    bool no_replace = false;
  };

  // Creates the temporary file next to `path`. kWrite when the folder is not writable.
  static Expected<std::unique_ptr<AtomicWriter>, IoError> create(const std::filesystem::path& path,
                                                                 Options options);
  static Expected<std::unique_ptr<AtomicWriter>, IoError> create(const std::filesystem::path& path) {
    return create(path, Options{});
  }

  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;
  // Without a successful commit(): stops the thread and removes the temporary file.
  ~AtomicWriter();

  // Appends `bytes`. An error (a failed write(2), possibly reported by the thread for
  // earlier bytes) is sticky: every later call returns it, and commit() fails.
  Expected<void, IoError> write(std::string_view bytes);

  // Writes what is buffered, sets the usual permissions, fsyncs, closes and renames
  // the temporary file over the path (with `no_replace`: links it there, failing if
  // something is already there). Once only.
  Expected<void, IoError> commit();

  // Bytes written so far (appended, whether or not they reached the file yet).
  std::uint64_t size() const { return size_; }

 private:
  struct Impl;
  explicit AtomicWriter(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::uint64_t size_ = 0;
};

// Removes the temporary files of the writers alive now, for a handler of a signal that
// ends the process (async-signal-safe; the writers' own handlers do it for SIGTERM,
// SIGINT and SIGHUP).
void remove_temporary_files_on_signal() noexcept;

}  // namespace bb::ir
