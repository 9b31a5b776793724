#pragma once
// The protocol half of the connect flow (issue 6 item 3): the gate as the OAuth client of a
// SaaS provider, per user. Pure functions plus the pending-state table; the HTTP pages that use
// them are app/connect_routes.*.
//
//   GET /connect/<id>      ConnectStates::create() -> authorize_url()          (302 to provider)
//   GET /connect/callback  ConnectStates::take() -> check_issuer() -> token_request()
//                          -> (send) -> parse_token_response() -> vault
//   disconnect             revocation_requests() (RFC 7009: refresh token first, then access)
//
// State: 256 random bits, single use (taken on the first callback whatever its outcome), bound
// to the gate browser session and user that started it, 10 minutes. Kept in this process's
// memory: with several replicas the callback must reach the replica that started the flow
// (sticky sessions) until the state moves to the store.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/connection_vars.hpp"
#include "connectors/connector.hpp"
#include "connectors/request_builder.hpp"
#include "core/result.hpp"

namespace mcpgate::connectors {

// The gate's registration at the provider (from the `connectors:` configuration).
struct ClientCredentials {
  std::string client_id;
  std::string client_secret;  // "" for client_auth: none
};

struct PendingConnect {
  std::string connector;
  std::string user_id;
  std::string browser_key;    // the gate session that started the flow
  std::string code_verifier;  // PKCE (RFC 7636), S256
  std::int64_t expires_at = 0;
};

class ConnectStates {
 public:
  static constexpr std::int64_t kTtlSeconds = 600;
  static constexpr std::size_t kMaxPending = 100000;

  // Stores `pending` (expiry set here) and returns its state value.
  std::string create(PendingConnect pending, std::int64_t now);
  // The pending flow of `state`, removed whatever the outcome (single use). kNotFound when
  // unknown, used or expired; kPermissionDenied when another browser session presents it.
  Result<PendingConnect> take(const std::string& state, std::string_view browser_key,
                              std::int64_t now);
  std::size_t size() const;

 private:
  void purge_locked(std::int64_t now);

  mutable std::mutex mu_;
  std::unordered_map<std::string, PendingConnect> pending_;
};

// A PKCE verifier (43 base64url characters) and its S256 challenge.
std::string new_code_verifier();
std::string s256_challenge(std::string_view verifier);

struct AuthorizeParams {
  std::string redirect_uri;
  std::string state;
  std::string code_challenge;  // "" when the provider does not support PKCE
  std::string resource;        // sent only when the connector declares RFC 8707 support
};
std::string authorize_url(const ConnectorDef& def, const ClientCredentials& client,
                          const AuthorizeParams& params);

// RFC 9207: with a declared issuer the callback's `iss` must be present and equal to it.
Status check_issuer(const ConnectorDef& def, const std::optional<std::string>& iss);

// The authorization-code exchange (RFC 6749 §4.1.3), client authentication per definition.
HttpRequest token_request(const ConnectorDef& def, const ClientCredentials& client,
                          std::string_view code, std::string_view code_verifier,
                          std::string_view redirect_uri, std::string_view resource);

struct TokenResponse {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_at = 0;  // 0 = unknown
  std::string scopes;
  ConnectionVars connection_vars;  // every declared one (connection_vars.hpp)
};

// kUnavailable for a provider error (its `error` code in the message, never its body
// otherwise), kInvalidArgument for a malformed answer, or one without a declared connection
// variable or with one that fails its checks (a base URL off api.hosts).
Result<TokenResponse> parse_token_response(const ConnectorDef& def, int status,
                                           std::string_view content_type, std::string_view body,
                                           std::int64_t now);

// RFC 7009 requests for a disconnect: the refresh token (revokes the grant at most providers),
// then the access token. Empty when the provider has no revocation endpoint.
std::vector<HttpRequest> revocation_requests(const ConnectorDef& def,
                                             const ClientCredentials& client,
                                             std::string_view refresh_token,
                                             std::string_view access_token);

}  // namespace mcpgate::connectors
