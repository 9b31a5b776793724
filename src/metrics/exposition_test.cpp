#include "metrics/exposition.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace mcpgate::metrics {
namespace {

std::string value_text(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

std::string label_text(std::string_view v) {
  std::string out;
  append_escaped_label_value(out, v);
  return out;
}

std::string help_text(std::string_view v) {
  std::string out;
  append_escaped_help(out, v);
  return out;
}

TEST(MetricNameTest, AcceptsTheFormatsGrammar) {
  EXPECT_TRUE(valid_metric_name("a"));
  EXPECT_TRUE(valid_metric_name("_"));
  EXPECT_TRUE(valid_metric_name(":"));
  EXPECT_TRUE(valid_metric_name("mcpgate_http_requests_total"));
  EXPECT_TRUE(valid_metric_name("job:rate5m:Sum9"));
}

TEST(MetricNameTest, RejectsOtherNames) {
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("http-requests"));
  EXPECT_FALSE(valid_metric_name("a b"));
  EXPECT_FALSE(valid_metric_name("caf\xc3\xa9"));
  EXPECT_FALSE(valid_metric_name("a{b}"));
}

TEST(LabelNameTest, NoColonsAndNoDoubleUnderscorePrefix) {
  EXPECT_TRUE(valid_label_name("method"));
  EXPECT_TRUE(valid_label_name("_x1"));
  EXPECT_FALSE(valid_label_name(""));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("1a"));
  EXPECT_FALSE(valid_label_name("a-b"));
}

TEST(EscapeTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(label_text("plain"), "plain");
  EXPECT_EQ(label_text("a\\b"), "a\\\\b");
  EXPECT_EQ(label_text("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(label_text("two\nlines"), "two\\nlines");
  EXPECT_EQ(label_text("tab\tstays"), "tab\tstays");
}

TEST(EscapeTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(help_text("a \"quoted\" \\ path\nnext"), "a \"quoted\" \\\\ path\\nnext");
}

TEST(SanitizeTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(sanitize_label_value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 100),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(sanitize_label_value("a\xff"
                                 "b",
                                 100),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(sanitize_label_value("\xc0\xaf", 100), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(sanitize_label_value("\xed\xa0\x80", 100),                           // a surrogate
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(sanitize_label_value("\xe2\x82", 100), "\xef\xbf\xbd\xef\xbf\xbd");  // truncated
}

TEST(SanitizeTest, CutsLongValuesOnACharacterBoundary) {
  EXPECT_EQ(sanitize_label_value("abcdef", 4), "abcd");
  EXPECT_EQ(sanitize_label_value("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(sanitize_label_value(std::string(1000, 'x'), 256).size(), 256u);
  EXPECT_EQ(sanitize_label_value("", 10), "");
}

TEST(ValueTest, SpellsNumbersAsPrometheusReadsThem) {
  EXPECT_EQ(value_text(0), "0");
  EXPECT_EQ(value_text(3), "3");
  EXPECT_EQ(value_text(-2.5), "-2.5");
  EXPECT_EQ(value_text(0.1), "0.1");
  EXPECT_EQ(value_text(0.0001), "0.0001");
  EXPECT_EQ(value_text(1234567.875), "1234567.875");
  EXPECT_EQ(value_text(1e20), "1e+20");
  EXPECT_EQ(value_text(1.5e-9), "1.5e-09");
  EXPECT_EQ(value_text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value_text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(value_text(std::nan("")), "NaN");
  std::string out;
  append_value(out, std::uint64_t{18446744073709551615u});
  EXPECT_EQ(out, "18446744073709551615");
}

}  // namespace
}  // namespace mcpgate::metrics
