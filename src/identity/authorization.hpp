#pragma once
// The protocol pieces of an OIDC sign-in (authorization code flow, OIDC Core §3.1), as pure
// functions plus the pending-login table. RelyingParty (relying_party.hpp) strings them
// together; the login page (a later step) calls RelyingParty.
//
//   begin:    LoginStates::create -> authorization_url                 (browser -> provider)
//   callback: parse_callback_query -> LoginStates::take (single use)
//             -> check_callback_issuer (RFC 9207) -> `error`? -> token_request
//             -> (POST) -> parse_token_response -> ID token validation
//
// Pending logins: state = 256 random bits, taken on the first callback whatever its outcome,
// bound to the browser session that started it (a state value leaked or replayed into another
// browser is refused and burnt), expiring after the configured lifetime. Held in this process's
// memory: with several replicas the callback must reach the replica that began the login
// (sticky sessions) until pending logins move to the store.
//
// Nothing here logs; codes, tokens, secrets and client assertions never appear in an Error.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "identity/provider.hpp"

namespace mcpgate::identity {

struct PendingLogin {
  std::string browser_key;    // the browser session that began the login
  std::string nonce;          // OIDC Core §3.1.2.1, 256 random bits
  std::string code_verifier;  // PKCE (RFC 7636), S256
  std::string redirect_uri;
  std::optional<std::int64_t> max_age;
  std::string return_to;  // opaque to this module: where the login page continues afterwards
  std::int64_t expires_at = 0;
};

class LoginStates {
 public:
  static constexpr std::size_t kMaxPending = 100000;

  // Stores `pending` until now + ttl_seconds and returns its state value.
  std::string create(PendingLogin pending, std::int64_t now, std::int64_t ttl_seconds);

  // The pending login of `state`, removed whatever the outcome (single use). kNotFound when
  // unknown, already used or expired; kPermissionDenied when another browser session presents
  // it (or none).
  Result<PendingLogin> take(const std::string& state,
                            std::string_view browser_key,
                            std::int64_t now);

  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, PendingLogin> pending_;  // guarded by mu_
};

// A PKCE code verifier (32 random bytes, 43 base64url characters) and its S256 challenge.
std::string new_pkce_verifier();
std::string pkce_s256(std::string_view verifier);

struct AuthorizationRequest {
  std::string authorization_endpoint;
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::string state;
  std::string nonce;
  std::string code_challenge;  // S256
  std::string prompt;          // "" | none | login | consent | select_account (space-separated)
  std::string login_hint;      // home-realm discovery: the address the user typed
  std::optional<std::int64_t> max_age;
};

// The URL to send the browser to: response_type=code, client_id, redirect_uri, scope, state,
// nonce, code_challenge + code_challenge_method=S256, and prompt / login_hint / max_age when
// set, form-encoded and appended to the endpoint (which may carry a query of its own).
// kInvalidArgument for an unknown prompt value, a login_hint over 256 bytes or with control
// characters, a negative max_age.
Result<std::string> authorization_url(const AuthorizationRequest& request);

// The redirect back from the provider (OIDC Core §3.1.2.5/6, RFC 9207).
struct CallbackParams {
  std::optional<std::string> code;
  std::optional<std::string> state;
  std::optional<std::string> iss;
  std::optional<std::string> error;
  std::optional<std::string> error_description;
};

// Parses the query string (without '?') of the callback. A parameter given twice, a malformed
// %-escape or a query over 16 KiB is kInvalidArgument; unknown parameters are ignored.
Result<CallbackParams> parse_callback_query(std::string_view query);

// RFC 9207 §2.4: when the provider advertises authorization_response_iss_parameter_supported,
// `iss` must be present and equal its issuer; when it does not, an `iss` that is present must
// still be equal (a mismatch means the answer came from another provider: mix-up attack).
// kPermissionDenied otherwise.
Status check_callback_issuer(const CallbackParams& params, const ProviderMetadata& metadata);

// The `error` of an error response reduced to characters safe to show and log (RFC 6749
// §4.1.2.1 error codes are ASCII; anything else becomes '?'), at most 64 of them.
std::string sanitized_error_code(std::string_view error);

struct TokenRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // application/x-www-form-urlencoded; holds the code and credentials
};

// The authorization code exchange (OIDC Core §3.1.3.1) with the configured client
// authentication. For private_key_jwt: an RFC 7523 assertion (iss = sub = client_id, aud per
// ProviderConfig::assertion_audience, a unique jti, iat = now, exp = now + 60 s) signed with the
// configured key. kFailedPrecondition when the provider's metadata lists its supported auth
// methods (or assertion algorithms) and the configured one is not among them.
Result<TokenRequest> token_request(const ProviderConfig& config,
                                   const ProviderMetadata& metadata,
                                   std::string_view code,
                                   std::string_view code_verifier,
                                   std::string_view redirect_uri,
                                   std::int64_t now);

// RFC 7523 §3 client assertion (exposed for tests).
Result<std::string> client_assertion(const ProviderConfig& config,
                                     const ProviderMetadata& metadata,
                                     std::int64_t now);

struct TokenResponse {
  std::string id_token;
  std::string access_token;
  std::string token_type;
};

// 200 with a JSON object holding a string id_token (required: this is an OpenID sign-in) and
// access_token. A 4xx/5xx JSON error is kPermissionDenied naming its sanitized `error`; anything
// else is kUnavailable. The body is never quoted in an Error.
Result<TokenResponse> parse_token_response(unsigned status,
                                           std::string_view content_type,
                                           std::string_view body);

// application/x-www-form-urlencoded encoding of one name or value (RFC 3986 unreserved kept,
// everything else %XX).
std::string form_urlencode(std::string_view value);

}  // namespace mcpgate::identity
