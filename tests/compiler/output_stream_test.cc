// The compiler's OutputStream: a file output larger than its buffer is hashed and
// written by a thread of the stream's own. The file, the hash of the marked regions and
// the errors are those of the output into a string and of a direct write.
#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/sha256.h"
#include "model_bytes.h"
#include "../support/temp_dir.h"

namespace bb::compiler {
namespace {

namespace fs = std::filesystem;

// Deterministic bytes that differ from buffer to buffer (a swapped buffer shows).
std::string pattern(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& c : out) {
    x = x * 1664525U + 1013904223U;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes `head` (not hashed), `body` (hashed, through a CodedOutputStream in pieces, as
// the writer serializes the graph) and `tail` (not hashed); the hash of `body`.
std::string write(OutputStream& out, const std::string& head, const std::string& body, const std::string& tail) {
  out.append(head);
  out.set_hashing(true);
  {
    google::protobuf::io::CodedOutputStream coded(&out);
    for (std::size_t at = 0; at < body.size(); at += 100'003)
      coded.WriteRaw(body.data() + at, static_cast<int>(std::min<std::size_t>(100'003, body.size() - at)));
  }
  out.set_hashing(false);
  std::string digest = out.hasher().finish_hex();
  out.append(tail);
  return digest;
}

TEST(OutputStream, ALargeFileIsTheStringsBytesAndHash) {
  // 0 to 3 full buffers and a part, the hashed region starting and ending mid-buffer.
  for (const std::size_t mib : {1, 5, 13}) {
    const std::string head = pattern(123'457, 1), body = pattern(mib << 20, 2), tail = pattern(77'777, 3);
    Sha256 expected;
    expected.update(body);
    const std::string want = expected.finish_hex();

    std::string bytes;
    OutputStream to_string(bytes);
    EXPECT_EQ(write(to_string, head, body, tail), want);
    ASSERT_TRUE(to_string.commit());
    EXPECT_EQ(bytes, head + body + tail);

    bb::testing::TempDir dir;
    const fs::path path = dir / "out.bb";
    OutputStream to_file(path);
    EXPECT_EQ(write(to_file, head, body, tail), want) << mib << " MiB";
    ASSERT_TRUE(to_file.commit()) << mib << " MiB";
    EXPECT_EQ(to_file.size(), bytes.size());
    EXPECT_TRUE(read_all(path) == bytes) << mib << " MiB";
  }
}

// A write(2) that fails on the thread (over the file size limit, as on a full disk) is
// the stream's error by commit at the latest; nothing is left behind, nothing hangs.
TEST(OutputStream, AFailedWriteOnTheThreadIsReportedAndCleansUp) {
  bb::testing::TempDir dir;
  const fs::path path = dir / "out.bb";
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 6 << 20;  // the second buffer's write fails
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool failed = false;
  {
    OutputStream out(path);
    const std::string chunk = pattern(1 << 20, 4);
    for (int k = 0; k < 20; ++k) out.append(chunk);
    auto committed = out.commit();
    failed = !committed;
    if (failed) {
      EXPECT_NE(committed.error().message.find("write failed"), std::string::npos) << committed.error().message;
    }
    EXPECT_FALSE(out.flush()) << "sticky";
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(failed);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace bb::compiler
