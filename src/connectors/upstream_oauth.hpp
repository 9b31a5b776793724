#pragma once
// Upstream MCP servers that require OAuth (issue 6 item 4): the gate discovers how to become
// their OAuth client and turns the answer into a ConnectorDef without tools, so the per-user
// connect flow (connect_flow, app/connect_routes), the vault and the token refresher serve it
// exactly as they serve a SaaS connector.
//
//   1. probe: an unauthenticated POST initialize to the upstream; a 401 with
//      `WWW-Authenticate: Bearer resource_metadata="..."` names the protected-resource metadata
//      (RFC 9728 §5.1); without it the well-known URLs are tried (path-aware first, §3.1)
//   2. protected-resource metadata: `resource` must equal the upstream's URL (RFC 9728 §3.3:
//      otherwise a hostile server could send the gate to another resource's AS), one of
//      `authorization_servers` is used
//   3. authorization-server metadata (RFC 8414 path-inserted, then OIDC discovery): `issuer`
//      must equal the AS URL it was fetched for, S256 must be listed in
//      `code_challenge_methods_supported` (MCP requires PKCE; absent = refused), endpoints https
//      (http only on loopback with the test flag), `authorization_response_iss_parameter_
//      supported` makes the RFC 9207 `iss` check mandatory on the callback
//   4. registration: a configured client; else, when the AS says
//      `client_id_metadata_document_supported`, the gate's own Client ID Metadata Document (the
//      client_id is its URL under the gate's public URL, served by app/oauth_upstreams); else
//      RFC 7591 DCR at `registration_endpoint` (the answer is kept for the process's lifetime)
//
// Every document is capped (64 KiB), fetched without redirects through the outbound client's
// address policy (public addresses only unless the test flag allows loopback), and checked
// before anything in it is used. Errors name the document and the rule it broke; they never
// carry a secret.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/connect_flow.hpp"
#include "connectors/connector.hpp"
#include "core/result.hpp"
#include "http/asio.hpp"

namespace mcpgate::connectors {

inline constexpr std::size_t kMaxUpstreamMetadataBytes = 64 * 1024;

enum class UpstreamRegistration { kAuto, kCimd, kDcr };

// What the configuration says about one `auth: oauth` upstream.
struct UpstreamOAuthSettings {
  std::string id;            // the upstream's name: connect link /connect/<id>, vault connector
  std::string upstream_url;  // its MCP endpoint (the RFC 8707 resource)
  std::vector<std::string> scopes;  // empty: the PRM's scopes_supported
  std::string client_id;            // pre-registered client ("" = register)
  std::string client_secret;
  UpstreamRegistration registration = UpstreamRegistration::kAuto;
  bool allow_loopback_http = false;  // tests: http:// metadata and endpoints on loopback
  // The gate: its public URL, its callback and the URL of its client metadata document.
  std::string redirect_uri;
  std::string client_metadata_url;
  std::string client_name = "mcpgate";
};

// RFC 9728 §5.1: the resource_metadata parameter of a Bearer challenge (nullopt when absent).
std::optional<std::string> resource_metadata_from_challenge(std::string_view www_authenticate);

// RFC 9728 §3.1: the well-known URLs for a resource URL, path-aware first, then the root.
std::vector<std::string> protected_resource_metadata_urls(std::string_view resource_url);

// RFC 8414 §3.1 (well-known inserted before the path) then OpenID Connect discovery (appended;
// also inserted for an issuer with a path).
std::vector<std::string> authorization_server_metadata_urls(std::string_view issuer);

// A URL the gate may follow: https, or http on a loopback host when allowed; no userinfo, no
// fragment.
Status check_metadata_url(std::string_view what, std::string_view url, bool allow_loopback_http);

struct ProtectedResourceInfo {
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported;
};
// `expected_resource`: the upstream URL; the document's `resource` must equal it.
Result<ProtectedResourceInfo> parse_protected_resource_metadata(std::string_view body,
                                                                std::string_view expected_resource,
                                                                bool allow_loopback_http);

struct AuthServerInfo {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string revocation_endpoint;     // "" = none
  std::string registration_endpoint;  // "" = no DCR
  bool cimd_supported = false;
  bool iss_parameter_supported = false;
  std::vector<std::string> token_auth_methods;  // empty = client_secret_basic (RFC 8414)
};
Result<AuthServerInfo> parse_authorization_server_metadata(std::string_view body,
                                                           std::string_view expected_issuer,
                                                           bool allow_loopback_http);

// The gate's Client ID Metadata Document for `settings` (a public client: PKCE, no secret).
nlohmann::json gate_client_metadata(const UpstreamOAuthSettings& settings);
// The RFC 7591 registration request, and its answer (client_id, optional client_secret).
nlohmann::json registration_request_body(const UpstreamOAuthSettings& settings);
Result<ClientCredentials> parse_registration_response(int status, std::string_view body);

// The tool-less connector the connect flow and refresher use for the upstream.
struct UpstreamOAuthClient {
  std::shared_ptr<const ConnectorDef> def;
  ClientCredentials client;
  std::string resource;          // RFC 8707: the upstream URL
  std::string how_registered;    // "configured" | "cimd" | "dcr" (logs)
};
Result<UpstreamOAuthClient> upstream_oauth_client(const UpstreamOAuthSettings& settings,
                                                  const AuthServerInfo& as,
                                                  const std::vector<std::string>& scopes,
                                                  ClientCredentials client,
                                                  std::string how_registered);

// Steps 1-3 over the network: the upstream's authorization server and the scopes to ask for.
struct UpstreamOAuthMetadata {
  ProtectedResourceInfo resource;
  AuthServerInfo server;
  std::vector<std::string> scopes;  // configured, else the PRM's scopes_supported
};
asio::awaitable<Result<UpstreamOAuthMetadata>> discover_upstream_metadata(
    UpstreamOAuthSettings settings);

// Step 4's choice: "configured", "cimd" (the AS accepts client metadata documents and the
// gate's document URL is https, so the AS can fetch it) or "dcr"; an error when none applies.
Result<std::string> choose_upstream_registration(const UpstreamOAuthSettings& settings,
                                                 const AuthServerInfo& as);

// RFC 7591 registration at the AS's registration endpoint.
asio::awaitable<Result<ClientCredentials>> register_upstream_client(UpstreamOAuthSettings settings,
                                                                    AuthServerInfo as);

// What a stored DCR registration is valid for: the registration endpoint and the redirect URI
// (a changed public URL or AS registers again).
std::string upstream_registration_fingerprint(const UpstreamOAuthSettings& settings,
                                              const AuthServerInfo& as);

}  // namespace mcpgate::connectors
