#include "cel/value.hpp"

#include <gtest/gtest.h>

#include "cel/test_util.hpp"

namespace mcpgate::cel {
namespace {

using namespace mcpgate::cel::testing;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

Type t(std::string_view spelling) {
  if (spelling == "any") {
    return Type{TypeKind::kAny, {}};
  }
  if (spelling == "list<any>") {
    return Type{TypeKind::kList, {Type{TypeKind::kAny, {}}}};
  }
  return *type_from_dsl(spelling);
}

// Converts and checks the value with an expression: `v == <expected>`.
::testing::AssertionResult converts_to(const json& input,
                                       std::string_view type,
                                       std::string_view expected) {
  auto value = value_from_json(input, t(type));
  if (!value) {
    return ::testing::AssertionFailure()
           << input.dump() << " as " << type << ": " << value.error().message;
  }
  Params declared{{"v", t(type)}};
  auto program = Program::compile("v == " + std::string(expected), declared);
  if (!program) {
    return ::testing::AssertionFailure() << program.error().message;
  }
  return is_true(program->evaluate(Activation{{"v", *value}}));
}

::testing::AssertionResult rejects(const json& input, std::string_view type) {
  auto value = value_from_json(input, t(type));
  if (value) {
    return ::testing::AssertionFailure() << input.dump() << " was accepted as " << type;
  }
  return ::testing::AssertionSuccess();
}

TEST(ValueTest, Int) {
  EXPECT_TRUE(converts_to(42, "int", "42"));
  EXPECT_TRUE(converts_to(-42, "int", "-42"));
  EXPECT_TRUE(converts_to(3.0, "int", "3"));
  EXPECT_TRUE(converts_to(std::numeric_limits<std::int64_t>::max(), "int", "9223372036854775807"));
  EXPECT_TRUE(converts_to(std::numeric_limits<std::int64_t>::min(), "int", "-9223372036854775808"));
  // OpenFGA accepts base-10 numeric strings for numeric parameters.
  EXPECT_TRUE(converts_to("42", "int", "42"));
  EXPECT_TRUE(converts_to("-9223372036854775808", "int", "-9223372036854775808"));
  EXPECT_TRUE(converts_to("1e3", "int", "1000"));
  EXPECT_TRUE(converts_to("+7", "int", "7"));
  EXPECT_TRUE(converts_to("2.0", "int", "2"));
  EXPECT_TRUE(rejects(1.5, "int"));
  EXPECT_TRUE(rejects("1.5", "int"));
  EXPECT_TRUE(rejects("abc", "int"));
  EXPECT_TRUE(rejects("", "int"));
  EXPECT_TRUE(rejects(" 1", "int"));
  EXPECT_TRUE(rejects("0x10", "int"));
  EXPECT_TRUE(rejects("Inf", "int"));
  EXPECT_TRUE(rejects("NaN", "int"));
  EXPECT_TRUE(rejects("9223372036854775808", "int"));
  EXPECT_TRUE(rejects(std::numeric_limits<std::uint64_t>::max(), "int"));
  EXPECT_TRUE(rejects(1e19, "int"));
  EXPECT_TRUE(rejects(true, "int"));
  EXPECT_TRUE(rejects(nullptr, "int"));
  EXPECT_TRUE(rejects(json::array(), "int"));
}

TEST(ValueTest, Uint) {
  EXPECT_TRUE(converts_to(1, "uint", "1u"));
  EXPECT_TRUE(
      converts_to(std::numeric_limits<std::uint64_t>::max(), "uint", "18446744073709551615u"));
  EXPECT_TRUE(converts_to("18446744073709551615", "uint", "18446744073709551615u"));
  EXPECT_TRUE(converts_to(2.0, "uint", "2u"));
  EXPECT_TRUE(converts_to("-0", "uint", "0u"));
  EXPECT_TRUE(rejects(-1, "uint"));
  EXPECT_TRUE(rejects("-1", "uint"));
  EXPECT_TRUE(rejects(-1.0, "uint"));
  EXPECT_TRUE(rejects(0.5, "uint"));
  EXPECT_TRUE(rejects("18446744073709551616", "uint"));
  EXPECT_TRUE(rejects("x", "uint"));
}

TEST(ValueTest, Double) {
  EXPECT_TRUE(converts_to(1, "double", "1.0"));
  EXPECT_TRUE(converts_to(0.1, "double", "0.1"));
  EXPECT_TRUE(converts_to(-2.5, "double", "-2.5"));
  EXPECT_TRUE(converts_to("0.5", "double", "0.5"));
  EXPECT_TRUE(converts_to("1e3", "double", "1000.0"));
  // OpenFGA parses strings with a 64-bit mantissa and requires an exact double: "0.1" fails.
  EXPECT_TRUE(rejects("0.1", "double"));
  EXPECT_TRUE(rejects("Inf", "double"));
  EXPECT_TRUE(rejects("NaN", "double"));
  EXPECT_TRUE(rejects("1e400", "double"));
  EXPECT_TRUE(rejects("abc", "double"));
  EXPECT_TRUE(rejects(true, "double"));
}

TEST(ValueTest, BoolStringBytes) {
  EXPECT_TRUE(converts_to(true, "bool", "true"));
  EXPECT_TRUE(rejects("true", "bool"));
  EXPECT_TRUE(rejects(1, "bool"));
  EXPECT_TRUE(converts_to("héllo", "string", "'héllo'"));
  EXPECT_TRUE(rejects(1, "string"));
  EXPECT_TRUE(rejects(nullptr, "string"));
  auto bytes = value_from_json("ab", Type{TypeKind::kBytes, {}});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes.value()->val().kind, Kind::kBytes);
}

TEST(ValueTest, Duration) {
  EXPECT_TRUE(converts_to("10s", "duration", "duration('10s')"));
  EXPECT_TRUE(converts_to("1h2m3.5s", "duration", "duration('3723500ms')"));
  EXPECT_TRUE(converts_to("-1.5h", "duration", "duration('0s') - duration('90m')"));
  EXPECT_TRUE(converts_to("0", "duration", "duration('0s')"));
  EXPECT_TRUE(converts_to("+5m", "duration", "duration('300s')"));
  EXPECT_TRUE(converts_to(".5s", "duration", "duration('500ms')"));
  EXPECT_TRUE(converts_to("1.s", "duration", "duration('1s')"));
  EXPECT_TRUE(converts_to("1us", "duration", "duration('1000ns')"));
  EXPECT_TRUE(converts_to("1\xC2\xB5s", "duration", "duration('1us')"));
  EXPECT_TRUE(converts_to("1\xCE\xBCs", "duration", "duration('1us')"));
  EXPECT_TRUE(
      converts_to("2562047h47m16.854775807s", "duration", "duration('9223372036854775807ns')"));
  EXPECT_TRUE(
      converts_to("-2562047h47m16.854775808s", "duration", "duration('-9223372036854775808ns')"));
  for (const char* bad : {"",
                          "1",
                          "s",
                          "1d",
                          "1.5",
                          ".s",
                          "-",
                          "+",
                          "1h 2m",
                          "1H",
                          "2562047h47m16.854775808s",
                          "9223372036854775808ns",
                          "1e3s",
                          "--1s"}) {
    EXPECT_TRUE(rejects(bad, "duration")) << bad;
  }
  EXPECT_TRUE(rejects(10, "duration"));
}

TEST(ValueTest, Timestamp) {
  EXPECT_TRUE(
      converts_to("2019-02-01T00:00:00Z", "timestamp", "timestamp('2019-02-01T00:00:00Z')"));
  EXPECT_TRUE(
      converts_to("2019-02-01T02:00:00+02:00", "timestamp", "timestamp('2019-02-01T00:00:00Z')"));
  EXPECT_TRUE(
      converts_to("2019-01-31T19:00:00-05:00", "timestamp", "timestamp('2019-02-01T00:00:00Z')"));
  EXPECT_TRUE(converts_to("2019-02-01T00:00:00.123456789123Z",
                          "timestamp",
                          "timestamp('2019-02-01T00:00:00Z') + duration('123456789ns')"));
  EXPECT_TRUE(converts_to("2024-02-29T00:00:00Z", "timestamp", "timestamp(1709164800)"));
  EXPECT_TRUE(converts_to("0001-01-01T00:00:00Z", "timestamp", "timestamp(-62135596800)"));
  EXPECT_TRUE(converts_to("1969-12-31T23:59:59Z", "timestamp", "timestamp(-1)"));
  for (const char* bad : {"",
                          "2019-02-01",
                          "2019-02-01T00:00:00",
                          "2019-02-01 00:00:00Z",
                          "2019-02-01t00:00:00Z",
                          "2019-02-01T00:00:00z",
                          "2019-13-01T00:00:00Z",
                          "2019-02-29T00:00:00Z",
                          "2019-02-01T24:00:00Z",
                          "2019-02-01T00:60:00Z",
                          "2019-02-01T00:00:60Z",
                          "2019-02-01T00:00:00.Z",
                          "2019-02-01T00:00:00+0200",
                          "2019-02-01T00:00:00+24:00",
                          "19-02-01T00:00:00Z",
                          "2019-2-01T00:00:00Z",
                          "2019-02-01T00:00:00Zjunk",
                          "+2019-02-01T00:00:00Z"}) {
    EXPECT_TRUE(rejects(bad, "timestamp")) << bad;
  }
  EXPECT_TRUE(rejects(0, "timestamp"));
}

TEST(ValueTest, IpAddress) {
  EXPECT_TRUE(converts_to("192.168.0.1", "ipaddress", "ipaddress('192.168.0.1')"));
  EXPECT_TRUE(converts_to("::ffff:192.168.0.1", "ipaddress", "ipaddress('192.168.0.1')"));
  EXPECT_TRUE(converts_to("2001:DB8::1", "ipaddress", "ipaddress('2001:db8:0:0:0:0:0:1')"));
  EXPECT_TRUE(converts_to("::", "ipaddress", "ipaddress('0:0:0:0:0:0:0:0')"));
  EXPECT_TRUE(converts_to("1::", "ipaddress", "ipaddress('1:0:0:0:0:0:0:0')"));
  EXPECT_TRUE(converts_to("::1.2.3.4", "ipaddress", "ipaddress('0:0:0:0:0:0:102:304')"));
  EXPECT_TRUE(converts_to("fe80::1%eth0", "ipaddress", "ipaddress('fe80::1%eth0')"));
  for (const char* bad : {"",
                          "1.2.3",
                          "1.2.3.4.5",
                          "256.1.1.1",
                          "01.2.3.4",
                          "1.2.3.4%eth0",
                          "1..2.3",
                          "::1::",
                          "1:2:3:4:5:6:7:8:9",
                          "12345::",
                          "g::1",
                          "fe80::1%",
                          ":1",
                          "1:",
                          "1.2.3.4/8",
                          " 1.2.3.4",
                          "1:2:3:4:5:6:7::8:9",
                          "1:2:3:4:5:6:7:8::",
                          "::1.2.3",
                          "1.2.3.4::"}) {
    EXPECT_TRUE(rejects(bad, "ipaddress")) << bad;
  }
}

TEST(ValueTest, ListsMapsAny) {
  EXPECT_TRUE(converts_to(json::array({"a", "b"}), "list<string>", "['a', 'b']"));
  EXPECT_TRUE(converts_to(json::array({1, "2"}), "list<int>", "[1, 2]"));
  EXPECT_TRUE(converts_to(json{{"k", 1}}, "map<int>", "{'k': 1}"));
  EXPECT_TRUE(
      converts_to(json{{"k", "10.0.0.1"}}, "map<ipaddress>", "{'k': ipaddress('10.0.0.1')}"));
  EXPECT_TRUE(rejects(json::array({1, "x"}), "list<int>"));
  EXPECT_TRUE(rejects(json{{"k", "x"}}, "map<int>"));
  EXPECT_TRUE(rejects(json{{"k", 1}}, "list<int>"));
  EXPECT_TRUE(rejects(json::array({1}), "map<int>"));
  EXPECT_TRUE(rejects(json::array({nullptr}), "list<string>"));
  EXPECT_TRUE(
      converts_to(json{{"a", {1, "x", nullptr, true}}}, "any", "{'a': [1.0, 'x', null, true]}"));
  EXPECT_TRUE(converts_to(json::array({json::array({1})}), "list<any>", "[[1]]"));
  // Deep `any` values are refused, not recursed into without bound.
  json deep = 1;
  for (int i = 0; i < 1000; ++i) {
    deep = json::array({deep});
  }
  EXPECT_TRUE(rejects(deep, "any"));
}

}  // namespace
}  // namespace mcpgate::cel
