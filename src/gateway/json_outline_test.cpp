#include "gateway/json_outline.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mcpgate::gateway {
namespace {

bool nlohmann_accepts(const std::string& text) {
  return !nlohmann::json::parse(text, nullptr, false).is_discarded();
}

TEST(JsonOutlineTest, OutlinesTopLevelMembers) {
  const std::string text =
      " {\"id\":7,\"jsonrpc\":\"2.0\",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}}\n";
  auto o = outline_json(text, 64);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o->is_object());
  EXPECT_EQ(o->value, text.substr(1, text.size() - 2));
  ASSERT_EQ(o->members.size(), 3u);
  EXPECT_EQ(o->members[0].key, "id");
  EXPECT_EQ(o->members[0].value, "7");
  EXPECT_EQ(o->members[1].value, "\"2.0\"");
  ASSERT_NE(o->find("result"), nullptr);
  EXPECT_EQ(o->find("result")->value, "{\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}");
  EXPECT_EQ(o->find("error"), nullptr);
  EXPECT_FALSE(o->ambiguous_keys());
}

TEST(JsonOutlineTest, MemberValuesKeepTheirInnerWhitespace) {
  auto o = outline_json("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }", 64);
  ASSERT_TRUE(o.ok());
  ASSERT_EQ(o->members.size(), 2u);
  EXPECT_EQ(o->members[0].value, "[ 1 , 2 ]");
  EXPECT_EQ(o->members[1].value, "{ }");
}

TEST(JsonOutlineTest, ScalarsAndArraysHaveNoMembers) {
  for (const char* text : {"1", "\"x\"", "[{\"a\":1}]", "null", "-0.5e+3"}) {
    auto o = outline_json(text, 64);
    ASSERT_TRUE(o.ok()) << text;
    EXPECT_FALSE(o->is_object()) << text;
    EXPECT_TRUE(o->members.empty()) << text;
  }
}

TEST(JsonOutlineTest, EscapedAndDuplicateKeysAreAmbiguous) {
  // "\u0069d" is "id" to a JSON library: a byte comparison would miss it.
  auto escaped = outline_json(R"({"\u0069d":1})", 64);
  ASSERT_TRUE(escaped.ok());
  EXPECT_TRUE(escaped->ambiguous_keys());
  EXPECT_EQ(escaped->find("id"), nullptr);
  auto duplicate = outline_json(R"({"isError":false,"isError":true})", 64);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_TRUE(duplicate->ambiguous_keys());
  // Escapes inside values are not the keys' business.
  auto value_escape = outline_json(R"({"a":"\n\u00e9"})", 64);
  ASSERT_TRUE(value_escape.ok());
  EXPECT_FALSE(value_escape->ambiguous_keys());
}

TEST(JsonOutlineTest, RejectsMalformedText) {
  const std::vector<std::string> malformed = {
           "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.",
           "1e", "-", "+1", ".5", "tru", "truex", "nul", "[1]]", "{} {}", "\"abc", "\"a\tb\"",
           "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "'a'",
           "[1,2", "{\"a\":}", "/* c */ 1", "1 // c", "NaN", "Infinity", "\x80", "\"\xC3\"",
           "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xC0\xAF\"", std::string("\"a\0b\"", 5),
           "1e400", "-32E603", std::string(400, '9'), "0.0001e313"};
  for (const std::string& text : malformed) {
    EXPECT_FALSE(outline_json(text, 64).ok()) << text;
    EXPECT_FALSE(nlohmann_accepts(text)) << "test case accepted by nlohmann: " << text;
  }
}

TEST(JsonOutlineTest, AcceptsWhatTheGrammarAllows) {
  const std::vector<std::string> valid = {
           "0", "-0", "1e5", "1E-5", "1.25e+10", "\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\"",
           "\"\\u0000\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", " \t\r\n[ ] ", "{\"\":\"\"}",
           "\xEF\xBB\xBF{}", "[[[]]]", "123456789012345678901234567890", "1e-400", "0.0001e305",
           "-1.7976931348623157e308", std::string(300, '9')};
  for (const std::string& text : valid) {
    EXPECT_TRUE(outline_json(text, 64).ok()) << text;
    EXPECT_TRUE(nlohmann_accepts(text)) << "test case refused by nlohmann: " << text;
  }
}

// nlohmann stops reading at a NUL byte and accepts what came before; the outline refuses the
// text instead, and the gateway then takes the parsed path, so the upstream's answer is treated
// exactly as before.
TEST(JsonOutlineTest, RefusesTextAfterANulThatNlohmannIgnores) {
  const std::string text("{\"id\":1}\0garbage", 16);
  EXPECT_FALSE(outline_json(text, 64).ok());
  EXPECT_TRUE(nlohmann_accepts(text));
}

TEST(JsonOutlineTest, RefusesNestingDeeperThanTheLimit) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(outline_json(ok, 64).ok());
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  auto r = outline_json(deep, 64);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  // A hostile depth costs no stack: a million open brackets end in an error, not a crash.
  auto huge = outline_json(std::string(1000000, '['), 1000000000);
  EXPECT_FALSE(huge.ok());
}

// Differential check against the JSON library the gateway used before: random mutations of
// realistic upstream answers must be accepted by both or by neither (depth is not in play).
TEST(JsonOutlineTest, AgreesWithNlohmannOnMutatedDocuments) {
  const std::vector<std::string> seeds = {
      R"({"id":1,"jsonrpc":"2.0","result":{"content":[{"text":"This is a simple text response for testing.","type":"text"}]}})",
      R"({"jsonrpc":"2.0","id":"x","error":{"code":-32603,"message":"boom","data":[1.5e-3,true,false,null]}})",
      "{\"a\":\"\\u00e9\\ud83d\\ude00 \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\",\"b\":[-0,0.1,1E+2]}",
  };
  const std::string alphabet = "{}[]:,\"\\/ -+.0123456789eEtrufalsn\x80\xC3\xA9\xED\xF0\x01\t\nu";
  std::mt19937 rng(20261129);
  int accepted = 0;
  for (int round = 0; round < 8000; ++round) {
    std::string text = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      const char ch = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text[at] = ch;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), ch);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    const bool ours = outline_json(text, 1000).ok();
    const bool theirs = nlohmann_accepts(text);
    ASSERT_EQ(ours, theirs) << "disagreement on: " << text;
    accepted += ours ? 1 : 0;
  }
  EXPECT_GT(accepted, 100);  // the mutations also produce valid documents
}

}  // namespace
}  // namespace mcpgate::gateway
