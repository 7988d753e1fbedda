// `bbrun keygen`: the key file, its mode, its PeerId on stdout, and no silent overwrite.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "../support/temp_dir.h"
#include "../support/tool_run.h"
#include "bb/net/identity.h"

namespace bb::net {
namespace {

using bb::testing::run_captured;
using bb::testing::slurp;

class Keygen : public ::testing::Test {
 protected:
  bb::testing::ToolRun bbrun(const std::string& args, const std::string& prefix = "") {
    return run_captured(prefix + BBRUN_PATH + " " + args, dir_.path());
  }
  bb::testing::TempDir dir_;
};

TEST_F(Keygen, WritesAnOwnerOnlyKeyAndPrintsItsPeerId) {
  const auto path = dir_ / "node.pem";
  // Even with a permissive umask the key is readable by its owner only.
  const auto run = bbrun("keygen " + path.string(), "umask 000; ");
  ASSERT_EQ(run.code, 0) << run.err;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto loaded = load_key_file(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(run.out, loaded->key.peer_id().to_text() + "\n");
  EXPECT_TRUE(run.out.starts_with("12D3KooW"));
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(Keygen, RefusesToReplaceAKeyUnlessForced) {
  const auto path = dir_ / "node.pem";
  const auto first = bbrun("keygen " + path.string());
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string pem = slurp(path);

  const auto again = bbrun("keygen " + path.string());
  EXPECT_EQ(again.code, 2);
  EXPECT_TRUE(again.out.empty());
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(slurp(path), pem);

  const auto forced = bbrun("keygen --force " + path.string());
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_NE(forced.out, first.out);
  EXPECT_NE(slurp(path), pem);
  EXPECT_EQ(load_key_file(path)->key.peer_id().to_text() + "\n", forced.out);
}

TEST_F(Keygen, UsageAndWriteErrors) {
  EXPECT_EQ(bbrun("keygen").code, 2);
  const auto missing_folder = bbrun("keygen " + (dir_ / "no" / "node.pem").string());
  EXPECT_EQ(missing_folder.code, 2);
  EXPECT_NE(missing_folder.err.find("no/node.pem"), std::string::npos) << missing_folder.err;
  EXPECT_TRUE(missing_folder.out.empty());
}

TEST_F(Keygen, ThePrintedPeerIdIsAcceptedWhereverAPeerIdIs) {
  const auto run = bbrun("keygen " + (dir_ / "node.pem").string());
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string id = run.out.substr(0, run.out.size() - 1);
  const auto listed = bbrun("--list-ops --blocklist " + id + " --allowlist " + id);
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(bbrun("--list-ops --blocklist " + id.substr(0, id.size() - 1) + "0").code, 2);  // '0' is not base58
}

}  // namespace
}  // namespace bb::net
