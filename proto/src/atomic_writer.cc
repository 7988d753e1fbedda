#include "bb/ir/atomic_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bb::ir {
namespace {

constexpr std::size_t kMaxChunksInFlight = 4;  // background mode: memory bound, ×chunk_bytes

IoError write_error(const std::filesystem::path& path, std::string_view what) {
  return IoError{IoError::Kind::kWrite, path.string() + ": " + std::string(what)};
}

std::string errno_text(int err) { return std::strerror(err); }

// write(2) until everything is written; the errno of a failure, else 0.
int write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

// ---- temporary files removed on a fatal signal -------------------------------------------
//
// A process killed by SIGTERM, SIGINT or SIGHUP runs no destructor: the temporary files
// of the writers alive at that moment are listed here, and a handler removes them before
// the signal takes its default course. Only what async-signal-safe code can read: fixed
// slots, each armed with an atomic state once its path is written. A signal the program
// handles itself (a handler installed before the first writer) is left alone: the
// program goes on, and the writers' destructors clean up.

constexpr int kTempSlots = 64;
constexpr int kFreeSlot = 0, kClaimedSlot = 1, kArmedSlot = 2;

struct TempSlot {
  std::atomic<int> state{kFreeSlot};
  char path[PATH_MAX] = {};
};

TempSlot g_temp_slots[kTempSlots];
constexpr int kCleanupSignals[] = {SIGTERM, SIGINT, SIGHUP};

}  // namespace

void remove_temporary_files_on_signal() noexcept {
  for (auto& slot : g_temp_slots)
    if (slot.state.load(std::memory_order_acquire) == kArmedSlot) ::unlink(slot.path);
}

namespace {

extern "C" void remove_temporaries_on_signal(int sig) {
  remove_temporary_files_on_signal();
  // SA_RESETHAND restored the default action; the signal, blocked while this handler
  // runs, is delivered again once it returns and ends the process as it would have.
  ::raise(sig);
}

void install_cleanup_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const int sig : kCleanupSignals) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0) continue;
      if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;  // handled or ignored
      struct sigaction action {};
      action.sa_handler = remove_temporaries_on_signal;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESETHAND;
      ::sigaction(sig, &action, nullptr);
    }
  });
}

// The slot now listing `path`, or -1 when every slot is taken (that file is then only
// removed by the destructor).
int arm_temp_slot(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  install_cleanup_handlers();
  for (int i = 0; i < kTempSlots; ++i) {
    int expected = kFreeSlot;
    if (!g_temp_slots[i].state.compare_exchange_strong(expected, kClaimedSlot, std::memory_order_acq_rel)) continue;
    std::memcpy(g_temp_slots[i].path, path.c_str(), path.size() + 1);
    g_temp_slots[i].state.store(kArmedSlot, std::memory_order_release);
    return i;
  }
  return -1;
}

void release_temp_slot(int slot) {
  if (slot >= 0) g_temp_slots[slot].state.store(kFreeSlot, std::memory_order_release);
}

// An existing path that is not a regular file nor a folder (a FIFO, a device, a socket,
// or a symlink to one): written in place, never replaced.
bool is_special_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

struct AtomicWriter::Impl {
  std::filesystem::path path;
  std::string temp;  // the temporary file's path; empty when writing in place
  int temp_slot = -1;  // its slot in the signal handler's list
  int fd = -1;
  Options options;
  std::string chunk;  // being filled; capacity chunk_bytes
  std::optional<IoError> error;
  bool done = false;  // committed, or failed and cleaned up

  // Background mode: full chunks wait in `queue` for the thread, which returns them to
  // `spare`. `failed_errno` is the thread's first failure.
  std::thread thread;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> queue;
  std::vector<std::string> spare;
  bool stopping = false;
  bool busy = false;  // the thread holds a chunk
  int failed_errno = 0;
  std::uint64_t written = 0;  // bytes write(2) took (by the thread, in background mode)

  ~Impl() {
    stop_thread();
    if (fd >= 0) ::close(fd);
    if (!done && !temp.empty()) ::unlink(temp.c_str());
    release_temp_slot(temp_slot);
  }

  void run_thread() {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, nothing left
      std::string bytes = std::move(queue.front());
      queue.pop_front();
      busy = true;
      const bool skip = failed_errno != 0;
      lock.unlock();
      const int err = skip ? 0 : write_all(fd, bytes.data(), bytes.size());
      if (!skip && err == 0) start_writeback(bytes.size());
      lock.lock();
      busy = false;
      if (err != 0 && failed_errno == 0) failed_errno = err;
      bytes.clear();
      spare.push_back(std::move(bytes));
      changed.notify_all();
    }
  }

  void stop_thread() {
    if (!thread.joinable()) return;
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    thread.join();
  }

  // Starts the disk write of the `size` bytes just written, without waiting for it, so
  // that commit's fsync waits for the last chunks only: a streamed output's write-back
  // overlaps the work that produces the rest (bbc's 150 MB output of a 1M-node graph:
  // fsync 0.14-0.16 s -> 0.10 s, docs/performance.md "Round 8: compiler"). Advisory: on
  // what is not a temporary file (written in place: a FIFO, a device) it is not asked
  // for, and its failure changes nothing.
  void start_writeback(std::size_t size) {
    if (!temp.empty())
      ::sync_file_range(fd, static_cast<off_t>(written), static_cast<off_t>(size), SYNC_FILE_RANGE_WRITE);
    written += size;
  }

  // Hands the filled chunk over (background) or writes it (direct); the chunk is empty
  // afterwards.
  void flush_chunk() {
    if (chunk.empty() || error) return;
    if (!thread.joinable()) {
      if (const int err = write_all(fd, chunk.data(), chunk.size()); err != 0)
        error = write_error(path, "write failed: " + errno_text(err));
      else
        start_writeback(chunk.size());
      chunk.clear();
      return;
    }
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.size() < kMaxChunksInFlight || failed_errno != 0; });
    if (failed_errno != 0) {
      error = write_error(path, "write failed: " + errno_text(failed_errno));
      return;
    }
    queue.push_back(std::move(chunk));
    if (spare.empty()) {
      chunk = std::string();
    } else {
      chunk = std::move(spare.back());
      spare.pop_back();
    }
    lock.unlock();
    changed.notify_all();
    chunk.reserve(options.chunk_bytes);
  }

  // mkstemp next to `path`, listed for the signal handler.
  Expected<void, IoError> create_temporary();

  // Waits until the thread has written every chunk; records its failure.
  void drain() {
    if (!thread.joinable()) return;
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return (queue.empty() && !busy) || failed_errno != 0; });
    if (failed_errno != 0 && !error) error = write_error(path, "write failed: " + errno_text(failed_errno));
  }
};

AtomicWriter::AtomicWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AtomicWriter::~AtomicWriter() = default;

Expected<std::unique_ptr<AtomicWriter>, IoError> AtomicWriter::create(const std::filesystem::path& path,
                                                                      Options options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  if (impl->options.chunk_bytes == 0) impl->options.chunk_bytes = 1;
  if (is_special_file(path)) {
    if (options.no_replace) {
      impl->done = true;
      return unexpected(IoError{IoError::Kind::kExists, path.string() + ": already exists"});
    }
    // As a shell's `>` does: a FIFO's open waits for its reader.
    impl->fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (impl->fd < 0) {
      impl->done = true;
      return unexpected(write_error(path, "cannot open for writing: " + errno_text(errno)));
    }
  } else {
    if (auto created = impl->create_temporary(); !created) return unexpected(std::move(created.error()));
  }
  impl->chunk.reserve(impl->options.chunk_bytes);
  if (options.background) impl->thread = std::thread([p = impl.get()] { p->run_thread(); });
  return std::unique_ptr<AtomicWriter>(new AtomicWriter(std::move(impl)));
}

Expected<void, IoError> AtomicWriter::Impl::create_temporary() {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string name = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  // Signals that would end the process wait while the file is created and listed, so
  // none ends it between the two.
  sigset_t block, previous;
  sigemptyset(&block);
  for (const int sig : kCleanupSignals) sigaddset(&block, sig);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous);
  fd = ::mkstemp(name.data());
  const int err = errno;
  if (fd >= 0) {
    temp = std::move(name);
    temp_slot = arm_temp_slot(temp);
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (fd < 0) {
    done = true;  // nothing to remove
    return unexpected(write_error(path, "cannot create a file here: " + errno_text(err)));
  }
  return {};
}

Expected<void, IoError> AtomicWriter::write(std::string_view bytes) {
  Impl& w = *impl_;
  if (w.error) return unexpected(*w.error);
  if (w.done) return unexpected(write_error(w.path, "write after commit"));
  size_ += bytes.size();
  const std::size_t cap = w.options.chunk_bytes;
  // A large write in direct mode skips the buffer (after what is buffered).
  if (!w.thread.joinable() && bytes.size() >= cap) {
    w.flush_chunk();
    if (w.error) return unexpected(*w.error);
    if (const int err = write_all(w.fd, bytes.data(), bytes.size()); err != 0) {
      w.error = write_error(w.path, "write failed: " + errno_text(err));
      return unexpected(*w.error);
    }
    w.start_writeback(bytes.size());
    return {};
  }
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), cap - w.chunk.size());
    w.chunk.append(bytes.data(), take);
    bytes.remove_prefix(take);
    if (w.chunk.size() == cap) w.flush_chunk();
    if (w.error) return unexpected(*w.error);
  }
  return {};
}

Expected<void, IoError> AtomicWriter::commit() {
  Impl& w = *impl_;
  if (w.done) return unexpected(write_error(w.path, "commit after commit"));
  w.flush_chunk();
  w.drain();
  w.stop_thread();
  if (w.error) return unexpected(*w.error);
  auto fail = [&](std::string what) {
    w.error = write_error(w.path, what);
    return unexpected(*w.error);
  };
  if (w.temp.empty()) {  // in place: nothing to rename; the close reports what the device says
    const int fd = std::exchange(w.fd, -1);
    if (::close(fd) != 0) return fail("close failed: " + errno_text(errno));
    w.done = true;
    return {};
  }
  // mkstemp creates 0600; outputs are ordinary files unless they hold a secret.
  if (!w.options.owner_only) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(w.fd, 0666 & ~mask);
  }
  if (::fsync(w.fd) != 0) return fail("fsync failed: " + errno_text(errno));
  const int fd = std::exchange(w.fd, -1);
  if (::close(fd) != 0) return fail("close failed: " + errno_text(errno));
  if (w.options.no_replace) {
    if (::link(w.temp.c_str(), w.path.c_str()) != 0) {
      const int err = errno;
      if (err == EEXIST) {
        w.error = IoError{IoError::Kind::kExists, w.path.string() + ": already exists"};
        return unexpected(*w.error);
      }
      return fail("link failed: " + errno_text(err));
    }
    ::unlink(w.temp.c_str());
  } else if (::rename(w.temp.c_str(), w.path.c_str()) != 0) {
    return fail("rename failed: " + errno_text(errno));
  }
  release_temp_slot(std::exchange(w.temp_slot, -1));
  w.done = true;
  return {};
}

}  // namespace bb::ir
