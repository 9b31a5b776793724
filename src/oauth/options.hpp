#pragma once
// AuthOptions: the `auth:` section of the configuration (notes/oauth-contract.md), as the
// authorization server consumes it. The app's config loader fills it; validate_auth_options()
// holds the rules that apply whatever the file says, so the loader can report them at start.
//
// Defaults are the contract's. Durations are seconds.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "oauth/sso_options.hpp"

namespace mcpgate::oauth {

// Unix seconds now. Injected so tests control every TTL (STYLE §4.8).
using Clock = std::function<std::int64_t()>;

// The system clock.
std::int64_t system_now();

struct UserOptions {
  std::string username;
  std::string password;  // clear text from the file / environment; hashed at seeding
  // The user's id, the `sub` of its tokens and what policies name (`user:{sub}`). Empty: a
  // random "usr_..." id. A fixed id keeps policies readable and stable across re-seeding.
  std::string id{};
  // The organization the user belongs to (`org`): "default" or one of `organizations:`.
  std::string org{"default"};
};

// Which clients an organization's users may authorize (`organizations[].clients`). A client
// is allowed when its id is listed in `allowed`, or it registered dynamically and allow_dcr
// holds, or it is a Client ID Metadata Document client and allow_cimd holds, or it is
// pre-registered and `allowed` is not given. The default allows everything the server allows.
struct OrgClientPolicy {
  bool allow_dcr = true;
  bool allow_cimd = true;
  bool restrict_static = false;       // `allowed` was given
  std::vector<std::string> allowed;   // client ids (static ids or CIMD URLs)
};

// One entry of the top-level `organizations:` list (a tenant). The default organization
// ("default") exists without being listed; listing it changes its name and settings.
struct OrganizationOptions {
  std::string id;
  std::string name;                  // "" = the id
  std::vector<std::string> domains;  // email domains for home-realm discovery, lower case
  bool password_login = true;        // false: the password form is refused for its users
  bool jit = false;                  // just-in-time creation of users at SSO sign-in
  OrgClientPolicy clients;
};

// A pre-registered ("static") client.
struct StaticClientOptions {
  std::string client_id;
  std::string client_secret;  // empty: public client (token_endpoint_auth_method "none")
  std::vector<std::string> redirect_uris;
  // "" = client_secret_basic when a secret is set, "none" otherwise. Allowed: none,
  // client_secret_basic, client_secret_post (static clients cannot register keys here).
  std::string token_endpoint_auth_method;
  std::string client_name;  // shown on the consent page; defaults to client_id
};

struct ScopeOptions {
  std::string name;                // e.g. "calendar:read"
  std::vector<std::string> tools;  // the MCP tools this scope permits
};

struct CimdOptions {
  bool enabled = true;
  // Lets CIMD documents and private_key_jwt jwks_uri live on loopback addresses (tests only;
  // the app logs it loudly).
  bool allow_loopback_for_tests = false;
};

struct DcrOptions {
  bool enabled = true;
  int registrations_per_minute = 20;  // per source IP
  std::int64_t max_clients = 10000;   // total DCR clients; over it registration answers 429
};

// Abuse limits that are not in the contract's YAML (defaults suit one gateway).
struct LimitOptions {
  int token_requests_per_minute = 600;  // per source IP, /token /introspect /revoke
  int login_attempts_per_minute = 20;   // failed sign-ins per source IP, POST /login
  std::size_t max_sessions = 100000;    // browser sessions held in memory
  std::size_t max_flows = 100000;       // authorization requests waiting for login/consent
  std::int64_t flow_ttl_s = 600;        // how long a login/consent page stays usable
  int sso_starts_per_minute = 30;       // per source IP: redirects to an identity provider
};

struct AuthOptions {
  bool enabled = false;
  // Public base URL of the authorization server, no trailing slash (default: the server's
  // public_url). May have a path: the endpoints then live under it and the RFC 8414 metadata
  // URL inserts it after the well-known prefix.
  std::string issuer;
  // RFC 8707 resource identifiers this server issues tokens for (default: public_url + mcp.path).
  std::vector<std::string> resources;
  std::int64_t access_token_ttl_s = 900;
  std::int64_t refresh_token_ttl_s = 2592000;  // absolute lifetime of a refresh family
  std::int64_t refresh_idle_ttl_s = 1209600;   // inactivity expiry of a refresh token
  std::int64_t code_ttl_s = 60;
  std::int64_t login_session_ttl_s = 3600;
  CimdOptions cimd;
  DcrOptions dcr;
  std::vector<UserOptions> users;             // seeded at start when absent
  // The top-level `organizations:` list, upserted into the store at start (before the users).
  std::vector<OrganizationOptions> organizations;
  std::vector<StaticClientOptions> clients;   // pre-registered clients
  std::vector<ScopeOptions> scopes;           // in the file's order (scopes_supported keeps it)
  std::map<std::string, std::vector<std::string>> scope_implies;  // "calendar:write" -> [read]
  LimitOptions limits;
  // Organizations that sign in through their identity provider (`organizations[].sso`).
  std::vector<SsoOrganization> sso;
};

inline constexpr std::int64_t kMaxAccessTokenTtl = 900;

// Rules: issuer is an absolute http(s) URL without query, fragment, userinfo or trailing
// slash; at least one resource, each an absolute http(s) URL without fragment, no two the same
// after canonicalisation; TTLs positive, access tokens at most 900 s, the code at most 600 s;
// scope names are RFC 6749 scope-tokens, unique, and scope_implies names only known scopes;
// static clients have unique non-URL ids, valid redirect URIs and a known auth method; users
// have a name and a password and name a known organization; organization ids are valid
// (store::is_valid_org_id) and unique, and no email domain belongs to two organizations. Every
// problem is listed in the message.
Status validate_auth_options(const AuthOptions& options);

}  // namespace mcpgate::oauth
