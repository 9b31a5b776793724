#include "http/request_checks.hpp"

#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <gtest/gtest.h>

#include "http/asio.hpp"

namespace mcpgate::http {
namespace {

namespace beast = boost::beast;

ServerOptions small_limits() {
  ServerOptions o;
  o.max_header_bytes = 256;
  o.max_body_bytes = 16;
  return o;
}

// Reads one request from `wire` the way a connection does (head, checks, body) and returns
// what the server would answer; kNone means the request is served.
RequestFailure evaluate(std::string_view wire, const ServerOptions& options = small_limits()) {
  asio::io_context ioc;
  beast::test::stream in(ioc, wire);
  in.close_remote();  // eof after the data
  beast::flat_buffer buffer;
  RequestParser parser;
  apply_limits(parser, options);
  beast::error_code ec;
  bhttp::read_header(in, buffer, parser, ec);
  if (ec) {
    const auto data = buffer.cdata();
    return classify_read_error(ec, {static_cast<const char*>(data.data()), data.size()});
  }
  if (const RequestFailure f = check_head(parser, options); f != RequestFailure::kNone) {
    return f;
  }
  bhttp::read(in, buffer, parser, ec);
  if (ec) {
    return classify_read_error(ec);
  }
  return RequestFailure::kNone;
}

TEST(RequestChecksTest, AcceptsOrdinaryRequests) {
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), RequestFailure::kNone);
  EXPECT_EQ(evaluate("GET / HTTP/1.0\r\n\r\n"), RequestFailure::kNone);
  EXPECT_EQ(evaluate("POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n0123456789abcdef"),
            RequestFailure::kNone);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "4\r\nabcd\r\n0\r\n\r\n"),
            RequestFailure::kNone);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                     "0\r\n\r\n"),
            RequestFailure::kNone);
}

TEST(RequestChecksTest, BodyOverLimitIs413) {
  // Announced: refused from the head alone.
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n"),
            RequestFailure::kBodyTooLarge);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999\r\n\r\n"),
            RequestFailure::kBodyTooLarge);
  // Chunked: refused once the chunks add up past the limit.
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n"),
            RequestFailure::kBodyTooLarge);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "ffffffffffff\r\n"),
            RequestFailure::kBodyTooLarge);
}

TEST(RequestChecksTest, HeadOverLimitIs431) {
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(300, 'x') + "\r\n\r\n"),
            RequestFailure::kHeaderTooLarge);
}

TEST(RequestChecksTest, MalformedRequestsAre400) {
  for (const char* wire : {
           "GARBAGE\r\n\r\n",
           "GET / HTTP/1.1\r\nBad Field\r\n\r\n",
           "GET /\r\n\r\n",
           "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       }) {
    EXPECT_EQ(evaluate(wire), RequestFailure::kBadRequest) << wire;
  }
}

TEST(RequestChecksTest, AmbiguousFramingIs400) {
  EXPECT_EQ(
      evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nGET / HTTP/1.1\r\n"),
      RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            RequestFailure::kBadRequest);
}

TEST(RequestChecksTest, HostRules) {
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\n\r\n"), RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("GET / HTTP/1.0\r\nHost: a\r\n\r\n"), RequestFailure::kNone);
}

TEST(RequestChecksTest, OtherVersionsAre505) {
  EXPECT_EQ(evaluate("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), RequestFailure::kVersionNotSupported);
  EXPECT_EQ(evaluate("GET / HTTP/0.9\r\n\r\n"), RequestFailure::kVersionNotSupported);
  EXPECT_EQ(evaluate("GET / HTTP/3.7\r\nHost: a\r\n\r\n"), RequestFailure::kVersionNotSupported);
  EXPECT_EQ(evaluate("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), RequestFailure::kBadRequest);
  EXPECT_EQ(evaluate("GET / HTTPS/1.1\r\nHost: a\r\n\r\n"), RequestFailure::kBadRequest);
}

TEST(RequestChecksTest, PeerLeavingIsNotAnswered) {
  EXPECT_EQ(evaluate(""), RequestFailure::kNone);
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\nHost"), RequestFailure::kNone);
  EXPECT_EQ(evaluate("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"),
            RequestFailure::kNone);
  EXPECT_EQ(classify_read_error(asio::error::connection_reset), RequestFailure::kNone);
  EXPECT_EQ(classify_read_error(beast::error::timeout), RequestFailure::kNone);
}

TEST(RequestChecksTest, FailureResponses) {
  struct Case {
    RequestFailure failure;
    StatusCode status;
    const char* code;
  };

  for (const Case& c :
       {Case{RequestFailure::kBadRequest, StatusCode::bad_request, "bad_request"},
        Case{RequestFailure::kHeaderTooLarge,
             StatusCode::request_header_fields_too_large,
             "header_too_large"},
        Case{RequestFailure::kBodyTooLarge, StatusCode::payload_too_large, "body_too_large"},
        Case{RequestFailure::kVersionNotSupported,
             StatusCode::http_version_not_supported,
             "version_not_supported"},
        Case{RequestFailure::kNone, StatusCode::internal_server_error, "internal_error"}}) {
    const Response res = failure_response(c.failure);
    EXPECT_EQ(res.result(), c.status);
    EXPECT_EQ(res[Field::content_type], "application/json");
    EXPECT_EQ(res[Field::cache_control], "no-store");
    EXPECT_NE(res.body().find(std::string("\"") + c.code + "\""), std::string::npos) << res.body();
  }
}

TEST(RequestChecksTest, HugeHeaderLimitIsClamped) {
  ServerOptions o;
  o.max_header_bytes = static_cast<size_t>(1) << 40;  // more than the parser's 32-bit limit
  EXPECT_EQ(evaluate("GET / HTTP/1.1\r\nHost: a\r\n\r\n", o), RequestFailure::kNone);
}

}  // namespace
}  // namespace mcpgate::http
