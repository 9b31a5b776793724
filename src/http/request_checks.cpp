#include "http/request_checks.hpp"

#include "core/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

#include <boost/beast/http/error.hpp>

namespace mcpgate::http {

void apply_limits(RequestParser& parser, const ServerOptions& options) {
  constexpr size_t kMaxHeaderLimit = std::numeric_limits<std::uint32_t>::max();
  parser.header_limit(
      static_cast<std::uint32_t>(std::min(options.max_header_bytes, kMaxHeaderLimit)));
  parser.body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
}

RequestFailure check_head(const RequestParser& parser, const ServerOptions& options) {
  const auto& head = parser.get();
  const unsigned version = head.version();
  if (version != 10 && version != 11) {
    return RequestFailure::kVersionNotSupported;
  }
  // Beast marks the body chunked only when chunked is the last coding; any other
  // Transfer-Encoding would leave the body length to "until close", which a request cannot use.
  if (head.find(Field::transfer_encoding) != head.end() && (!parser.chunked() || version < 11)) {
    return RequestFailure::kBadRequest;
  }
  const auto hosts = head.count(Field::host);
  if (hosts > 1 || (version == 11 && hosts == 0)) {
    return RequestFailure::kBadRequest;
  }
  if (const auto length = parser.content_length(); length && *length > options.max_body_bytes) {
    return RequestFailure::kBodyTooLarge;
  }
  return RequestFailure::kNone;
}

namespace {

// True for "METHOD SP TARGET SP HTTP/d.d CRLF" with a version other than 1.0 and 1.1.
bool names_other_version(std::string_view received) {
  const auto eol = received.find("\r\n");
  if (eol == std::string_view::npos) {
    return false;
  }
  const std::string_view line = received.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1 || sp2 == sp1) {
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!std::all_of(method.begin(), method.end(), ascii::is_tchar)
      || target.find(' ') != std::string_view::npos || version.size() != 8
      || version.substr(0, 5) != "HTTP/"
      || std::isdigit(static_cast<unsigned char>(version[5])) == 0 || version[6] != '.'
      || std::isdigit(static_cast<unsigned char>(version[7])) == 0) {
    return false;
  }
  return version != "HTTP/1.0" && version != "HTTP/1.1";
}

}  // namespace

RequestFailure classify_read_error(const boost::system::error_code& ec, std::string_view received) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::end_of_stream).category()) {
    return RequestFailure::kNone;  // socket, TLS or timeout: no one to answer
  }
  switch (static_cast<bhttp::error>(ec.value())) {
    case bhttp::error::end_of_stream:
    case bhttp::error::partial_message:
      return RequestFailure::kNone;  // the peer closed before a whole request
    case bhttp::error::header_limit:
      return RequestFailure::kHeaderTooLarge;
    case bhttp::error::body_limit:
      return RequestFailure::kBodyTooLarge;
    case bhttp::error::bad_version:
      // Beast reports any request line it cannot split this way; only a well-formed line with
      // another version (an HTTP/2 preface, say) is "version not supported".
      return names_other_version(received) ? RequestFailure::kVersionNotSupported
                                           : RequestFailure::kBadRequest;
    default:
      return RequestFailure::kBadRequest;
  }
}

Response failure_response(RequestFailure failure) {
  switch (failure) {
    case RequestFailure::kBadRequest:
      return make_json_error(StatusCode::bad_request, "bad_request", "malformed HTTP request");
    case RequestFailure::kHeaderTooLarge:
      return make_json_error(StatusCode::request_header_fields_too_large,
                             "header_too_large",
                             "request head exceeds the size limit");
    case RequestFailure::kBodyTooLarge:
      return make_json_error(
          StatusCode::payload_too_large, "body_too_large", "request body exceeds the size limit");
    case RequestFailure::kVersionNotSupported:
      return make_json_error(StatusCode::http_version_not_supported,
                             "version_not_supported",
                             "only HTTP/1.0 and HTTP/1.1 are served");
    case RequestFailure::kNone:
      break;
  }
  return make_json_error(StatusCode::internal_server_error, "internal_error", "internal error");
}

}  // namespace mcpgate::http
