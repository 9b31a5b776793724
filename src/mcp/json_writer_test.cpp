// dump_json() (mcp/json_writer) must write what nlohmann's compact dump writes, byte for byte.
#include "mcp/json_writer.hpp"

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mcp/json_io.hpp"

namespace mcpgate::mcp {
namespace {

void json_writer_expect_as_nlohmann(const Json& value) {
  EXPECT_EQ(dump_json(value), value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

TEST(JsonWriterTest, WritesWhatNlohmannWrites) {
  const std::vector<Json> values = {
      nullptr,
      true,
      false,
      0,
      -1,
      1u,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(),
      0.0,
      -0.0,
      1.5,
      1e300,
      -2.5e-308,
      0.1,
      1.0,
      100.0,
      1e21,
      123456789.125,
      std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::denorm_min(),
      "",
      "plain",
      "quote\" backslash\\ slash/",
      std::string("nul\0inside", 10),
      "\b\f\n\r\t\x01\x1f\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "bad \xc3\x28 utf8",
      "\xff\xfe",
      "truncated \xe2\x82",
      "surrogate \xed\xa0\x80",
      "overlong \xc0\xaf",
      Json::array(),
      Json::object(),
      Json::array({1, "a", nullptr}),
      Json{{"b", 1}, {"a", {{"z", Json::array({1.5, false})}}}, {"\n key", "v"}},
      Json{{"bad\xc3", "key"}},
      Json::binary({1, 2, 3}),
  };
  for (const auto& v : values) {
    SCOPED_TRACE(v.dump(-1, ' ', true, Json::error_handler_t::replace));
    json_writer_expect_as_nlohmann(v);
  }
}

// The writer skips string bytes eight at a time: every byte that needs an escape must be found
// wherever it sits relative to those words; non-ASCII and invalid UTF-8 at every offset too.
TEST(JsonWriterTest, BytesThatNeedAnEscapeAreFoundAtEveryOffset) {
  const std::vector<std::string> specials = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f",
                                             "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "\xc3"};
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const std::string& special : specials) {
        const std::string text = std::string(at, 'a') + special + std::string(length - at, 'b');
        json_writer_expect_as_nlohmann(Json(text));
        json_writer_expect_as_nlohmann(Json{{text, text + text}});
      }
    }
  }
}

TEST(JsonWriterTest, RandomDocumentsMatchNlohmann) {
  std::mt19937_64 rng(20261130);  // fixed: the same documents on every run
  const auto random_string = [&] {
    std::string s;
    const size_t n = rng() % 12;
    for (size_t i = 0; i < n; ++i) {
      s += static_cast<char>(rng() % 256);  // any byte: controls, quotes, broken UTF-8
    }
    return s;
  };
  std::function<Json(int)> random_value = [&](int depth) -> Json {
    switch (rng() % (depth > 3 ? 6 : 8)) {
      case 0:
        return nullptr;
      case 1:
        return rng() % 2 == 0;
      case 2:
        return static_cast<std::int64_t>(rng());
      case 3:
        return static_cast<std::uint64_t>(rng());
      case 4: {
        double d = 0;
        const std::uint64_t bits = rng();
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      case 5:
        return random_string();
      case 6: {
        Json a = Json::array();
        for (size_t i = rng() % 4; i > 0; --i) {
          a.push_back(random_value(depth + 1));
        }
        return a;
      }
      default: {
        Json o = Json::object();
        for (size_t i = rng() % 4; i > 0; --i) {
          o[random_string()] = random_value(depth + 1);
        }
        return o;
      }
    }
  };
  for (int i = 0; i < 5000; ++i) {
    const Json v = random_value(0);
    json_writer_expect_as_nlohmann(v);
    if (HasFailure()) {
      return;
    }
  }
}

}  // namespace
}  // namespace mcpgate::mcp
