#pragma once
// The refresh_token grant against a connector's token endpoint (RFC 6749 §6): the request
// (client authentication per the definition, RFC 8707 `resource` where supported) and the
// reading of the answer, including the providers' quirks (form-encoded answers, no
// expires_in, refresh tokens that are not rotated). Building and parsing are pure; the runtime
// sends the request with its HttpClient.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "connectors/connection_vars.hpp"
#include "connectors/connector.hpp"
#include "core/result.hpp"
#include "http/client.hpp"

namespace mcpgate::connectors {

// The gate's OAuth client at one provider (from the operator's configuration).
struct ConnectorCredentials {
  std::string client_id;
  std::string client_secret;  // "" for client_auth: none
  // The RFC 8707 `resource` the connect flow asked for (configuration may override the
  // default). Refresh grants must send the same value, or the provider refuses them
  // (invalid_target). nullopt: token_resource(connector).
  std::optional<std::string> resource;
};

// The `resource` (RFC 8707) the gate asks tokens for: the connector's first API host as an
// origin ("https://api.example.com"), or "" when the connector does not support the parameter
// or its first host is a wildcard. The connect flow must send the same value.
std::string token_resource(const ConnectorDef& connector);

// POST token_url, application/x-www-form-urlencoded, Accept: application/json.
http::ClientRequest refresh_token_request(const ConnectorDef& connector,
                                          const ConnectorCredentials& credentials,
                                          std::string_view refresh_token);

struct RefreshedTokens {
  std::string access_token;
  std::optional<std::string> refresh_token;  // nullopt: not rotated, keep the stored one
  std::optional<std::int64_t> expires_in;    // nullopt: the provider did not say
  std::optional<std::string> scope;
  ConnectionVars connection_vars;  // the declared ones the answer carried (the others: keep)
};

enum class RefreshFailure {
  kInvalidGrant,   // the refresh token is dead (revoked, expired, reused): the user reconnects
  kInvalidClient,  // the gate's own credentials were refused: the operator must fix them
  kTransient,      // anything else (5xx, 429, garbage): try again later
};

struct RefreshError {
  RefreshFailure kind = RefreshFailure::kTransient;
  std::string message;  // for logs; never contains a token
};

// Reads the token endpoint's answer. Never puts the body into a message (it holds tokens).
// A connection variable that fails its checks (connection_vars.hpp) fails the refresh
// (kTransient): the stored value stays.
std::variant<RefreshedTokens, RefreshError> parse_refresh_response(const ConnectorDef& connector,
                                                                   int status,
                                                                   std::string_view content_type,
                                                                   std::string_view body);

}  // namespace mcpgate::connectors
