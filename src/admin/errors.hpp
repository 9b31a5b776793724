#pragma once
// The one place where an Admin API failure becomes a response (issue 9): every error leaves as
// {"error": "<code>", "error_description": "<message>"} (the gate's JSON error shape, also the
// OpenAPI document's Error schema) with no-store caching.
//
//   400 invalid_request     malformed input (ids, query, JSON body)
//   401 invalid_token       no or a bad access token (WWW-Authenticate from the bearer guard)
//   403 insufficient_scope  the token lacks admin:read / admin:write (WWW-Authenticate names it)
//   403 forbidden           the caller lacks the operation's permission in their organization
//   404 not_found           no such route, or no such object in the caller's organization
//   405 method_not_allowed  (Allow lists the path's methods)
//   409 conflict            the operation contradicts the current state
//   413 payload_too_large   415 unsupported_media_type
//   503 unavailable         the store does not answer (retry)
//   500 internal_error      anything else; the message is never shown
//
// Store and service failures arrive as Error values; their ErrorCode picks the status.
// kInternal's message stays in the log.

#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "http/message.hpp"

namespace mcpgate::admin {

// An Error that must leave with a given status and code (transport errors: 405, 413, 415 and
// the 401/403 challenges). `www_authenticate`/`allow` are set on the response when non-empty.
struct HttpErrorDetail final : ErrorDetail {
  HttpErrorDetail(int s, std::string c) : status(s), code(std::move(c)) {}
  int status;
  std::string code;
  std::string www_authenticate;
  std::string allow;
};

Error http_error(int status, std::string code, std::string message);
// The same with a header to set.
Error http_error_with_challenge(int status, std::string code, std::string message,
                                std::string www_authenticate);
Error method_not_allowed(std::string allow);

http::Response admin_error_response(const Error& error);

// The status an error leaves with (for the audit line).
int admin_error_status(const Error& error);

}  // namespace mcpgate::admin
