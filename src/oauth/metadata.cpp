#include "oauth/metadata.hpp"

#include "oauth/client_auth.hpp"
#include "oauth/http_util.hpp"
#include "oauth/server_context.hpp"

namespace mcpgate::oauth {
namespace {

constexpr int kDocumentMaxAgeS = 300;

const nlohmann::json kSigningAlgs = nlohmann::json::array({"ES256", "RS256", "PS256"});

bool is_read(http::bhttp::verb v) { return v == http::bhttp::verb::get || v == http::bhttp::verb::head; }

}  // namespace

nlohmann::json authorization_server_metadata(const ServerContext& ctx, bool oidc) {
  const Endpoints& u = ctx.urls;
  nlohmann::json doc = {
      {"issuer", u.issuer},
      {"authorization_endpoint", u.authorization_endpoint},
      {"token_endpoint", u.token_endpoint},
      {"jwks_uri", u.jwks_uri},
      {"introspection_endpoint", u.introspection_endpoint},
      {"revocation_endpoint", u.revocation_endpoint},
      {"response_types_supported", {"code"}},
      {"response_modes_supported", {"query"}},
      {"grant_types_supported", {"authorization_code", "refresh_token"}},
      {"code_challenge_methods_supported", {"S256"}},
      {"token_endpoint_auth_methods_supported",
       {kAuthNone, kAuthSecretBasic, kAuthSecretPost, kAuthPrivateKeyJwt}},
      {"token_endpoint_auth_signing_alg_values_supported", kSigningAlgs},
      {"introspection_endpoint_auth_methods_supported",
       {kAuthSecretBasic, kAuthSecretPost, kAuthPrivateKeyJwt}},
      {"introspection_endpoint_auth_signing_alg_values_supported", kSigningAlgs},
      {"revocation_endpoint_auth_methods_supported",
       {kAuthNone, kAuthSecretBasic, kAuthSecretPost, kAuthPrivateKeyJwt}},
      {"revocation_endpoint_auth_signing_alg_values_supported", kSigningAlgs},
      {"scopes_supported", ctx.scopes.names()},
      {"client_id_metadata_document_supported",
       ctx.options.cimd.enabled && ctx.cimd != nullptr},
      {"authorization_response_iss_parameter_supported", true},
      {"prompt_values_supported", {"none", "login", "consent"}},
  };
  if (ctx.options.dcr.enabled) {
    doc["registration_endpoint"] = u.registration_endpoint;
  }
  if (oidc) {
    doc["subject_types_supported"] = {"public"};
    doc["id_token_signing_alg_values_supported"] = {"ES256"};
  }
  return doc;
}

nlohmann::json protected_resource_metadata(const ServerContext& ctx, const std::string& resource) {
  nlohmann::json tool_scopes = nlohmann::json::object();
  for (const auto& [tool, scopes] : ctx.scopes.tool_scopes()) {
    tool_scopes[tool] = scopes;
  }
  return nlohmann::json{
      {"resource", resource},
      {"authorization_servers", {ctx.urls.issuer}},
      {"scopes_supported", ctx.scopes.names()},
      {"bearer_methods_supported", {"header"}},
      {"resource_name", "mcpgate"},
      {"mcpgate_tool_scopes", std::move(tool_scopes)},
  };
}

std::vector<std::pair<std::string, nlohmann::json>> discovery_documents(const ServerContext& ctx) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  auto add = [&](std::string path, const nlohmann::json& doc) {
    for (const auto& [p, d] : out) {
      if (p == path) {
        return;  // the first document for a path wins
      }
    }
    out.emplace_back(std::move(path), doc);
  };
  const std::string& base = ctx.urls.base_path;
  const nlohmann::json oauth = authorization_server_metadata(ctx, false);
  const nlohmann::json oidc = authorization_server_metadata(ctx, true);
  add("/.well-known/oauth-authorization-server" + base, oauth);
  add("/.well-known/openid-configuration" + base, oidc);
  add(base + "/.well-known/openid-configuration", oidc);
  for (const auto& resource : ctx.resources.all()) {
    add("/.well-known/oauth-protected-resource" + path_of(resource),
        protected_resource_metadata(ctx, resource));
  }
  if (!ctx.resources.all().empty()) {
    add("/.well-known/oauth-protected-resource",
        protected_resource_metadata(ctx, ctx.resources.all().front()));
  }
  return out;
}

asio::awaitable<void> serve_document(http::Exchange& ex, const nlohmann::json& document) {
  const auto method = ex.request().method();
  if (method == http::bhttp::verb::options) {
    co_await ex.respond(cors_preflight("GET, HEAD"));
    co_return;
  }
  http::Response res = is_read(method)
                           ? json_response(http::StatusCode::ok, document, false, kDocumentMaxAgeS)
                           : method_not_allowed("GET, HEAD");
  add_cors(res);
  co_await ex.respond(std::move(res));
}

asio::awaitable<void> serve_jwks(http::Exchange& ex, const ServerContext& ctx) {
  const auto method = ex.request().method();
  if (method == http::bhttp::verb::options) {
    co_await ex.respond(cors_preflight("GET, HEAD"));
    co_return;
  }
  http::Response res = method_not_allowed("GET, HEAD");
  if (is_read(method)) {
    res = json_response(http::StatusCode::ok, ctx.keys.current()->jwks, false, kDocumentMaxAgeS);
  }
  add_cors(res);
  co_await ex.respond(std::move(res));
}

}  // namespace mcpgate::oauth
