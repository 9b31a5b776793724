#pragma once
// The parser of an upstream's HTTP response (HttpUpstream::post_once): Beast's HTTP/1.1 parser
// for the syntax, framing (Content-Length, chunked, read-to-close), limits and keep-alive, keeping
// only what the gateway reads — the status, whether the body is JSON or an event stream, the
// first Mcp-Session-Id, whether a WWW-Authenticate names resource metadata, and the body —
// instead of a fields container that allocates an element per header line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

namespace mcpgate::gateway {

class UpstreamResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  unsigned status() const { return status_; }

  // Content-Type starts with application/json, or with text/event-stream (case as sent).
  bool json() const { return json_; }

  bool event_stream() const { return event_stream_; }

  // The first Mcp-Session-Id field, if any.
  const std::optional<std::string>& session_id() const { return session_id_; }

  // The first WWW-Authenticate field names `resource_metadata` (an OAuth protected resource).
  bool resource_metadata_challenge() const { return resource_metadata_; }

  // The body read so far; an event stream's reader takes from it as it goes.
  std::string& body() { return body_; }

 private:
  using error_code = boost::beast::error_code;

  void on_request_impl(
      boost::beast::http::verb, std::string_view, std::string_view, int, error_code&) override {}

  void on_response_impl(int code, std::string_view, int, error_code&) override;
  void on_field_impl(boost::beast::http::field name,
                     std::string_view name_text,
                     std::string_view value,
                     error_code&) override;

  void on_header_impl(error_code&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override;
  std::size_t on_body_impl(std::string_view data, error_code&) override;

  void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view data, error_code& ec) override {
    return on_body_impl(data, ec);
  }

  void on_finish_impl(error_code&) override {}

  unsigned status_ = 0;
  bool json_ = false;
  bool event_stream_ = false;
  bool content_type_seen_ = false;
  bool resource_metadata_ = false;
  bool challenge_seen_ = false;
  std::optional<std::string> session_id_;
  std::string body_;
};

}  // namespace mcpgate::gateway
