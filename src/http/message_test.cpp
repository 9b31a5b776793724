#include "http/message.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/server.hpp"

namespace mcpgate::http {
namespace {

TEST(MessageTest, MakeResponseSetsStatusTypeAndBody) {
  const Response res = make_response(StatusCode::created, "hello", "text/plain");
  EXPECT_EQ(res.result(), StatusCode::created);
  EXPECT_EQ(res.version(), 11u);
  EXPECT_EQ(res[Field::content_type], "text/plain");
  EXPECT_EQ(res.body(), "hello");
}

TEST(MessageTest, JsonErrorIsEscapedJsonAndNotCached) {
  const Response res =
      make_json_error(StatusCode::bad_request, "invalid_request", "quote \" and \\ and \n");
  EXPECT_EQ(res.result(), StatusCode::bad_request);
  EXPECT_EQ(res[Field::content_type], "application/json");
  EXPECT_EQ(res[Field::cache_control], "no-store");
  const auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["error"], "invalid_request");
  EXPECT_EQ(body["error_description"], "quote \" and \\ and \n");
}

TEST(MessageTest, JsonErrorSurvivesInvalidUtf8) {
  const Response res = make_json_error(StatusCode::bad_request, "bad\xff", "value \xc3\x28 here");
  const auto body = nlohmann::json::parse(res.body());
  EXPECT_EQ(body["error"], "bad\xef\xbf\xbd");
  EXPECT_EQ(body["error_description"], "value \xef\xbf\xbd( here");
}

TEST(MessageTest, HeaderLookupIsCaseInsensitiveAndEmptyWhenAbsent) {
  Request req;
  req.set("Mcp-Session-Id", "abc");
  EXPECT_EQ(header(req, "mcp-session-id"), "abc");
  EXPECT_EQ(header(req, "MCP-SESSION-ID"), "abc");
  EXPECT_EQ(header(req, "Authorization"), "");
  EXPECT_TRUE(header(req, "Authorization").empty());
}

TEST(LoopbackHostTest, RecognisesLoopbackOnly) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("example.com"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host(""));
}

}  // namespace
}  // namespace mcpgate::http
