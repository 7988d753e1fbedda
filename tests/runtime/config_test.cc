// The `bbrun --config` file and the settings layers (docs/runtime.md): the same
// reader as the deployment file's sections, errors naming file, line and key, and the
// layering defaults < file < flags.
#include "bb/runtime/config.h"

#include <gtest/gtest.h>

namespace bb::runtime {
namespace {

PeerId peer(std::string_view name) { return PeerId::identity(name).value(); }

ConfigError error_of(std::string_view text) {
  auto r = read_config_text(text, "cfg.toml");
  EXPECT_FALSE(r.has_value()) << text;
  return r ? ConfigError{} : r.error();
}

TEST(Config, ReadsEverySection) {
  auto o = read_config_text(
      "[backoff]\nbase = \"20ms\"\ncap = \"2s\"\njitter = \"equal\"\n"
      "[governor]\nthreshold = 3\nblocklist = [\"id:mallory\"]\nallowlist = []\n"
      "[dedup]\nwindow = 16\nttl = \"5s\"\nmax_streams = 9\n[send]\ntimeout = \"250ms\"\n",
      "cfg.toml");
  ASSERT_TRUE(o) << describe(o.error());
  EXPECT_EQ(o->backoff_base_ns, 20 * kMillisecond);
  EXPECT_EQ(o->backoff_cap_ns, 2 * kSecond);
  EXPECT_EQ(o->backoff_jitter, Jitter::kEqual);
  EXPECT_EQ(o->governor_threshold, 3u);
  EXPECT_EQ(o->blocklist, std::vector<PeerId>{peer("mallory")});
  ASSERT_TRUE(o->allowlist);
  EXPECT_TRUE(o->allowlist->empty());
  EXPECT_EQ(o->dedup_window, 16u);
  EXPECT_EQ(o->dedup_ttl_ns, 5 * kSecond);
  EXPECT_EQ(o->dedup_max_streams, 9u);
  EXPECT_EQ(o->send_timeout_ns, 250 * kMillisecond);
}

TEST(Config, KeepsWhatTheFileDoesNotSet) {
  NodeSettings s;
  s.dedup.window = 7;
  ASSERT_TRUE(apply_config_text("[backoff]\nbase = \"20ms\"\n", "cfg.toml", s));
  EXPECT_EQ(s.backoff.base_ns, 20 * kMillisecond);
  EXPECT_EQ(s.backoff.cap_ns, NodeSettings{}.backoff.cap_ns);
  EXPECT_EQ(s.dedup.window, 7u);
}

TEST(Config, LayersApplyInOrder) {
  NodeSettings s;
  SettingsOverlay file;
  file.backoff_base_ns = 20 * kMillisecond;
  file.governor_threshold = 2;
  SettingsOverlay flags;
  flags.backoff_base_ns = 30 * kMillisecond;
  apply_overlay(file, s);
  apply_overlay(flags, s);
  EXPECT_EQ(s.backoff.base_ns, 30 * kMillisecond) << "the later layer wins";
  EXPECT_EQ(s.governor.threshold, 2u) << "a layer that does not set a value keeps the one below";
  EXPECT_TRUE(check_settings(s));
  flags.backoff_cap_ns = 5 * kMillisecond;
  apply_overlay(flags, s);
  auto bad = check_settings(s);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "backoff cap 5ms is below the base 30ms");
}

TEST(Config, ErrorsNameFileLineAndKey) {
  ConfigError e = error_of("[backoff]\nbase = \"20ms\"\nbsae = \"1s\"\n");
  EXPECT_EQ(describe(e), "cfg.toml:3: backoff.bsae: unknown key (known keys here: base, cap, jitter)");
  e = error_of("[dedup]\nwindow = 1\n[retry]\nn = 2\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.key, "retry");
  EXPECT_NE(e.message.find("unknown section"), std::string::npos) << e.message;
  e = error_of("[send]\ntimeout = \"5 sec\"\n");
  EXPECT_EQ(e.key, "send.timeout");
  EXPECT_EQ(e.line, 2u);
  e = error_of("[governor]\nallowlist = [\"id:ok\",\n  \"id:\"]\n");
  EXPECT_EQ(e.key, "governor.allowlist[1]");
  EXPECT_EQ(e.line, 3u);
  e = error_of("[governor]\nthreshold = 0\n");
  EXPECT_EQ(e.key, "governor.threshold");
  e = error_of("[dedup]\nttl = \"0s\"\n");
  EXPECT_EQ(e.key, "dedup.ttl");
  // Settings that size memory have an upper bound (a huge window used to abort with
  // bad_alloc when the node started).
  e = error_of("[dedup]\nwindow = 100000000000\n");
  EXPECT_EQ(describe(e), "cfg.toml:2: dedup.window: 100000000000 is outside [1, 65536]");
  e = error_of("[dedup]\nmax_streams = 0\n");
  EXPECT_EQ(e.key, "dedup.max_streams");
  e = error_of("[dedup]\nmax_streams = 1048577\n");
  EXPECT_EQ(e.key, "dedup.max_streams");
  e = error_of("[backoff]\nbase = \"1s\"\ncap = \"10ms\"\n");
  EXPECT_EQ(e.key, "backoff.cap");
  e = error_of("[backoff]\njitter = \"wild\"\n");
  EXPECT_EQ(e.key, "backoff.jitter");
  e = error_of("backoff = 3\n");
  EXPECT_EQ(e.key, "backoff");
  e = error_of("[backoff\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_NE(e.message.find("not valid TOML"), std::string::npos);
}

// The config file's errors are the TOML reader's, with the kinds (and labels) the
// deployment file reports for the same mistakes.
TEST(Config, ErrorsHaveTheKindsOfTheDeploymentFile) {
  EXPECT_EQ(to_string(error_of("[backoff]\nbsae = \"1s\"\n").kind), "unknown_key");
  EXPECT_EQ(to_string(error_of("[retry]\n").kind), "unknown_key");
  EXPECT_EQ(to_string(error_of("backoff = 3\n").kind), "wrong_type");
  EXPECT_EQ(to_string(error_of("[send]\ntimeout = \"5 sec\"\n").kind), "bad_duration");
  EXPECT_EQ(to_string(error_of("[governor]\nblocklist = [\"id:\"]\n").kind), "bad_peer");
  EXPECT_EQ(to_string(error_of("[governor]\nthreshold = 0\n").kind), "out_of_range");
  EXPECT_EQ(to_string(error_of("[backoff]\njitter = \"wild\"\n").kind), "bad_value");
  EXPECT_EQ(to_string(error_of("[backoff\n").kind), "syntax");
  auto missing = read_config_file("/nonexistent/cfg.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(to_string(missing.error().kind), "io");
}

TEST(Config, MissingFile) {
  auto r = read_config_file("/nonexistent/cfg.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(describe(r.error()), "/nonexistent/cfg.toml: cannot read the file");
}

}  // namespace
}  // namespace bb::runtime
