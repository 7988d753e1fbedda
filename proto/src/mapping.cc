#include "mapping.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>

#include "bb/ir/atomic_writer.h"

namespace bb::ir::detail {
namespace {

constexpr char kSigbusMessage[] =
    "error: bus error reading a memory-mapped input: the file was truncated or rewritten while this process read "
    "it; nothing was written. Run again once the file is complete.\n";

extern "C" void on_sigbus(int sig) {
  remove_temporary_files_on_signal();
  (void)!::write(STDERR_FILENO, kSigbusMessage, sizeof kSigbusMessage - 1);
  // SA_RESETHAND restored the default action. The signal raised again, blocked while
  // this handler runs, ends the process once it returns, as it would have without the
  // handler: a SIGBUS sent by kill(2) too, where no faulting read runs again.
  ::raise(sig);
}

}  // namespace

void* map_read_only(int fd, std::size_t size) {
  void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  return at == MAP_FAILED ? nullptr : at;
}

void unmap(void* at, std::size_t size) noexcept { (void)::munmap(at, size); }

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGBUS, nullptr, &old) != 0) return;
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) return;  // the program's own
    struct sigaction action {};
    action.sa_handler = on_sigbus;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    ::sigaction(SIGBUS, &action, nullptr);
  });
}

}  // namespace bb::ir::detail
