#include "gateway/sse_parser.hpp"

#include <gtest/gtest.h>

namespace mcpgate::gateway {
namespace {

std::vector<SseEvent> parse_in_chunks(std::string_view input, std::size_t chunk) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    EXPECT_TRUE(parser.feed(input.substr(i, chunk), out).ok());
  }
  return out;
}

TEST(SseParserTest, DataLinesJoinAndIdsCarryOver) {
  const std::string stream =
      "id: 1\ndata: {\"a\":\ndata: 1}\n\n: keep-alive\n\nevent: note\ndata: x\n\n";
  for (std::size_t chunk : {1, 2, 3, 7, 100}) {
    auto events = parse_in_chunks(stream, chunk);
    ASSERT_EQ(events.size(), 2u) << chunk;
    EXPECT_EQ(events[0].data, "{\"a\":\n1}");
    EXPECT_EQ(events[0].event, "message");
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[1].event, "note");
    EXPECT_EQ(events[1].id, "1");  // the last event id persists
  }
}

TEST(SseParserTest, CrLfSplitAcrossChunksAndBomAtStart) {
  const std::string stream = "\xEF\xBB\xBF" "data: a\r\n\r\nretry: 250\r\nid: 9\r\ndata:\r\n\r\n";
  for (std::size_t chunk : {1, 2, 5, 64}) {
    auto events = parse_in_chunks(stream, chunk);
    ASSERT_EQ(events.size(), 2u) << chunk;
    EXPECT_EQ(events[0].data, "a");
    EXPECT_EQ(events[1].data, "");  // a priming event: id only
    EXPECT_EQ(events[1].id, "9");
    EXPECT_EQ(events[1].retry_ms, 250);
  }
}

TEST(SseParserTest, UnterminatedEventIsNotDispatched) {
  SseParser parser;
  std::vector<SseEvent> out;
  ASSERT_TRUE(parser.feed("data: half", out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(parser.feed("\n", out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(parser.feed("\n", out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "half");
}

TEST(SseParserTest, OversizedLineOrEventFailsAndStaysFailed) {
  SseParser parser(16);
  std::vector<SseEvent> out;
  EXPECT_EQ(parser.feed(std::string(40, 'x'), out).error().code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(parser.feed("data: ok\n\n", out).ok());
  EXPECT_TRUE(out.empty());

  SseParser events(16);
  EXPECT_TRUE(events.feed("data: 0123456\n", out).ok());
  const auto over = events.feed("data: 01234567\n", out);  // 8 + 9 bytes of data > 16
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kResourceExhausted);

  SseParser whole_line(16);
  EXPECT_FALSE(whole_line.feed("event: " + std::string(30, 'e') + "\n", out).ok());
}

TEST(SseParserTest, BadRetryIsIgnored) {
  auto events = parse_in_chunks("retry: 12x\ndata: a\n\n", 3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].retry_ms.has_value());
}

}  // namespace
}  // namespace mcpgate::gateway
