// `bbrun --metrics-listen`: a live real-time node (an Interval ticking into Sends that
// fail: no transport) scraped twice over HTTP; check_metrics_endpoint.py parses both
// answers with prometheus_client and checks names, labels and growth. Bounded waits;
// the script stops bbrun with SIGTERM and kills it if it lingers.
#include <gtest/gtest.h>

#include "observe_util.h"

namespace bb {
namespace {

using testing::run_in;
using testing::TempDir;

TEST(MetricsEndpoint, LiveNodeScrapedTwiceShowsGrowingCounters) {
  TempDir dir;
  ASSERT_TRUE(testing::compile_demo(dir.path()));
  const auto r = run_in(dir.path(), "timeout 60 /usr/bin/python3 " + std::string(BB_SOURCE_DIR) +
                                        "/tests/observe/check_metrics_endpoint.py " + BBRUN_PATH + " alice.bb");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: "), std::string::npos) << r.out;
}

TEST(MetricsEndpoint, NotWithVirtualTimeOrSimAndBadAddressesFail) {
  TempDir dir;
  ASSERT_TRUE(testing::compile_demo(dir.path()));
  auto r = run_in(dir.path(), std::string(BBRUN_PATH) + " alice.bb --virtual-time --metrics-listen 127.0.0.1:0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("only for a real-time run"), std::string::npos) << r.err;
  r = run_in(dir.path(), std::string(BBRUN_PATH) + " --sim deploy.toml --metrics-listen 127.0.0.1:0");
  EXPECT_EQ(r.code, 2);
  r = run_in(dir.path(), std::string(BBRUN_PATH) + " alice.bb --duration 1s --metrics-listen 256.0.0.1:notaport");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--metrics-listen 256.0.0.1:notaport: cannot listen"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bb
