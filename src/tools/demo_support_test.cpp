#include "tools/demo_support.hpp"

#include <gtest/gtest.h>

namespace mcpgate::tools::demo {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

sys_seconds utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_seconds{sys_days{std::chrono::year{y} / m / d}} + std::chrono::hours{hh} +
         std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

TEST(DemoSupportTest, ParsesRfc3339DateTimes) {
  EXPECT_EQ(parse_date_time("2025-05-02T14:30:00Z"), utc(2025, 5, 2, 14, 30, 0));
  EXPECT_EQ(parse_date_time("2025-05-02t14:30:00z"), utc(2025, 5, 2, 14, 30, 0));
  EXPECT_EQ(parse_date_time("2025-05-02 14:30:59.123456Z"), utc(2025, 5, 2, 14, 30, 59));
  EXPECT_EQ(parse_date_time("2025-05-02T14:30:00+02:00"), utc(2025, 5, 2, 12, 30, 0));
  EXPECT_EQ(parse_date_time("2025-05-02T23:30:00-05:30"), utc(2025, 5, 3, 5, 0, 0));
  // No seconds, no offset: UTC.
  EXPECT_EQ(parse_date_time("2025-05-02T14:30"), utc(2025, 5, 2, 14, 30, 0));
  // A leap second folds into :59.
  EXPECT_EQ(parse_date_time("2016-12-31T23:59:60Z"), utc(2016, 12, 31, 23, 59, 59));
  EXPECT_EQ(parse_date_time("2024-02-29T00:00:00Z"), utc(2024, 2, 29, 0, 0, 0));
}

TEST(DemoSupportTest, RejectsMalformedDateTimes) {
  for (const char* bad :
       {"", "2025-05-02", "2025-05-02T", "2025-5-2T10:00:00Z", "2025-05-02T24:00:00Z",
        "2025-05-02T10:60:00Z", "2025-02-29T10:00:00Z", "2025-04-31T10:00:00Z",
        "2025-13-01T10:00:00Z", "0000-01-01T00:00:00Z", "2025-05-02T10:00:00.Z",
        "2025-05-02T10:00:00+0200", "2025-05-02T10:00:00+24:00", "2025-05-02T10:00:00Zjunk",
        "2025-05-02X10:00:00Z", "tomorrow", "2025-05-02T10:00:00 Z", "２０２５-05-02T10:00:00Z"}) {
    EXPECT_FALSE(parse_date_time(bad).has_value()) << bad;
  }
}

TEST(DemoSupportTest, ParsesAndFormatsDates) {
  EXPECT_EQ(parse_date("2025-05-02"), sys_days{std::chrono::year{2025} / 5 / 2});
  EXPECT_FALSE(parse_date("2025-05-02 ").has_value());
  EXPECT_FALSE(parse_date("2025-02-30").has_value());
  EXPECT_EQ(format_date(sys_days{std::chrono::year{2025} / 1 / 9}), "2025-01-09");
  EXPECT_EQ(format_date_time(utc(2025, 1, 9, 7, 5, 3)), "2025-01-09T07:05:03Z");
  const auto round_trip = parse_date_time(format_date_time(utc(1999, 12, 31, 23, 59, 59)));
  EXPECT_EQ(round_trip, utc(1999, 12, 31, 23, 59, 59));
}

TEST(DemoSupportTest, RecognisesPlainEmailAddresses) {
  for (const char* good : {"a@b.co", "alex.morgan@example.com", "first+tag@sub.example.org",
                           "o'neil@example.ie", "x_y-z@mail-1.example.com"}) {
    EXPECT_TRUE(is_email(good)) << good;
  }
  for (const char* bad :
       {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com", ".a@b.com", "a.@b.com",
        "a..b@c.com", "a b@c.com", "Ana <ana@example.com>", "a@-b.com", "a@b-.com", "a@b..com",
        "a@b.com.", "a@127.0.0.1", "a@[127.0.0.1]", "ü@example.com", "a@exa_mple.com"}) {
    EXPECT_FALSE(is_email(bad)) << bad;
  }
  EXPECT_FALSE(is_email(std::string(65, 'a') + "@example.com"));
  EXPECT_TRUE(is_email(std::string(64, 'a') + "@example.com"));
  EXPECT_FALSE(is_email("a@" + std::string(250, 'b') + ".com"));
}

TEST(DemoSupportTest, CountsAndTruncatesUtf8ByCodePoint) {
  EXPECT_EQ(utf8_length("h\u00e9llo"), 5U);
  EXPECT_EQ(utf8_truncate("h\u00e9llo", 2), "h\u00e9\u2026");
  EXPECT_EQ(utf8_truncate("h\u00e9llo", 5), "h\u00e9llo");
  EXPECT_EQ(utf8_truncate("\U0001F600\U0001F600", 1), "\U0001F600\u2026");
}

TEST(DemoSupportTest, DetectsControlCharacters) {
  EXPECT_TRUE(has_control_chars("a\nb", false));
  EXPECT_FALSE(has_control_chars("a\nb\tc\r", true));
  EXPECT_TRUE(has_control_chars(std::string("a\0b", 3), true));
  EXPECT_TRUE(has_control_chars("a\x7f", true));
  EXPECT_FALSE(has_control_chars("caf\u00e9", false));
}

TEST(DemoSupportTest, MatchesCaseInsensitively) {
  EXPECT_TRUE(contains_ignore_case("Lunch tomorrow?", "LUNCH"));
  EXPECT_TRUE(contains_ignore_case("anything", ""));
  EXPECT_FALSE(contains_ignore_case("", "x"));
  EXPECT_FALSE(contains_ignore_case("lunch", "lunches"));
}

TEST(DemoSupportTest, ExpandsSharedSubSchemas) {
  EXPECT_EQ(expand_schema(R"({"a":"$X","b":["$X"]})", "$X", R"({"type":"string"})"),
            R"({"a":{"type":"string"},"b":[{"type":"string"}]})");
}

TEST(DemoSupportTest, ArgsReadIntegersStrictly) {
  const Json args = {{"n", 20.0}, {"big", 1e30}, {"neg", -3}, {"u", 18446744073709551615ULL}};
  const Args a(args);
  EXPECT_EQ(a.optional_int("n", 1, 500).value(), 20);
  EXPECT_FALSE(a.optional_int("big", 1, 500).ok());
  EXPECT_FALSE(a.optional_int("neg", 1, 500).ok());
  EXPECT_FALSE(a.optional_int("u", 1, 500).ok());
  EXPECT_FALSE(a.optional_int("absent", 1, 500).value().has_value());
}

}  // namespace
}  // namespace mcpgate::tools::demo
