#pragma once
// THE place where the authorization server's failures become wire responses:
//  * JSON error bodies for the token, introspection, revocation and registration endpoints
//    (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7592, RFC 6750 §3 for registration tokens);
//  * error redirects from /authorize once the redirect URI is trusted (RFC 6749 §4.1.2.1, with
//    RFC 9207 `iss`);
//  * HTML error pages when it is not (never a redirect: RFC 9700 §4.11.2, ATTACKS rows 1, 2).
// Internal errors (store, crypto) are mapped here too: their messages go to the log only, the
// client sees a fixed description.
//
// HTTP statuses: invalid_client and invalid_token 401 (+ WWW-Authenticate), server_error 500,
// temporarily_unavailable 503, rate limits 429 (+ Retry-After), everything else 400.
// JSON errors always carry Cache-Control: no-store and Pragma: no-cache.
//
// Thread-safe (pure functions).

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/result.hpp"
#include "http/message.hpp"

namespace mcpgate::oauth {

enum class OAuthErrorCode {
  kInvalidRequest,
  kInvalidClient,
  kInvalidGrant,
  kUnauthorizedClient,
  kUnsupportedGrantType,
  kInvalidScope,
  kInvalidTarget,            // RFC 8707
  kAccessDenied,
  kUnsupportedResponseType,
  kServerError,
  kTemporarilyUnavailable,
  kLoginRequired,            // OIDC prompt=none
  kConsentRequired,          // OIDC prompt=none
  kInvalidRedirectUri,       // RFC 7591
  kInvalidClientMetadata,    // RFC 7591
  kUnapprovedSoftwareStatement,  // RFC 7591
  kInvalidToken,             // RFC 6750 (RFC 7592 registration access token)
  kUnsupportedTokenType,     // RFC 7009
  kRateLimited,              // wire name "temporarily_unavailable", HTTP 429
};

// The RFC wire name ("invalid_request", ...).
std::string_view oauth_error_name(OAuthErrorCode code);

struct OAuthError {
  OAuthErrorCode code = OAuthErrorCode::kServerError;
  std::string description;  // shown to the client: never internal details or secrets
  int retry_after_s = 0;    // kRateLimited / kTemporarilyUnavailable: Retry-After
};

inline OAuthError oauth_error(OAuthErrorCode code, std::string description) {
  return OAuthError{code, std::move(description), 0};
}

// A value or the OAuth error to answer with (Result<T> carries internal errors; this carries
// client-facing ones).
template <class T>
class [[nodiscard]] OAuthResult {
 public:
  OAuthResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  OAuthResult(OAuthError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const OAuthError& error() const { return std::get<1>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OAuthError> v_;
};

// An internal failure (store, crypto, outbound fetch) as seen by a client: kUnavailable and
// kDeadlineExceeded -> temporarily_unavailable, everything else -> server_error. Logs `error`
// with `event` (the message never contains secrets by the store/crypto contracts).
OAuthError internal_error(std::string_view event, const Error& error);

// The HTTP status for a JSON error.
http::StatusCode error_status(const OAuthError& error);

// A JSON error response {"error", "error_description"?} with the headers above.
http::Response json_error(const OAuthError& error);

// The authorization error redirect: redirect_uri?error=..&error_description=..&state=..&iss=..
// (state only when the request had one). `status` is 302 after a GET, 303 after a POST.
http::Response error_redirect(std::string_view redirect_uri, const OAuthError& error,
                              std::string_view state, std::string_view issuer,
                              http::StatusCode status = http::StatusCode::found);

// The successful authorization response: redirect_uri?code=..&state=..&iss=..
http::Response code_redirect(std::string_view redirect_uri, std::string_view code,
                             std::string_view state, std::string_view issuer,
                             http::StatusCode status);

// An HTML error page (no redirect). `message` is shown to the user.
http::Response error_page(http::StatusCode status, std::string_view title, std::string_view message);

}  // namespace mcpgate::oauth
