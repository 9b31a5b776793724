#pragma once
// The configuration file (YAML) as plain structs. Loading validates everything up front and
// reports every problem with file, line and key; `${VAR}` in any scalar is replaced from the
// environment (a missing variable is an error). Unknown keys are errors, so typos surface.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.hpp"
#include "core/result.hpp"
#include "gateway/options.hpp"
#include "http/server_options.hpp"
#include "mcp/endpoint.hpp"
#include "oauth/options.hpp"
#include "policy/options.hpp"
#include "quota/quota.hpp"
#include "store/open_store.hpp"
#include "vault/options.hpp"

namespace mcpgate::app {

// `mcp.sessions`: session-era session ids.
struct McpSessionsConfig {
  // Seal each session's state into its id (AES-256-GCM, key from <data_dir>/master.key) so
  // every replica with that file resumes it; false = random ids this process alone knows.
  bool sealed = true;
  // Raising it rotates the sealing key; ids of the previous generation still open.
  int key_generation = 1;
  // A sealed id is refused this long after it was issued (it cannot be revoked elsewhere).
  std::chrono::seconds max_lifetime{24 * 3600};
};

struct McpConfig {
  std::string path = "/mcp";
  std::vector<std::string> tool_sets;  // "demo", "conformance"
  mcp::EndpointOptions endpoint;
  McpSessionsConfig sessions;
};

// The `store:` section: where the authorization server keeps its state. The default is SQLite
// in <data_dir>/mcpgate.db; PostgreSQL lets several replicas share one database.
struct StoreConfig {
  std::string kind = "sqlite";  // sqlite | postgres
  std::string url;              // sqlite: a file path ("" = default); postgres: postgresql://...
  // PostgreSQL password kept out of the URL (and so out of the config file): the first line of
  // a file (e.g. a mounted secret), or an environment variable. At most one of the two.
  std::string password_file;
  std::string password_env;
  std::size_t pool_size = 8;  // PostgreSQL connections per process
  std::chrono::milliseconds statement_timeout{5000};
  // How often a process reads what other processes changed (revocations, policy tuples) when
  // no notification told it sooner. PostgreSQL notifies at once (LISTEN/NOTIFY); this period is
  // the safety net for a missed notification and the only mechanism on SQLite (CLI writes).
  std::chrono::milliseconds poll_interval{500};
};

// The `audit:` section: the hash-chained audit log of tools/call (src/audit). It lives in the
// store, so it is kept when the server has one (authentication on, or a gateway).
struct AuditConfig {
  bool enabled = true;
  bool full_arguments = false;  // `arguments: full`; default `digest` (SHA-256 only)
};

// The `scim:` section: SCIM 2.0 provisioning under /scim/v2 (src/provision). On whenever
// authentication is (it needs the store); every request needs a directory token from
// `mcpgate scim token create`, so nothing is reachable until an operator makes one.
// The `admin:` section: the Admin API (src/admin) under /admin/api/v1 (README "Admin API").
struct AdminConfig {
  bool enabled = false;                   // needs auth: and authz: on
  std::size_t max_page_size = 100;        // lists: largest `limit` (at most 1000)
  std::size_t max_body_bytes = 64 << 10;  // request bodies (413 above)
  // The organization whose administrators run the gate itself; only its callers reach the
  // gate-wide operations (clients, keys, upstreams, configuration).
  std::string operator_org = "default";
};

// The admin API's RFC 8707 resource: tokens for it carry this audience and no other.
inline constexpr const char* kAdminResourcePath = "/admin";

struct ScimConfig {
  bool enabled = true;
  std::int64_t max_results = 200;        // page size cap (ServiceProviderConfig filter.maxResults)
  std::size_t max_body_bytes = 1 << 20;  // request body limit (413 above)
};

// One entry of the `connectors:` list: a connector definition and the gate's registration at
// that provider (README "Connectors").
struct ConnectorConfig {
  std::string file;  // the definition (relative paths: to the config file)
  std::string client_id;
  std::string client_secret;  // inline (use ${VAR}) or from client_secret_env
  bool enabled = true;
  // RFC 8707 `resource` sent to providers that support it ("" = the origin of the token URL).
  std::string resource;
  // `timeout_ms`: how long one API request may take (0 = the runtime's default, 15 s).
  std::chrono::milliseconds timeout{0};
};

struct Config {
  std::string source;  // file the config came from
  std::string text;    // the YAML it was parsed from (a reload compares files key by key)
  http::ServerOptions server;
  bool insecure_http = false;  // allow plain HTTP on a non-loopback address
  std::string public_url;      // defaults to http(s)://listen
  McpConfig mcp;
  log::Options logging;
  std::string data_dir = "./data";
  StoreConfig store;
  // The `auth:` section: the OAuth authorization server and the bearer guard on the MCP path.
  // Absent or `enabled: false` = no authentication (only allowed on loopback binds).
  oauth::AuthOptions auth;
  // `auth: {enabled: false}` written in the file: the operator chose an unauthenticated MCP
  // endpoint (e.g. behind an authenticating proxy). Without it, only loopback binds may run
  // without authentication.
  bool auth_disabled_explicitly = false;
  // The `authz:` section: tool-level authorization (src/policy) on every tools/call.
  policy::PolicyOptions authz;
  // The `gateway:` section: upstream MCP servers federated behind the MCP path (src/gateway).
  gateway::GatewayOptions gateway;
  AuditConfig audit;
  ScimConfig scim;
  AdminConfig admin;
  // `metrics: {token_file | token_env}`: /metrics then requires this Bearer token (metric
  // labels name tools and upstreams). Without one, /metrics is open like /healthz.
  std::string metrics_token;
  // The `quotas:` list: calls per minute / concurrent calls per user, client, tool.
  std::vector<quota::QuotaRule> quotas;
  // The `vault:` section: where the token vault's master keys come from (vault/options.hpp).
  vault::VaultKeyOptions vault;
  // The `connectors:` list; redirect URIs are public_url + "/connect/callback".
  std::vector<ConnectorConfig> connectors;
};

Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name);
Result<Config> load_config(const std::string& path);

// Fills what depends on other settings, after command-line overrides: public_url (from
// server.listen), auth.issuer (public_url) and auth.resources (public_url + mcp.path). With
// admin.enabled: the admin resource (public_url + "/admin") joins auth.resources and the
// scopes admin:read and admin:write (admin:write implies admin:read) join auth.scopes when the
// file does not configure them.
void finalize_config(Config& config);

// The store URL the configuration names: "" (SQLite in data_dir), sqlite:PATH or the
// PostgreSQL URL (store::open_store's forms).
std::string store_url(const StoreConfig& store);

// `--store URL` / MCPGATE_STORE_URL: replaces the `store:` section's kind and url (the password
// settings stay). kInvalidArgument for a URL store::parse_store_url refuses.
Status override_store_url(Config& config, std::string_view url);

// What store::open_store needs: data_dir, pool settings and the password read from
// store.password_file or store.password_env (never logged).
Result<store::OpenStoreOptions> store_open_options(const Config& config);

// Parses "host:port", "[v6]:port" into the options.
Status parse_listen(std::string_view text, http::ServerOptions& out);

// The rules that hold whatever the file says (after command-line overrides): plain HTTP only on
// loopback unless insecure_http; known tool sets only; authentication on unless the gateway only
// listens on loopback; the auth options' own rules (oauth::validate_auth_options).
Status check_deployment(const Config& config);

// The `connectors:` part of check_deployment: every enabled definition loads and validates.
Status check_connectors(const Config& config);

}  // namespace mcpgate::app
