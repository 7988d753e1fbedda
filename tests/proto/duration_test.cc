#include "bb/ir/duration.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("7ns"), 7);
  EXPECT_EQ(*parse_duration("3us"), 3'000);
  EXPECT_EQ(*parse_duration("10ms"), 10'000'000);
  EXPECT_EQ(*parse_duration("2s"), 2'000'000'000);
  EXPECT_EQ(*parse_duration("1m"), 60'000'000'000);
  EXPECT_EQ(*parse_duration("1h"), 3'600'000'000'000);
}

TEST(Duration, ParsesDecimals) {
  EXPECT_EQ(*parse_duration("1.5s"), 1'500'000'000);
  EXPECT_EQ(*parse_duration("0.25ms"), 250'000);
  EXPECT_EQ(*parse_duration(".5s"), 500'000'000);
  EXPECT_EQ(*parse_duration("2.s"), 2'000'000'000);
}

TEST(Duration, RejectsBadInput) {
  for (std::string_view bad : {"", "s", "10", "10 ms", "1.2.3s", "-1s", "10sec", "1.0005ns", "99999999999h"}) {
    auto parsed = parse_duration(bad);
    EXPECT_FALSE(parsed) << bad;
  }
  EXPECT_NE(parse_duration("10sec").error().find("unknown unit 'sec'"), std::string::npos);
  EXPECT_NE(parse_duration("10").error().find("no unit"), std::string::npos);
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(10'000'000), "10ms");
  EXPECT_EQ(format_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(format_duration(60'000'000'000), "1m");
  EXPECT_EQ(format_duration(90'000'000'000), "90s");
  EXPECT_EQ(format_duration(1'500), "1.5us");
  EXPECT_EQ(format_duration(1'234'567), "1234.567us");
  for (std::int64_t ns : {1LL, 999LL, 10'000'000LL, 1'500'000'000LL, 1'234'567LL, 7'200'000'000'000LL})
    EXPECT_EQ(*parse_duration(format_duration(ns)), ns);
}

}  // namespace
}  // namespace bb
