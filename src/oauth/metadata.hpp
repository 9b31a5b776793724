#pragma once
// Discovery documents (ATTACKS rows 59-61):
//  * RFC 8414 authorization server metadata at /.well-known/oauth-authorization-server, with
//    the issuer's path inserted after the well-known prefix when it has one;
//  * the same document plus the OpenID Connect Discovery fields (jwks_uri,
//    subject_types_supported, id_token_signing_alg_values_supported) at
//    /.well-known/openid-configuration (path inserted, and also appended to the issuer path, the
//    two forms MCP clients probe);
//  * RFC 9728 protected resource metadata for every configured resource at
//    /.well-known/oauth-protected-resource + the resource's path (the first resource also at
//    the bare /.well-known/oauth-protected-resource), with `resource` exactly the canonical
//    resource, authorization_servers [issuer], scopes_supported, bearer_methods_supported
//    ["header"] and mcpgate_tool_scopes {tool: [scopes that permit it directly]}.
// All of them are public, cacheable for five minutes, and CORS-enabled.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"

namespace mcpgate::oauth {

struct ServerContext;

// The RFC 8414 document; with `oidc` the OpenID Connect Discovery fields too.
nlohmann::json authorization_server_metadata(const ServerContext& ctx, bool oidc);

// The RFC 9728 document for a configured (canonical) resource.
nlohmann::json protected_resource_metadata(const ServerContext& ctx, const std::string& resource);

// Where each document is served: {router path, document}.
std::vector<std::pair<std::string, nlohmann::json>> discovery_documents(const ServerContext& ctx);

// GET/HEAD/OPTIONS handler for a fixed JSON document (CORS, caching).
asio::awaitable<void> serve_document(http::Exchange& ex, const nlohmann::json& document);

// GET /jwks.json: the current public keys (active + next + retired until expiry).
asio::awaitable<void> serve_jwks(http::Exchange& ex, const ServerContext& ctx);

}  // namespace mcpgate::oauth
