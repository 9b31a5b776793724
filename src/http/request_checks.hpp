#pragma once
// What the server accepts as a request, apart from the socket: the parser limits, the checks on a
// parsed head that Beast leaves to the server, and the answer to each kind of bad request. The
// server's connections use exactly these; so does fuzz/http_request_fuzzer.cpp.

#include <string_view>

#include <boost/beast/http/parser.hpp>
#include <boost/system/error_code.hpp>

#include "http/message.hpp"
#include "http/server_options.hpp"

namespace mcpgate::http {

using RequestParser = bhttp::request_parser<bhttp::string_body>;

// Why a request is refused; each maps to one status (see failure_response).
enum class RequestFailure {
  kNone,                 // acceptable (or, from classify_parse_error: the peer left, just close)
  kBadRequest,           // 400: malformed, ambiguous framing, missing or repeated Host
  kHeaderTooLarge,       // 431: request line + fields over max_header_bytes
  kBodyTooLarge,         // 413: body (announced or received) over max_body_bytes
  kVersionNotSupported,  // 505: not HTTP/1.0 or HTTP/1.1 (also a request line with no version)
};

// Sets the head and body size limits of `parser` from `options`.
void apply_limits(RequestParser& parser, const ServerOptions& options);

// Checks a head the parser accepted (call once parser.is_header_done()):
//   * the version is 1.0 or 1.1;
//   * the body length is unambiguous: a Transfer-Encoding must end in chunked and needs
//     HTTP/1.1 (RFC 9112 §6.1, §6.3), otherwise the bytes after the head could be read as a
//     second, smuggled request;
//   * exactly one Host field in HTTP/1.1, at most one in HTTP/1.0 (RFC 9112 §3.2);
//   * an announced Content-Length within max_body_bytes.
RequestFailure check_head(const RequestParser& parser, const ServerOptions& options);

// Maps an error from reading a request to the answer owed: kNone when there is nothing to answer
// (the peer closed, a timeout, an I/O error), otherwise the failure to report. `received` is the
// unparsed input (it tells an unsupported version from a malformed request line).
RequestFailure classify_read_error(const boost::system::error_code& ec,
                                   std::string_view received = {});

// The JSON error response for a failure (kNone gives a 500: it is never meant to be sent).
Response failure_response(RequestFailure failure);

}  // namespace mcpgate::http
