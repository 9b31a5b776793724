// The upstream response parser (gateway/upstream_response.hpp): what it keeps from well-formed
// answers, split at every byte, and that hostile framing fails as Beast's parser fails it.

#include "gateway/upstream_response.hpp"

#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

namespace mcpgate::gateway {
namespace {

namespace bhttp = boost::beast::http;
using boost::beast::error_code;

// Feeds `input` to `parser` in pieces of `chunk` bytes (keeping what a put() left unconsumed, as
// a read buffer does), then the end of input. Returns the first error.
error_code feed(UpstreamResponseParser& parser, std::string_view input, std::size_t chunk) {
  parser.eager(true);
  std::string pending;
  error_code ec;
  for (std::size_t i = 0; i < input.size() && !parser.is_done(); i += chunk) {
    pending.append(input.substr(i, chunk));
    const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == bhttp::error::need_more) {
      ec = {};
    }
    if (ec) {
      return ec;
    }
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
  }
  return ec;
}

constexpr std::string_view kJsonAnswer =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "mcp-session-id: s-1\r\n"
    "Mcp-Session-Id: s-2\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Length: 28\r\n"
    "\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"r\"}";

TEST(UpstreamResponseParserTest, KeepsStatusTypeFirstSessionIdAndBodyWhateverTheSplit) {
  for (std::size_t chunk = 1; chunk <= kJsonAnswer.size(); ++chunk) {
    UpstreamResponseParser parser;
    ASSERT_FALSE(feed(parser, kJsonAnswer, chunk)) << chunk;
    ASSERT_TRUE(parser.is_done()) << chunk;
    EXPECT_EQ(parser.status(), 200u);
    EXPECT_TRUE(parser.json());
    EXPECT_FALSE(parser.event_stream());
    ASSERT_TRUE(parser.session_id().has_value());
    EXPECT_EQ(*parser.session_id(), "s-1");  // the first one, as a fields lookup finds it
    EXPECT_FALSE(parser.resource_metadata_challenge());
    EXPECT_EQ(parser.body(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"r\"}");
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(UpstreamResponseParserTest, ChunkedEventStreamBodyIsJoined) {
  const std::string_view answer =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\ndata: \r\n3\r\n{}\n\r\n1\r\n\n\r\n0\r\n\r\n";
  for (std::size_t chunk : {1, 2, 5, 1000}) {
    UpstreamResponseParser parser;
    ASSERT_FALSE(feed(parser, answer, chunk)) << chunk;
    EXPECT_TRUE(parser.event_stream());
    EXPECT_FALSE(parser.json());
    EXPECT_FALSE(parser.session_id().has_value());
    EXPECT_EQ(parser.body(), "data: {}\n\n");
  }
}

TEST(UpstreamResponseParserTest, OnlyTheFirstContentTypeAndChallengeCount) {
  const std::string_view answer =
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n"
      "Content-Type: application/json\r\n"
      "WWW-Authenticate: Bearer resource_metadata=\"https://u/.well-known/x\"\r\n"
      "WWW-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n";
  UpstreamResponseParser parser;
  ASSERT_FALSE(feed(parser, answer, 1000));
  EXPECT_EQ(parser.status(), 401u);
  EXPECT_FALSE(parser.json());
  EXPECT_TRUE(parser.resource_metadata_challenge());
  EXPECT_TRUE(parser.body().empty());
}

TEST(UpstreamResponseParserTest, TypesAreMatchedAsSentNotFolded) {
  UpstreamResponseParser parser;
  ASSERT_FALSE(feed(
      parser, "HTTP/1.1 200 OK\r\nContent-Type: Application/JSON\r\nContent-Length: 0\r\n\r\n", 9));
  EXPECT_FALSE(parser.json());  // as the gateway has always compared it
}

TEST(UpstreamResponseParserTest, ConnectionCloseAndReadToEndAreNotKeptAlive) {
  UpstreamResponseParser closing;
  ASSERT_FALSE(
      feed(closing, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", 4));
  EXPECT_FALSE(closing.keep_alive());
  UpstreamResponseParser to_eof;
  ASSERT_FALSE(feed(to_eof, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", 4));
  EXPECT_TRUE(to_eof.is_done());
  EXPECT_EQ(to_eof.body(), "{}");
  EXPECT_FALSE(to_eof.keep_alive());
}

TEST(UpstreamResponseParserTest, HostileFramingFails) {
  const std::string_view hostile[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}}",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n",
      "garbage\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  // cut short
  };
  for (std::string_view input : hostile) {
    UpstreamResponseParser parser;
    EXPECT_TRUE(feed(parser, input, 3)) << input;
  }
}

TEST(UpstreamResponseParserTest, HeadAndBodyLimitsHold) {
  UpstreamResponseParser head;
  head.header_limit(64);
  const std::string big_head =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100, 'a') + "\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(feed(head, big_head, 16), bhttp::error::header_limit);

  UpstreamResponseParser body;
  body.body_limit(8);
  const std::string big_body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n"
                               + std::string(16, 'x') + "\r\n0\r\n\r\n";
  EXPECT_EQ(feed(body, big_body, 7), bhttp::error::body_limit);
  EXPECT_LE(body.body().size(), 8u);
}

}  // namespace
}  // namespace mcpgate::gateway
