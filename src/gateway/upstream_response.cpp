#include "gateway/upstream_response.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace mcpgate::gateway {

namespace bhttp = boost::beast::http;

void UpstreamResponseParser::on_response_impl(int code, std::string_view, int, error_code&) {
  status_ = static_cast<unsigned>(code);
}

void UpstreamResponseParser::on_field_impl(bhttp::field name,
                                           std::string_view name_text,
                                           std::string_view value,
                                           error_code&) {
  // Only the first of each counts, as a lookup in a fields container would find it.
  if (name == bhttp::field::content_type) {
    if (!content_type_seen_) {
      content_type_seen_ = true;
      json_ = value.substr(0, 16) == "application/json";
      event_stream_ = value.substr(0, 17) == "text/event-stream";
    }
  } else if (name == bhttp::field::www_authenticate) {
    if (!challenge_seen_) {
      challenge_seen_ = true;
      resource_metadata_ = value.find("resource_metadata") != std::string_view::npos;
    }
  } else if (name == bhttp::field::unknown && !session_id_
             && ascii::iequals(name_text, "Mcp-Session-Id")) {
    session_id_.emplace(value);
  }
}

void UpstreamResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& length,
                                               error_code&) {
  // The announced length is the peer's word: reserve no more than a typical answer ahead.
  constexpr std::uint64_t kMaxReserve = 64 * 1024;
  if (length) {
    body_.reserve(static_cast<std::size_t>(std::min(*length, kMaxReserve)));
  }
}

std::size_t UpstreamResponseParser::on_body_impl(std::string_view data, error_code&) {
  body_.append(data);
  return data.size();
}

}  // namespace mcpgate::gateway
