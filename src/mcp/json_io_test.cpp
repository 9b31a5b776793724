#include "mcp/json_io.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mcpgate::mcp {
namespace {

TEST(JsonIoTest, ParsesValidDocument) {
  auto r = parse_json(R"({"a":[1,2,{"b":"\u00e9"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["a"][2]["b"], "\xc3\xa9");
}

TEST(JsonIoTest, RejectsMalformedJsonWithoutThrowing) {
  auto r = parse_json(R"({"a":)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(JsonIoTest, RejectsHundredThousandDeepNestingBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r = parse_json(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nesting"), std::string::npos);
}

TEST(JsonIoTest, AcceptsNestingUpToTheLimit) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parse_json(ok, 64).ok());
  const std::string too_deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(parse_json(too_deep, 64).ok());
}

TEST(JsonIoTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string text = "{\"s\":\"" + std::string(1000, '[') + "\\\"\"}";
  EXPECT_TRUE(parse_json(text, 4).ok());
}

TEST(JsonIoTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(parse_json("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(parse_json("{\"a\":\"\xc0\xaf\"}").ok());          // overlong '/'
  EXPECT_FALSE(parse_json("{\"a\":\"\xed\xa0\x80\"}").ok());      // UTF-16 surrogate
  EXPECT_FALSE(parse_json("{\"a\":\"\xf4\x90\x80\x80\"}").ok());  // > U+10FFFF
  EXPECT_FALSE(parse_json("{\"a\":\"\xe2\x82\"}").ok());          // truncated sequence
}

TEST(JsonIoTest, RejectsNulBytesAnywhere) {
  using namespace std::string_literals;
  for (const std::string& text : {"1\0garbage"s, "{\"a\":1}\0"s, "[\"x\0y\"]"s, "\0{}"s}) {
    const auto r = parse_json(text);
    ASSERT_FALSE(r.ok()) << "accepted a document with a NUL byte of size " << text.size();
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("NUL"), std::string::npos);
  }
  EXPECT_TRUE(parse_json(R"(["\u0000"])").ok());  // an escaped NUL is a valid string
}

TEST(JsonIoTest, Utf8ValidatorAcceptsMultibyteText) {
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80"));
}

TEST(JsonIoTest, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  Json j = std::string("bad\xff");
  EXPECT_NO_THROW({
    auto s = dump_json(j);
    EXPECT_NE(s.find("bad"), std::string::npos);
  });
}

TEST(JsonIoTest, Base64RoundTripsAndDecodesStrictly) {
  EXPECT_EQ(base64_encode("Hello"), "SGVsbG8=");
  EXPECT_EQ(base64_decode("SGVsbG8="), std::optional<std::string>("Hello"));
  EXPECT_FALSE(base64_decode("SGVsbG8").has_value());      // missing padding
  EXPECT_FALSE(base64_decode("SGVs!!!bG8=").has_value());  // bad alphabet
  EXPECT_FALSE(base64_decode("SGVsbG9=").has_value());     // non-zero trailing bits
  EXPECT_EQ(base64url_decode(base64url_encode("\xff\xfe\x00z")),
            std::optional<std::string>("\xff\xfe\x00z"));
}

TEST(JsonIoTest, HexEncodesLowerCase) {
  EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
}

}  // namespace
}  // namespace mcpgate::mcp
