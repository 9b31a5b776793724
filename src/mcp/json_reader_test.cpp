// read_json() must accept exactly what nlohmann::json::parse accepts and build the same value,
// number types included (parse_json relied on nlohmann's parser before read_json replaced it).
#include "mcp/json_reader.hpp"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mcp/json_io.hpp"

namespace mcpgate::mcp {
namespace {

// Equal values with equal types all the way down (nlohmann's == calls 1, 1u and 1.0 equal).
bool json_reader_same(const Json& a, const Json& b) {
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case Json::value_t::object: {
      if (a.size() != b.size()) {
        return false;
      }
      for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key() || !json_reader_same(*ia, *ib)) {
          return false;
        }
      }
      return true;
    }
    case Json::value_t::array: {
      if (a.size() != b.size()) {
        return false;
      }
      for (size_t i = 0; i < a.size(); ++i) {
        if (!json_reader_same(a[i], b[i])) {
          return false;
        }
      }
      return true;
    }
    case Json::value_t::number_float: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return a == b;
  }
}

// Compares read_json with nlohmann on one text; the depth limit is out of the way here.
void json_reader_expect_as_nlohmann(const std::string& text) {
  SCOPED_TRACE(::testing::Message() << "text: " << text);
  const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  Json ours;
  const bool ok = read_json(text, 10000, ours);
  ASSERT_EQ(ok, !reference.is_discarded());
  if (ok) {
    EXPECT_TRUE(json_reader_same(ours, reference)) << ours.dump() << " vs " << reference.dump();
  }
}

TEST(JsonReaderTest, AcceptsAndRefusesWhatNlohmannDoes) {
  const std::vector<std::string> cases = {
      // values
      "null",
      "true",
      "false",
      "0",
      "-0",
      "1",
      "-1",
      "42",
      "1.5",
      "-1.5e3",
      "1E+2",
      "1e-2",
      "0.0",
      "-0.0",
      "123456789012345678",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "1e400",
      "-1e400",
      "4.9e-324",
      "1e-400",
      "0.1",
      "2.2250738585072014e-308",
      "3.141592653589793238462643383279",
      R"("")",
      R"("abc")",
      R"("a\"b\\c\/d\be\ff\ng\rh\ti")",
      R"("\u0041\u00e9\u20ac")",
      R"("\ud83d\ude00")",
      R"("\u0000")",
      "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
      "[]",
      "{}",
      "[1,2,3]",
      R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
      " \t\r\n[ 1 , { \"k\" : \"v\" } ] \n",
      R"({"a":1,"a":2})",
      R"({"a":{"x":1},"a":[2]})",
      "\xEF\xBB\xBF{}",
      "\xEF\xBB\xBF 1",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{}}})",
      // refused
      "",
      " ",
      "nul",
      "nulls",
      "tru",
      "True",
      "01",
      "-",
      "-a",
      "1.",
      ".1",
      "1e",
      "1e+",
      "+1",
      "0x10",
      "1 2",
      "[1,]",
      "[,1]",
      "{,}",
      R"({"a":1,})",
      R"({"a" 1})",
      R"({a:1})",
      "{'a':1}",
      "[1",
      "{\"a\":1",
      "\"abc",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\u12g4\"",
      R"("\ud83d")",
      R"("\ude00")",
      R"("\ud83d\u0041")",
      R"("\ud83d\\")",
      "\"a\tb\"",
      "\"a\nb\"",
      "[1]]",
      "{}}",
      "\xEF\xBB",
      "\xEF{}",
      " \xEF\xBB\xBF{}",
      "\"\xc3\x28\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xc0\xaf\"",
      "//c\n1",
      "/*c*/1",
      "NaN",
      "Infinity",
      "-Infinity",
      "[1e]",
      "[-]",
      "[\"a\":1]",
      "{\"a\"}",
      "{\"a\":}",
      "[1 2]",
      "{\"a\":1 \"b\":2}",
  };
  for (const auto& text : cases) {
    json_reader_expect_as_nlohmann(text);
  }
}

// The reader skips string bytes eight at a time: every byte that needs a look must be found
// wherever it sits relative to those words (start, middle, last of a word, the tail).
TEST(JsonReaderTest, StringBytesThatNeedALookAreFoundAtEveryOffset) {
  const std::vector<std::string> specials = {"\\\"",
                                             "\\\\",
                                             "\\n",
                                             "\\u0041",
                                             "\"",
                                             "\x01",
                                             "\x1f",
                                             "\x7f",
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80",
                                             "\xff",
                                             "\xc3",
                                             "\xe2\x82",
                                             "\x80"};
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const std::string& special : specials) {
        const std::string body = std::string(at, 'a') + special + std::string(length - at, 'b');
        json_reader_expect_as_nlohmann("\"" + body + "\"");
        json_reader_expect_as_nlohmann("{\"" + body + "\":1}");
      }
    }
  }
}

TEST(JsonReaderTest, RandomMutationsOfProtocolMessagesMatchNlohmann) {
  const std::vector<std::string> seeds = {
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{"n":-12,"x":1.25e-3,"s":"a\"b\u00e9"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})",
      R"([{"a":[1,2,{"b":null}],"c":true},false,"\ud83d\ude00",18446744073709551615,-0.0])",
  };
  const std::string alphabet = "{}[],:\"\\ -+.eE0123456789abcdefnrtlsux\t\n\xc3\xa9\xff";
  std::mt19937 rng(20261130);  // fixed: the same texts on every run
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[static_cast<size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1 + rng() % 3);
          break;
      }
    }
    json_reader_expect_as_nlohmann(text);
    if (HasFatalFailure()) {
      return;
    }
  }
}

TEST(JsonReaderTest, RefusesNestingBeyondTheLimit) {
  Json out;
  EXPECT_TRUE(read_json("[[[1]]]", 3, out));
  EXPECT_FALSE(read_json("[[[[1]]]]", 3, out));
  EXPECT_TRUE(read_json(R"({"a":{"b":{}}})", 3, out));
  EXPECT_FALSE(read_json(R"({"a":{"b":{"c":[]}}})", 3, out));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(read_json(deep, kDefaultMaxJsonDepth, out));  // no stack overflow either
}

TEST(JsonReaderTest, ParseJsonGivesTheReadersValue) {
  auto parsed = parse_json(R"({"id":7,"n":-7,"f":7.0})");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE((*parsed)["id"].is_number_unsigned());
  EXPECT_TRUE((*parsed)["n"].is_number_integer() && !(*parsed)["n"].is_number_unsigned());
  EXPECT_TRUE((*parsed)["f"].is_number_float());
  auto bad = parse_json(R"({"id":7,})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Parse error: invalid JSON");
}

}  // namespace
}  // namespace mcpgate::mcp
