#include "crypto/strict_json.hpp"

#include <gtest/gtest.h>

namespace mcpgate::crypto {
namespace {

TEST(StrictJsonTest, ParsesOrdinaryJson) {
  const auto v = parse_json_strict(R"({"a":[1,2,{"b":null}],"c":"\u00e9"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["a"][2]["b"], nullptr);
  EXPECT_EQ((*v)["c"], "\xc3\xa9");
  EXPECT_TRUE(parse_json_strict("42").ok());
  // The same member name in different objects is fine.
  EXPECT_TRUE(parse_json_strict(R"({"a":{"a":1},"b":{"a":2}})").ok());
}

TEST(StrictJsonTest, RefusesDuplicates) {
  EXPECT_FALSE(parse_json_strict(R"({"a":1,"a":1})").ok());
  EXPECT_FALSE(parse_json_strict(R"({"x":{"a":1,"b":2,"a":3}})").ok());
  EXPECT_FALSE(parse_json_strict(R"([{"a":1,"a":1}])").ok());
  // Escapes decode before comparison.
  EXPECT_FALSE(parse_json_strict(R"({"a":1,"\u0061":2})").ok());
}

JsonLimits limits_of(std::size_t max_bytes, int max_depth) {
  JsonLimits l;
  l.max_bytes = max_bytes;
  l.max_depth = max_depth;
  return l;
}

TEST(StrictJsonTest, EnforcesDepthAndSize) {
  const JsonLimits limits = limits_of(1000, 3);
  EXPECT_TRUE(parse_json_strict("[[[1]]]", limits).ok());
  EXPECT_FALSE(parse_json_strict("[[[[1]]]]", limits).ok());
  EXPECT_TRUE(parse_json_strict(R"({"a":{"b":[1]}})", limits).ok());
  EXPECT_FALSE(parse_json_strict(R"({"a":{"b":{"c":1}}})"
                                 "",
                                 limits_of(1000, 2))
                   .ok());
  EXPECT_FALSE(parse_json_strict(std::string(1001, ' '), limits).ok());
  // Deep nesting well past any limit must fail cleanly, not overflow the stack.
  std::string deep(50000, '[');
  deep += std::string(50000, ']');
  EXPECT_FALSE(parse_json_strict(deep, limits_of(200000, 16)).ok());
}

TEST(StrictJsonTest, RefusesNonJson) {
  for (const char* text : {"",
                           "{",
                           R"({"a":1,})",
                           "[1,]",
                           "{'a':1}",
                           R"({"a":1} x)",
                           R"({"a":1} /*c*/)",
                           "NaN",
                           "\xef\xbb\xbf{}",
                           " \xef\xbb\xbf{}"}) {
    EXPECT_FALSE(parse_json_strict(text).ok()) << text;
  }
  EXPECT_FALSE(parse_json_strict("\"\xff\"").ok());
  EXPECT_FALSE(parse_json_strict("\"\xc0\xaf\"").ok());  // overlong encoding
}

}  // namespace
}  // namespace mcpgate::crypto
