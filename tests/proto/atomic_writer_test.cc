#include "bb/ir/atomic_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <fstream>
#include <sstream>
#include <string>

#include "../support/temp_dir.h"

namespace bb::ir {
namespace {

namespace fs = std::filesystem;

using ::bb::testing::TempDir;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Pieces of every size around the chunk size, in both modes: the file holds exactly the
// bytes written, in order, and nothing else is left in the folder.
TEST(AtomicWriter, StreamsEveryPieceInOrder) {
  for (const bool background : {false, true}) {
    TempDir dir;
    const auto path = dir.path() / "out.bb";
    auto writer = AtomicWriter::create(path, {.background = background, .chunk_bytes = 64});
    ASSERT_TRUE(writer);
    std::string expected;
    for (int k = 0; k < 400; ++k) {
      std::string piece(static_cast<std::size_t>(k % 150), static_cast<char>('a' + k % 26));
      expected += piece;
      ASSERT_TRUE((*writer)->write(piece));
    }
    EXPECT_EQ((*writer)->size(), expected.size());
    EXPECT_FALSE(fs::exists(path)) << "the path is untouched until commit";
    ASSERT_TRUE((*writer)->commit());
    EXPECT_EQ(read_all(path), expected) << "background " << background;
    EXPECT_EQ(dir.entries(), 1);
  }
}

TEST(AtomicWriter, WithoutCommitNothingChanges) {
  for (const bool background : {false, true}) {
    TempDir dir;
    const auto path = dir.path() / "out.bb";
    std::ofstream(path) << "old";
    {
      auto writer = AtomicWriter::create(path, {.background = background, .chunk_bytes = 16});
      ASSERT_TRUE(writer);
      ASSERT_TRUE((*writer)->write(std::string(1000, 'x')));
    }
    EXPECT_EQ(read_all(path), "old");
    EXPECT_EQ(dir.entries(), 1) << "the temporary file is removed";
  }
}

TEST(AtomicWriter, FailedRenameLeavesNoTemporaryFile) {
  TempDir dir;
  const auto path = dir.path() / "out.bb";
  fs::create_directory(path);
  std::ofstream(path / "keep") << "x";
  auto writer = AtomicWriter::create(path, {.background = true});
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write("bytes"));
  auto committed = (*writer)->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().kind, IoError::Kind::kWrite);
  EXPECT_NE(committed.error().message.find("rename failed"), std::string::npos) << committed.error().message;
  writer->reset();
  EXPECT_EQ(dir.entries(), 1);
  EXPECT_TRUE(fs::is_directory(path));
}

// Secrets (node keys): mode 0600 whatever the umask, and never over an existing file.
TEST(AtomicWriter, OwnerOnlyFilesKeepMode0600) {
  TempDir dir;
  const auto path = dir.path() / "key.pem";
  auto writer = AtomicWriter::create(path, {.owner_only = true});
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write("secret"));
  ASSERT_TRUE((*writer)->commit());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_all(path), "secret");
}

TEST(AtomicWriter, NoReplaceRefusesAnExistingFileAndLeavesItAlone) {
  TempDir dir;
  const auto path = dir.path() / "key.pem";
  std::ofstream(path) << "old";
  auto writer = AtomicWriter::create(path, {.no_replace = true});
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write("new"));
  auto committed = (*writer)->commit();
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().kind, IoError::Kind::kExists);
  writer->reset();
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(dir.entries(), 1) << "the temporary file is removed";

  const auto fresh = dir.path() / "fresh.pem";
  auto second = AtomicWriter::create(fresh, {.no_replace = true});
  ASSERT_TRUE(second);
  ASSERT_TRUE((*second)->write("new"));
  ASSERT_TRUE((*second)->commit());
  EXPECT_EQ(read_all(fresh), "new");
  EXPECT_EQ(dir.entries(), 2);
}

TEST(AtomicWriter, UnwritableFolderIsAWriteError) {
  TempDir dir;
  auto writer = AtomicWriter::create(dir.path() / "missing" / "out.bb");
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().kind, IoError::Kind::kWrite);
  EXPECT_NE(writer.error().message.find("cannot create a file here"), std::string::npos);
  EXPECT_EQ(dir.entries(), 0);
}

// A failed write(2) (here: over the file size limit, as a full disk would fail it) is
// reported, sticky, and leaves nothing behind.
TEST(AtomicWriter, FailedWriteIsStickyAndCleansUp) {
  for (const bool background : {false, true}) {
    TempDir dir;
    const auto path = dir.path() / "out.bb";
    auto writer = AtomicWriter::create(path, {.background = background, .chunk_bytes = 64});
    ASSERT_TRUE(writer);
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 100;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    bool failed = false;
    for (int k = 0; k < 100 && !failed; ++k) failed = !(*writer)->write("0123456789abcdef");
    if (!failed) {
      auto committed = (*writer)->commit();
      failed = !committed;
      if (failed) {
        EXPECT_NE(committed.error().message.find("write failed"), std::string::npos);
      }
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    EXPECT_TRUE(failed) << "background " << background;
    EXPECT_FALSE((*writer)->write("more")) << "sticky";
    writer->reset();
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(dir.entries(), 0);
  }
}

// An existing FIFO (or a symlink to one) is written in place: it stays a FIFO, its
// reader gets the bytes, no temporary file is made next to it.
TEST(AtomicWriter, WritesAFifoInPlaceInsteadOfReplacingIt) {
  for (const bool through_symlink : {false, true}) {
    TempDir dir;
    const auto fifo = dir.path() / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto path = fifo;
    if (through_symlink) {
      path = dir.path() / "link";
      fs::create_symlink(fifo, path);
    }
    // The read end is open first (without waiting for a writer), so the writer's open
    // does not wait; 100 bytes fit in the pipe.
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    auto writer = AtomicWriter::create(path, {.chunk_bytes = 16});
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write(std::string(100, 'x')));
    ASSERT_TRUE((*writer)->commit());
    writer->reset();
    std::string received(200, '\0');
    const ssize_t n = ::read(reader, received.data(), received.size());
    ::close(reader);
    received.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    EXPECT_EQ(received, std::string(100, 'x'));
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo))) << "still a FIFO";
    if (through_symlink) {
      EXPECT_TRUE(fs::is_symlink(fs::symlink_status(path))) << "still a symlink";
    }
    EXPECT_EQ(dir.entries(), through_symlink ? 2 : 1) << "no temporary file";
  }
}

// A device that fails every write (/dev/full: the disk is full) makes the write an
// error, and the device is not replaced. Reached through a symlink in a temporary
// folder, so that a writer that did rename would only replace the symlink.
TEST(AtomicWriter, WriteErrorsOfADeviceAreErrors) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  for (const bool background : {false, true}) {
    TempDir dir;
    const auto path = dir.path() / "full";
    fs::create_symlink("/dev/full", path);
    auto writer = AtomicWriter::create(path, {.background = background, .chunk_bytes = 64});
    ASSERT_TRUE(writer) << writer.error().message;
    bool failed = false;
    for (int k = 0; k < 10 && !failed; ++k) failed = !(*writer)->write(std::string(100, 'x'));
    if (!failed) {
      auto committed = (*writer)->commit();
      ASSERT_FALSE(committed) << "background " << background;
      EXPECT_NE(committed.error().message.find("No space left"), std::string::npos) << committed.error().message;
    }
    writer->reset();
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(path)));
    EXPECT_EQ(dir.entries(), 1) << "no temporary file";
  }
}

TEST(AtomicWriter, NoReplaceRefusesAnExistingFifo) {
  TempDir dir;
  const auto fifo = dir.path() / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto writer = AtomicWriter::create(fifo, {.no_replace = true});
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().kind, IoError::Kind::kExists);
  EXPECT_TRUE(fs::is_fifo(fifo));
}

// A process killed by SIGTERM, SIGINT or SIGHUP while it writes leaves no temporary
// file: the writer's signal handler removes it, then the signal ends the process as
// it would have (the parent sees the signal, not an exit code).
TEST(AtomicWriter, FatalSignalDuringTheWriteLeavesNoTemporaryFile) {
  for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
    TempDir dir;
    const auto path = dir.path() / "out.bb";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto writer = AtomicWriter::create(path, {.background = true, .chunk_bytes = 64});
      if (!writer || !(*writer)->write(std::string(1000, 'x'))) ::_exit(2);
      if (dir.entries() != 1) ::_exit(3);  // the temporary file is there
      ::raise(sig);
      ::_exit(4);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_EQ(dir.entries(), 0) << "signal " << sig << " left " << (dir.files().empty() ? "" : dir.files()[0]);
  }
}

}  // namespace
}  // namespace bb::ir
