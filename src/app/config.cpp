#include "app/config.hpp"

#include "connectors/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <fstream>
#include <set>
#include <filesystem>
#include <sstream>

#include "core/ascii.hpp"
#include "core/secret.hpp"
#include "store/types.hpp"
#include "quota/quota_config.hpp"
#include "http/client.hpp"
#include "http/forwarded.hpp"
#include "http/server.hpp"

namespace mcpgate::app {
namespace {

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  void fail(const YAML::Node& node, const std::string& key, const std::string& why) {
    std::ostringstream out;
    out << source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      out << ":" << node.Mark().line + 1 << ":" << node.Mark().column + 1;
    }
    out << ": " << key << ": " << why;
    errors_.push_back(out.str());
  }

  // Rejects keys that are not in `known`.
  void only_keys(const YAML::Node& map, const std::string& where, std::set<std::string> known) {
    if (!map.IsDefined() || map.IsNull()) {
      return;
    }
    if (!map.IsMap()) {
      fail(map, where, "must be a mapping");
      return;
    }
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (!known.count(key)) {
        fail(kv.first, where.empty() ? key : where + "." + key, "unknown key");
      }
    }
  }

  // `${VAR}` → environment value. `$$` stays a literal `$`.
  bool expand(const YAML::Node& node, const std::string& key, std::string& value) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '$') {
        out += '$';
        ++i;
      } else if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
        const auto end = value.find('}', i + 2);
        if (end == std::string::npos) {
          fail(node, key, "unterminated ${...}");
          return false;
        }
        const std::string var = value.substr(i + 2, end - i - 2);
        const char* env = std::getenv(var.c_str());
        if (env == nullptr) {
          fail(node, key, "environment variable " + var + " is not set");
          return false;
        }
        out += env;
        i = end;
      } else {
        out += value[i];
      }
    }
    value = std::move(out);
    return true;
  }

  void get(const YAML::Node& map, const char* name, const std::string& where, std::string& out) {
    const YAML::Node n = map[name];
    if (!n.IsDefined() || n.IsNull()) {
      return;
    }
    const std::string key = where + name;
    if (!n.IsScalar()) {
      fail(n, key, "must be a string");
      return;
    }
    std::string v = n.as<std::string>();
    if (expand(n, key, v)) {
      out = std::move(v);
    }
  }

  void get(const YAML::Node& map, const char* name, const std::string& where, bool& out) {
    std::string text;
    const YAML::Node n = map[name];
    get(map, name, where, text);
    if (text.empty()) {
      return;
    }
    if (text == "true" || text == "yes" || text == "on") {
      out = true;
    } else if (text == "false" || text == "no" || text == "off") {
      out = false;
    } else {
      fail(n, where + name, "must be true or false, got '" + text + "'");
    }
  }

  template <class Int>
  void get_uint(const YAML::Node& map, const char* name, const std::string& where, Int& out,
                unsigned long long max) {
    std::string text;
    const YAML::Node n = map[name];
    get(map, name, where, text);
    if (text.empty()) {
      return;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (errno != 0 || end == text.c_str() || *end != '\0' || text[0] == '-' || v > max) {
      fail(n, where + name, "must be a whole number from 0 to " + std::to_string(max));
      return;
    }
    out = static_cast<Int>(v);
  }

  void get_ms(const YAML::Node& map, const char* name, const std::string& where,
              std::chrono::milliseconds& out) {
    unsigned long long ms = static_cast<unsigned long long>(out.count());
    get_uint(map, name, where, ms, 24ull * 3600 * 1000);
    out = std::chrono::milliseconds(ms);
  }

  void get_list(const YAML::Node& map, const char* name, const std::string& where,
                std::vector<std::string>& out) {
    const YAML::Node n = map[name];
    if (!n.IsDefined() || n.IsNull()) {
      return;
    }
    if (!n.IsSequence()) {
      fail(n, where + name, "must be a list");
      return;
    }
    out.clear();
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string key = where + name + "[" + std::to_string(i) + "]";
      if (!n[i].IsScalar()) {
        fail(n[i], key, "must be a string");
        continue;
      }
      std::string v = n[i].as<std::string>();
      if (expand(n[i], key, v)) {
        out.push_back(std::move(v));
      }
    }
  }

  Status finish() const {
    if (errors_.empty()) {
      return {};
    }
    std::string all;
    for (const auto& e : errors_) {
      all += (all.empty() ? "" : "\n") + e;
    }
    return make_error(ErrorCode::kInvalidArgument, all);
  }

  std::vector<std::string> errors_;

 private:
  std::string source_;
};

void load_server(Loader& l, const YAML::Node& s, Config& c) {
  l.only_keys(s, "server",
              {"listen", "public_url", "insecure_http", "threads", "tls", "limits", "trusted_proxies"});
  if (!s.IsMap()) {
    return;
  }
  std::string listen;
  l.get(s, "listen", "server.", listen);
  if (!listen.empty()) {
    if (auto st = parse_listen(listen, c.server); !st) {
      l.fail(s["listen"], "server.listen", st.error().message);
    }
  }
  l.get(s, "public_url", "server.", c.public_url);
  l.get(s, "insecure_http", "server.", c.insecure_http);
  l.get_uint(s, "threads", "server.", c.server.threads, 256);
  l.get_list(s, "trusted_proxies", "server.", c.server.trusted_proxies);
  for (std::size_t i = 0; i < c.server.trusted_proxies.size(); ++i) {
    if (auto block = http::parse_cidr(c.server.trusted_proxies[i]); !block) {
      l.fail(s["trusted_proxies"][i], "server.trusted_proxies[" + std::to_string(i) + "]",
             block.error().message);
    }
  }
  const YAML::Node tls = s["tls"];
  l.only_keys(tls, "server.tls", {"cert_file", "key_file"});
  if (tls.IsDefined() && tls.IsMap()) {  // IsMap() throws on a missing key of a const node
    l.get(tls, "cert_file", "server.tls.", c.server.tls_cert_file);
    l.get(tls, "key_file", "server.tls.", c.server.tls_key_file);
  }
  const YAML::Node lim = s["limits"];
  l.only_keys(lim, "server.limits",
              {"max_body_bytes", "max_header_bytes", "max_connections", "header_timeout_ms",
               "body_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "drain_timeout_ms"});
  if (lim.IsDefined() && lim.IsMap()) {
    const std::string w = "server.limits.";
    l.get_uint(lim, "max_body_bytes", w, c.server.max_body_bytes, 1ull << 30);
    l.get_uint(lim, "max_header_bytes", w, c.server.max_header_bytes, 1ull << 20);
    l.get_uint(lim, "max_connections", w, c.server.max_connections, 1000000);
    l.get_ms(lim, "header_timeout_ms", w, c.server.header_timeout);
    l.get_ms(lim, "body_timeout_ms", w, c.server.body_timeout);
    l.get_ms(lim, "idle_timeout_ms", w, c.server.idle_timeout);
    l.get_ms(lim, "write_timeout_ms", w, c.server.write_timeout);
    l.get_ms(lim, "drain_timeout_ms", w, c.server.drain_timeout);
  }
}

void load_mcp(Loader& l, const YAML::Node& m, Config& c) {
  l.only_keys(m, "mcp",
              {"path", "tool_sets", "server_name", "instructions", "allowed_origins", "max_sessions",
               "sessions"});
  if (!m.IsMap()) {
    return;
  }
  l.get(m, "path", "mcp.", c.mcp.path);
  if (c.mcp.path.empty() || c.mcp.path[0] != '/') {
    l.fail(m["path"], "mcp.path", "must start with '/'");
  }
  l.get_list(m, "tool_sets", "mcp.", c.mcp.tool_sets);
  l.get(m, "server_name", "mcp.", c.mcp.endpoint.server_name);
  l.get(m, "instructions", "mcp.", c.mcp.endpoint.instructions);
  l.get_list(m, "allowed_origins", "mcp.", c.mcp.endpoint.allowed_origins);
  l.get_uint(m, "max_sessions", "mcp.", c.mcp.endpoint.max_sessions, 10000000);
  if (const YAML::Node s = m["sessions"]; s) {
    l.only_keys(s, "mcp.sessions", {"sealed", "key_generation", "max_lifetime_s", "idle_timeout_s"});
    if (s.IsMap()) {
      const std::string w = "mcp.sessions.";
      l.get(s, "sealed", w, c.mcp.sessions.sealed);
      l.get_uint(s, "key_generation", w, c.mcp.sessions.key_generation, 1000000);
      if (c.mcp.sessions.key_generation < 1) {
        l.fail(s["key_generation"], "mcp.sessions.key_generation", "must be at least 1");
      }
      unsigned long long lifetime = static_cast<unsigned long long>(c.mcp.sessions.max_lifetime.count());
      l.get_uint(s, "max_lifetime_s", w, lifetime, 365ull * 24 * 3600);
      c.mcp.sessions.max_lifetime = std::chrono::seconds(std::max(1ull, lifetime));
      unsigned long long idle =
          static_cast<unsigned long long>(c.mcp.endpoint.session_idle_timeout.count());
      l.get_uint(s, "idle_timeout_s", w, idle, 365ull * 24 * 3600);
      c.mcp.endpoint.session_idle_timeout = std::chrono::seconds(std::max(1ull, idle));
    }
  }
}

void load_logging(Loader& l, const YAML::Node& g, Config& c) {
  l.only_keys(g, "logging", {"level", "access_log"});
  if (!g.IsMap()) {
    return;
  }
  std::string level;
  l.get(g, "level", "logging.", level);
  if (!level.empty() && !log::parse_level(level, c.logging.level)) {
    l.fail(g["level"], "logging.level", "must be debug, info, warn, error or off");
  }
  l.get(g, "access_log", "logging.", c.logging.access_log);
}

void load_store(Loader& l, const YAML::Node& g, Config& c) {
  l.only_keys(g, "store",
              {"kind", "url", "password_file", "password_env", "pool_size", "statement_timeout_ms",
               "poll_interval_ms"});
  if (!g.IsMap()) {
    return;
  }
  StoreConfig& s = c.store;
  l.get(g, "kind", "store.", s.kind);
  l.get(g, "url", "store.", s.url);
  l.get(g, "password_file", "store.", s.password_file);
  l.get(g, "password_env", "store.", s.password_env);
  l.get_uint(g, "pool_size", "store.", s.pool_size, 256);
  l.get_ms(g, "statement_timeout_ms", "store.", s.statement_timeout);
  l.get_ms(g, "poll_interval_ms", "store.", s.poll_interval);
  // `kind` may be left out when the URL says it.
  if (!g["kind"].IsDefined()) {
    auto parsed = store::parse_store_url(s.url);
    if (parsed && parsed->kind == store::StoreKind::kPostgres) {
      s.kind = "postgres";
    }
  }
  if (s.kind != "sqlite" && s.kind != "postgres") {
    l.fail(g["kind"], "store.kind", "must be sqlite or postgres");
    return;
  }
  if (s.pool_size == 0) {
    l.fail(g["pool_size"], "store.pool_size", "must be at least 1");
  }
  if (s.statement_timeout.count() == 0) {
    l.fail(g["statement_timeout_ms"], "store.statement_timeout_ms", "must be at least 1");
  }
  if (s.poll_interval.count() < 10) {
    l.fail(g["poll_interval_ms"], "store.poll_interval_ms", "must be at least 10");
  }
  if (!s.password_file.empty() && !s.password_env.empty()) {
    l.fail(g["password_env"], "store.password_env", "give password_file or password_env, not both");
  }
  if (s.kind == "postgres") {
    auto parsed = store::parse_store_url(s.url);
    if (s.url.empty() || !parsed || parsed->kind != store::StoreKind::kPostgres) {
      l.fail(g["url"], "store.url", "kind postgres needs a postgresql://... or postgres://... URL");
    }
  } else if (!s.password_file.empty() || !s.password_env.empty()) {
    l.fail(g, "store", "password_file and password_env are for kind postgres");
  }
}

// Integer seconds, positive.
void get_seconds(Loader& l, const YAML::Node& map, const char* name, const std::string& where,
                 std::int64_t& out) {
  unsigned long long v = static_cast<unsigned long long>(out);
  l.get_uint(map, name, where, v, 10ull * 365 * 24 * 3600);
  out = static_cast<std::int64_t>(v);
}

// `organizations[].sso`: the organization's identity provider (oauth/sso_options.hpp).
void load_org_sso(Loader& l, const YAML::Node& s, const std::string& where, oauth::SsoOptions& o) {
  l.only_keys(s, where,
              {"issuer", "client_id", "client_secret_file", "client_secret_env", "private_key_file",
               "private_key_alg", "token_endpoint_auth_method", "scopes", "claims", "algorithms",
               "display_name", "allow_insecure_loopback", "jwks_refetch_interval_s"});
  if (!s.IsMap()) {
    l.fail(s, where, "must be a mapping");
    return;
  }
  const std::string w = where + ".";
  l.get(s, "issuer", w, o.issuer);
  l.get(s, "client_id", w, o.client_id);
  l.get(s, "client_secret_file", w, o.client_secret_file);
  l.get(s, "client_secret_env", w, o.client_secret_env);
  l.get(s, "private_key_file", w, o.private_key_file);
  l.get(s, "private_key_alg", w, o.private_key_alg);
  l.get(s, "token_endpoint_auth_method", w, o.token_endpoint_auth_method);
  if (s["scopes"].IsDefined()) {
    o.scopes.clear();
    l.get_list(s, "scopes", w, o.scopes);
  }
  l.get_list(s, "algorithms", w, o.algorithms);
  l.get(s, "display_name", w, o.display_name);
  l.get(s, "allow_insecure_loopback", w, o.allow_insecure_loopback);
  l.get_uint(s, "jwks_refetch_interval_s", w, o.jwks_refetch_interval_s, 3600);
  const YAML::Node claims = s["claims"];
  l.only_keys(claims, w + "claims", {"email", "name", "groups", "username"});
  if (claims.IsDefined() && claims.IsMap()) {
    l.get(claims, "email", w + "claims.", o.claims.email);
    l.get(claims, "name", w + "claims.", o.claims.name);
    l.get(claims, "groups", w + "claims.", o.claims.groups);
    l.get(claims, "username", w + "claims.", o.claims.username);
  }
}

// The top-level `organizations:` list (README "Organizations"). Loaded before `auth:`, whose
// users name them. An email domain belongs to one organization at most.
void load_organizations(Loader& l, const YAML::Node& list, Config& c) {
  if (!list.IsDefined() || list.IsNull()) {
    return;
  }
  if (!list.IsSequence()) {
    l.fail(list, "organizations", "must be a list of {id, name, domains, ...}");
    return;
  }
  std::map<std::string, std::string> domain_owner;
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string w = "organizations[" + std::to_string(i) + "]";
    l.only_keys(n, w, {"id", "name", "domains", "password_login", "jit", "clients", "sso"});
    if (!n.IsMap()) {
      continue;
    }
    oauth::OrganizationOptions org;
    l.get(n, "id", w + ".", org.id);
    l.get(n, "name", w + ".", org.name);
    if (!store::is_valid_org_id(org.id)) {
      l.fail(n["id"].IsDefined() ? n["id"] : n, w + ".id",
             "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'");
    } else if (!ids.insert(org.id).second) {
      l.fail(n["id"], w + ".id", "organization '" + org.id + "' is listed twice");
    }
    if (org.name.size() > 200) {
      l.fail(n["name"], w + ".name", "must be at most 200 characters");
    }
    l.get_list(n, "domains", w + ".", org.domains);
    for (size_t d = 0; d < org.domains.size(); ++d) {
      std::string& domain = org.domains[d];
      domain = ascii::to_lower(domain);
      const YAML::Node dn = n["domains"][d];
      const std::string dw = w + ".domains[" + std::to_string(d) + "]";
      const bool shaped = !domain.empty() && domain.size() <= 253 && domain.front() != '.'
                          && domain.back() != '.' && domain.front() != '-'
                          && std::all_of(domain.begin(), domain.end(), [](char ch) {
                               return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
                                      || ch == '.' || ch == '-';
                             });
      if (!shaped) {
        l.fail(dn, dw, "must be an email domain such as example.com");
        continue;
      }
      const auto [it, inserted] = domain_owner.emplace(domain, org.id);
      if (!inserted) {
        l.fail(dn, dw, "domain " + domain + " already belongs to organization '" + it->second
                           + "' (a domain belongs to one organization)");
      }
    }
    l.get(n, "password_login", w + ".", org.password_login);
    l.get(n, "jit", w + ".", org.jit);
    const YAML::Node cl = n["clients"];
    l.only_keys(cl, w + ".clients", {"allow_dcr", "allow_cimd", "allowed"});
    if (cl.IsDefined() && cl.IsMap()) {
      l.get(cl, "allow_dcr", w + ".clients.", org.clients.allow_dcr);
      l.get(cl, "allow_cimd", w + ".clients.", org.clients.allow_cimd);
      if (cl["allowed"].IsDefined() && !cl["allowed"].IsNull()) {
        org.clients.restrict_static = true;
        l.get_list(cl, "allowed", w + ".clients.", org.clients.allowed);
      }
    }
    if (const YAML::Node sso = n["sso"]; sso.IsDefined() && !sso.IsNull()) {
      oauth::SsoOrganization so;
      so.org_id = org.id;
      so.org_name = org.name;
      so.domains = org.domains;
      so.jit = org.jit;
      so.password_login = org.password_login;
      load_org_sso(l, sso, w + ".sso", so.sso);
      c.auth.sso.push_back(std::move(so));
    }
    c.auth.organizations.push_back(std::move(org));
  }
}

void load_auth(Loader& l, const YAML::Node& a, Config& c) {
  l.only_keys(a, "auth",
              {"enabled", "issuer", "resources", "access_token_ttl_s", "refresh_token_ttl_s",
               "refresh_idle_ttl_s", "code_ttl_s", "login_session_ttl_s", "cimd", "dcr", "users",
               "clients", "scopes", "scope_implies", "limits"});
  if (!a.IsDefined() || !a.IsMap()) {
    return;
  }
  oauth::AuthOptions& o = c.auth;
  o.enabled = true;  // a present `auth:` section turns authentication on unless it says otherwise
  l.get(a, "enabled", "auth.", o.enabled);
  c.auth_disabled_explicitly = !o.enabled;
  l.get(a, "issuer", "auth.", o.issuer);
  l.get_list(a, "resources", "auth.", o.resources);
  get_seconds(l, a, "access_token_ttl_s", "auth.", o.access_token_ttl_s);
  get_seconds(l, a, "refresh_token_ttl_s", "auth.", o.refresh_token_ttl_s);
  get_seconds(l, a, "refresh_idle_ttl_s", "auth.", o.refresh_idle_ttl_s);
  get_seconds(l, a, "code_ttl_s", "auth.", o.code_ttl_s);
  get_seconds(l, a, "login_session_ttl_s", "auth.", o.login_session_ttl_s);

  const YAML::Node cimd = a["cimd"];
  l.only_keys(cimd, "auth.cimd", {"enabled", "allow_loopback_for_tests"});
  if (cimd.IsDefined() && cimd.IsMap()) {
    l.get(cimd, "enabled", "auth.cimd.", o.cimd.enabled);
    l.get(cimd, "allow_loopback_for_tests", "auth.cimd.", o.cimd.allow_loopback_for_tests);
  }
  const YAML::Node dcr = a["dcr"];
  l.only_keys(dcr, "auth.dcr", {"enabled", "registrations_per_minute", "max_clients"});
  if (dcr.IsDefined() && dcr.IsMap()) {
    l.get(dcr, "enabled", "auth.dcr.", o.dcr.enabled);
    l.get_uint(dcr, "registrations_per_minute", "auth.dcr.", o.dcr.registrations_per_minute, 1000000);
    l.get_uint(dcr, "max_clients", "auth.dcr.", o.dcr.max_clients, 100000000);
  }
  const YAML::Node lim = a["limits"];
  l.only_keys(lim, "auth.limits",
              {"token_requests_per_minute", "login_attempts_per_minute", "max_sessions",
               "max_flows", "flow_ttl_s", "sso_starts_per_minute"});
  if (lim.IsDefined() && lim.IsMap()) {
    const std::string w = "auth.limits.";
    l.get_uint(lim, "token_requests_per_minute", w, o.limits.token_requests_per_minute, 100000000);
    l.get_uint(lim, "login_attempts_per_minute", w, o.limits.login_attempts_per_minute, 100000000);
    l.get_uint(lim, "max_sessions", w, o.limits.max_sessions, 100000000);
    l.get_uint(lim, "max_flows", w, o.limits.max_flows, 100000000);
    get_seconds(l, lim, "flow_ttl_s", w, o.limits.flow_ttl_s);
    l.get_uint(lim, "sso_starts_per_minute", w, o.limits.sso_starts_per_minute, 100000000);
  }

  const YAML::Node users = a["users"];
  if (users.IsDefined() && !users.IsNull()) {
    if (!users.IsSequence()) {
      l.fail(users, "auth.users", "must be a list of {username, password}");
    } else {
      for (size_t i = 0; i < users.size(); ++i) {
        const std::string w = "auth.users[" + std::to_string(i) + "]";
        l.only_keys(users[i], w, {"username", "password", "id", "org"});
        if (!users[i].IsMap()) {
          continue;
        }
        oauth::UserOptions u;
        l.get(users[i], "username", w + ".", u.username);
        l.get(users[i], "password", w + ".", u.password);
        l.get(users[i], "id", w + ".", u.id);
        l.get(users[i], "org", w + ".", u.org);
        if (!store::is_valid_org_id(u.org)) {
          l.fail(users[i]["org"], w + ".org", "is not an organization id");
        } else if (u.org != store::kDefaultOrgId
                   && std::none_of(o.organizations.begin(), o.organizations.end(),
                                   [&](const auto& org) { return org.id == u.org; })) {
          l.fail(users[i]["org"], w + ".org",
                 "names no organization (list it under organizations:)");
        }
        o.users.push_back(std::move(u));
      }
    }
  }
  const YAML::Node clients = a["clients"];
  if (clients.IsDefined() && !clients.IsNull()) {
    if (!clients.IsSequence()) {
      l.fail(clients, "auth.clients", "must be a list of clients");
    } else {
      for (size_t i = 0; i < clients.size(); ++i) {
        const std::string w = "auth.clients[" + std::to_string(i) + "]";
        l.only_keys(clients[i], w,
                    {"client_id", "client_secret", "redirect_uris", "token_endpoint_auth_method",
                     "client_name"});
        if (!clients[i].IsMap()) {
          continue;
        }
        oauth::StaticClientOptions sc;
        l.get(clients[i], "client_id", w + ".", sc.client_id);
        l.get(clients[i], "client_secret", w + ".", sc.client_secret);
        l.get_list(clients[i], "redirect_uris", w + ".", sc.redirect_uris);
        l.get(clients[i], "token_endpoint_auth_method", w + ".", sc.token_endpoint_auth_method);
        l.get(clients[i], "client_name", w + ".", sc.client_name);
        o.clients.push_back(std::move(sc));
      }
    }
  }
  const YAML::Node scopes = a["scopes"];
  if (scopes.IsDefined() && !scopes.IsNull()) {
    if (!scopes.IsMap()) {
      l.fail(scopes, "auth.scopes", "must map each scope to the list of tools it permits");
    } else {
      for (const auto& kv : scopes) {
        oauth::ScopeOptions so;
        so.name = kv.first.as<std::string>();
        if (!kv.second.IsNull()) {
          YAML::Node holder;
          holder["t"] = kv.second;
          l.get_list(holder, "t", "auth.scopes." + so.name + "/", so.tools);
        }
        o.scopes.push_back(std::move(so));
      }
    }
  }
  const YAML::Node implies = a["scope_implies"];
  if (implies.IsDefined() && !implies.IsNull()) {
    if (!implies.IsMap()) {
      l.fail(implies, "auth.scope_implies", "must map a scope to the scopes it implies");
    } else {
      for (const auto& kv : implies) {
        const std::string name = kv.first.as<std::string>();
        std::vector<std::string> implied;
        YAML::Node holder;
        holder["t"] = kv.second;
        l.get_list(holder, "t", "auth.scope_implies." + name + "/", implied);
        o.scope_implies[name] = std::move(implied);
      }
    }
  }
}

void get_check(Loader& l, const YAML::Node& n, const std::string& where, policy::CheckTemplate& out) {
  if (!n.IsDefined() || n.IsNull()) {
    return;
  }
  l.only_keys(n, where, {"object", "relation", "user"});
  l.get(n, "object", where + ".", out.object);
  l.get(n, "relation", where + ".", out.relation);
  l.get(n, "user", where + ".", out.user);
}

void load_authz(Loader& l, const YAML::Node& a, Config& c) {
  l.only_keys(a, "authz",
              {"enabled", "store_file", "model_file", "store_name", "user_check", "client_check",
               "default_server", "anonymous_user", "anonymous_client", "decision_log", "api"});
  if (!a.IsDefined() || a.IsNull() || !a.IsMap()) {
    return;
  }
  policy::PolicyOptions& o = c.authz;
  o.enabled = true;  // a present `authz:` section turns authorization on unless it says otherwise
  l.get(a, "enabled", "authz.", o.enabled);
  l.get(a, "store_file", "authz.", o.store_file);
  l.get(a, "model_file", "authz.", o.model_file);
  l.get(a, "store_name", "authz.", o.store_name);
  get_check(l, a["user_check"], "authz.user_check", o.authorizer.user_check);
  get_check(l, a["client_check"], "authz.client_check", o.authorizer.client_check);
  l.get(a, "default_server", "authz.", o.authorizer.default_server);
  l.get(a, "anonymous_user", "authz.", o.authorizer.anonymous_user);
  l.get(a, "anonymous_client", "authz.", o.authorizer.anonymous_client);
  const YAML::Node dl = a["decision_log"];
  l.only_keys(dl, "authz.decision_log", {"enabled", "arguments"});
  if (dl.IsDefined() && dl.IsMap()) {
    l.get(dl, "enabled", "authz.decision_log.", o.decision_log.enabled);
    std::string args;
    l.get(dl, "arguments", "authz.decision_log.", args);
    if (args == "digest") {
      o.decision_log.arguments = policy::ArgumentLogging::kDigest;
    } else if (args == "full") {
      o.decision_log.arguments = policy::ArgumentLogging::kFull;
    } else if (args == "none") {
      o.decision_log.arguments = policy::ArgumentLogging::kNone;
    } else if (!args.empty()) {
      l.fail(dl["arguments"], "authz.decision_log.arguments", "must be digest, full or none");
    }
  }
  const YAML::Node api = a["api"];
  l.only_keys(api, "authz.api", {"enabled", "token_file", "token_env"});
  if (api.IsDefined() && api.IsMap()) {
    o.api.enabled = true;
    l.get(api, "enabled", "authz.api.", o.api.enabled);
    l.get(api, "token_file", "authz.api.", o.api.token_file);
    l.get(api, "token_env", "authz.api.", o.api.token_env);
    if (o.api.enabled && o.api.token_file.empty() == o.api.token_env.empty()) {
      l.fail(api, "authz.api", "needs exactly one of token_file and token_env");
    }
  }
  if (o.enabled && o.store_file.empty() == o.model_file.empty()) {
    l.fail(a, "authz", "needs exactly one of store_file and model_file");
  }
  // Paths in the file are relative to the file.
  const auto dir = std::filesystem::path(c.source).parent_path();
  for (std::string* path : {&o.store_file, &o.model_file, &o.api.token_file}) {
    if (!path->empty() && std::filesystem::path(*path).is_relative()) {
      *path = (dir / *path).lexically_normal().string();
    }
  }
}

}  // namespace

// A header value for an upstream: {env: NAME} or {file: PATH} (first line). Inline values are
// refused: credentials stay out of the configuration file, and errors never echo them.
void get_secret_header(Loader& l, const YAML::Node& n, const std::string& key, std::string& out) {
  if (!n.IsMap()) {
    l.fail(n, key, "must be {env: NAME} or {file: PATH} (inline secrets are not accepted)");
    return;
  }
  l.only_keys(n, key, {"env", "file"});
  std::string env;
  std::string file;
  l.get(n, "env", key + ".", env);
  l.get(n, "file", key + ".", file);
  if (env.empty() == file.empty()) {
    l.fail(n, key, "needs exactly one of env and file");
    return;
  }
  auto secret = read_secret(file, env, key);
  if (!secret) {
    l.fail(n, key, secret.error().message);
    return;
  }
  out = std::move(*secret);
}

// `auth: oauth` and its `oauth:` settings on a streamable-http upstream (issue 6 item 4).
void load_upstream_oauth(Loader& l, const YAML::Node& u, const std::string& w,
                         gateway::UpstreamOptions& up) {
  std::string auth = "none";
  l.get(u, "auth", w, auth);
  const YAML::Node o = u["oauth"];
  if (auth == "none") {
    if (o.IsDefined()) {
      l.fail(o, w + "oauth", "only with auth: oauth");
    }
    return;
  }
  if (auth != "oauth") {
    l.fail(u["auth"], w + "auth", "must be none or oauth");
    return;
  }
  up.oauth.enabled = true;
  // The name is the connect link's and the vault's connector id.
  bool id_ok = !up.name.empty() && up.name.size() <= 24 && up.name[0] >= 'a' && up.name[0] <= 'z';
  for (char ch : up.name) {
    id_ok = id_ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
  }
  if (!id_ok) {
    l.fail(u["name"], w + "name",
           "with auth: oauth must match ^[a-z][a-z0-9_]{0,23}$ (it names /connect/<name>)");
  }
  for (const auto& [name, value] : up.headers) {
    if (ascii::iequals(name, "Authorization")) {
      l.fail(u["headers"], w + "headers", "Authorization is set per user with auth: oauth");
    }
  }
  if (!o.IsDefined() || o.IsNull()) {
    return;
  }
  if (!o.IsMap()) {
    l.fail(o, w + "oauth", "must be a mapping");
    return;
  }
  const std::string ow = w + "oauth.";
  l.only_keys(o, w + "oauth",
              {"client_id", "client_secret", "client_secret_env", "scopes", "registration",
               "allow_loopback_http"});
  l.get(o, "client_id", ow, up.oauth.client_id);
  l.get(o, "client_secret", ow, up.oauth.client_secret);
  l.get_list(o, "scopes", ow, up.oauth.scopes);
  l.get(o, "registration", ow, up.oauth.registration);
  l.get(o, "allow_loopback_http", ow, up.oauth.allow_loopback_http);
  if (up.oauth.registration != "auto" && up.oauth.registration != "cimd" &&
      up.oauth.registration != "dcr") {
    l.fail(o["registration"], ow + "registration", "must be auto, cimd or dcr");
  }
  std::string secret_env;
  l.get(o, "client_secret_env", ow, secret_env);
  if (!secret_env.empty()) {
    if (!up.oauth.client_secret.empty()) {
      l.fail(o, ow + "client_secret", "give client_secret or client_secret_env, not both");
    } else if (auto secret = read_secret("", secret_env, ow + "client_secret_env"); !secret) {
      l.fail(o, ow + "client_secret_env", secret.error().message);
    } else {
      up.oauth.client_secret = std::move(*secret);
    }
  }
  if (!up.oauth.client_secret.empty() && up.oauth.client_id.empty()) {
    l.fail(o, ow + "client_id", "is required with a client secret");
  }
}

bool valid_upstream_name(const std::string& name) {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  for (const char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
      return false;
    }
  }
  return true;
}

void load_gateway(Loader& l, const YAML::Node& g, Config& c) {
  l.only_keys(g, "gateway", {"separator", "pin_tools", "refresh_interval_ms", "upstreams"});
  if (!g.IsDefined() || g.IsNull() || !g.IsMap()) {
    return;
  }
  gateway::GatewayOptions& o = c.gateway;
  l.get(g, "separator", "gateway.", o.separator);
  l.get(g, "pin_tools", "gateway.", o.pin_tools);
  l.get_ms(g, "refresh_interval_ms", "gateway.", o.refresh_interval);
  if (o.refresh_interval < std::chrono::milliseconds(100)) {
    l.fail(g["refresh_interval_ms"], "gateway.refresh_interval_ms", "must be at least 100");
  }
  if (o.separator.empty() || o.separator.size() > 4) {
    l.fail(g["separator"], "gateway.separator", "must be 1 to 4 characters");
  }
  const YAML::Node ups = g["upstreams"];
  if (!ups.IsSequence() || ups.size() == 0) {
    l.fail(ups, "gateway.upstreams", "must be a non-empty list");
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < ups.size(); ++i) {
    const YAML::Node u = ups[i];
    const std::string where = "gateway.upstreams[" + std::to_string(i) + "]";
    l.only_keys(u, where,
                {"name", "transport", "url", "headers", "command", "args", "env", "inherit_env",
                 "working_dir", "prefix", "include", "exclude", "connect_timeout_ms",
                 "call_timeout_ms", "auth", "oauth"});
    if (!u.IsMap()) {
      continue;
    }
    gateway::UpstreamOptions up;
    const std::string w = where + ".";
    l.get(u, "name", w, up.name);
    if (!valid_upstream_name(up.name)) {
      l.fail(u["name"], w + "name", "must be 1-32 characters of a-z, 0-9, '-' and '_'");
    } else if (!names.insert(up.name).second) {
      l.fail(u["name"], w + "name", "duplicate upstream name '" + up.name + "'");
    }
    std::string transport = "streamable-http";
    l.get(u, "transport", w, transport);
    if (transport == "streamable-http") {
      up.transport = gateway::Transport::kStreamableHttp;
      l.get(u, "url", w, up.url);
      auto url = http::parse_url(up.url);
      if (!url) {
        l.fail(u["url"], w + "url", "must be an http URL: " + url.error().message);
      } else if (url->tls()) {
        l.fail(u["url"], w + "url", "https upstreams are not supported yet");
      }
      const YAML::Node h = u["headers"];
      if (h.IsDefined() && !h.IsNull()) {
        if (!h.IsMap()) {
          l.fail(h, w + "headers", "must be a mapping");
        } else {
          for (const auto& kv : h) {
            const std::string name = kv.first.as<std::string>();
            std::string value;
            get_secret_header(l, kv.second, w + "headers." + name, value);
            up.headers.emplace_back(name, std::move(value));
          }
        }
      }
      for (const char* key : {"command", "args", "env", "working_dir", "inherit_env"}) {
        if (u[key].IsDefined()) {
          l.fail(u[key], w + key, "only for transport: stdio");
        }
      }
      load_upstream_oauth(l, u, w, up);
    } else if (transport == "stdio") {
      up.transport = gateway::Transport::kStdio;
      l.get(u, "command", w, up.command);
      if (up.command.empty()) {
        l.fail(u, w + "command", "is required for transport: stdio");
      }
      l.get_list(u, "args", w, up.args);
      l.get(u, "working_dir", w, up.working_dir);
      l.get(u, "inherit_env", w, up.inherit_env);
      const YAML::Node e = u["env"];
      if (e.IsDefined() && !e.IsNull()) {
        if (!e.IsMap()) {
          l.fail(e, w + "env", "must be a mapping");
        } else {
          for (const auto& kv : e) {
            const std::string name = kv.first.as<std::string>();
            std::string value;
            l.get(e, name.c_str(), w + "env.", value);
            up.env.emplace_back(name, std::move(value));
          }
        }
      }
      for (const char* key : {"url", "headers", "auth", "oauth"}) {
        if (u[key].IsDefined()) {
          l.fail(u[key], w + key, "only for transport: streamable-http");
        }
      }
    } else {
      l.fail(u["transport"], w + "transport", "must be streamable-http or stdio");
    }
    up.prefix = up.name;
    if (u["prefix"].IsDefined()) {
      up.prefix.clear();
      l.get(u, "prefix", w, up.prefix);
    }
    up.has_prefix = !up.prefix.empty();
    l.get_list(u, "include", w, up.include);
    l.get_list(u, "exclude", w, up.exclude);
    l.get_ms(u, "connect_timeout_ms", w, up.connect_timeout);
    l.get_ms(u, "call_timeout_ms", w, up.call_timeout);
    if (up.call_timeout.count() == 0 || up.connect_timeout.count() == 0) {
      l.fail(u, w + "timeouts", "must be positive");
    }
    o.upstreams.push_back(std::move(up));
  }
  o.enabled = !o.upstreams.empty();
}

void load_audit(Loader& l, const YAML::Node& a, Config& c) {
  l.only_keys(a, "audit", {"enabled", "arguments"});
  if (!a.IsDefined() || a.IsNull() || !a.IsMap()) {
    return;
  }
  l.get(a, "enabled", "audit.", c.audit.enabled);
  std::string args = "digest";
  l.get(a, "arguments", "audit.", args);
  if (args != "digest" && args != "full") {
    l.fail(a["arguments"], "audit.arguments", "must be digest or full");
  }
  c.audit.full_arguments = args == "full";
}

void load_scim(Loader& l, const YAML::Node& n, Config& c) {
  l.only_keys(n, "scim", {"enabled", "max_results", "max_body_bytes"});
  if (!n.IsDefined() || n.IsNull() || !n.IsMap()) {
    return;
  }
  l.get(n, "enabled", "scim.", c.scim.enabled);
  std::uint64_t max_results = static_cast<std::uint64_t>(c.scim.max_results);
  l.get_uint(n, "max_results", "scim.", max_results, 10'000);
  if (max_results < 1) {
    l.fail(n["max_results"], "scim.max_results", "must be at least 1");
  }
  c.scim.max_results = static_cast<std::int64_t>(max_results);
  std::uint64_t max_body = c.scim.max_body_bytes;
  l.get_uint(n, "max_body_bytes", "scim.", max_body, 16u << 20);
  c.scim.max_body_bytes = static_cast<std::size_t>(max_body);
}

void load_admin(Loader& l, const YAML::Node& n, Config& c) {
  l.only_keys(n, "admin", {"enabled", "max_page_size", "max_body_bytes", "operator_org"});
  if (!n.IsDefined() || n.IsNull() || !n.IsMap()) {
    return;
  }
  l.get(n, "enabled", "admin.", c.admin.enabled);
  std::uint64_t page = c.admin.max_page_size;
  l.get_uint(n, "max_page_size", "admin.", page, 1000);
  if (page < 1) {
    l.fail(n["max_page_size"], "admin.max_page_size", "must be at least 1");
  }
  c.admin.max_page_size = static_cast<std::size_t>(page);
  std::uint64_t max_body = c.admin.max_body_bytes;
  l.get_uint(n, "max_body_bytes", "admin.", max_body, 1u << 20);
  c.admin.max_body_bytes = static_cast<std::size_t>(max_body);
  l.get(n, "operator_org", "admin.", c.admin.operator_org);
  // Organizations load before this section, so the name can be checked here.
  const auto& orgs = c.auth.organizations;
  if (!store::is_valid_org_id(c.admin.operator_org)) {
    l.fail(n["operator_org"], "admin.operator_org", "is not an organization id");
  } else if (c.admin.operator_org != store::kDefaultOrgId &&
             std::none_of(orgs.begin(), orgs.end(),
                          [&](const auto& org) { return org.id == c.admin.operator_org; })) {
    l.fail(n["operator_org"], "admin.operator_org",
           "names no organization (list it under organizations:)");
  }
}

// `vault:` master_keys: [{version, file | env}], active_master_key, data_dir_key.
void load_vault(Loader& l, const YAML::Node& v, Config& c) {
  l.only_keys(v, "vault", {"master_keys", "active_master_key", "data_dir_key"});
  if (!v.IsDefined() || v.IsNull() || !v.IsMap()) {
    return;
  }
  l.get(v, "data_dir_key", "vault.", c.vault.data_dir_key);
  l.get_uint(v, "active_master_key", "vault.", c.vault.active_master_key, 1u << 30);
  const YAML::Node keys = v["master_keys"];
  if (!keys.IsDefined() || keys.IsNull()) {
    return;
  }
  if (!keys.IsSequence()) {
    l.fail(keys, "vault.master_keys", "must be a list of {version, file | env}");
    return;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const YAML::Node k = keys[i];
    const std::string w = "vault.master_keys[" + std::to_string(i) + "].";
    l.only_keys(k, w.substr(0, w.size() - 1), {"version", "file", "env"});
    if (!k.IsMap()) {
      continue;
    }
    vault::MasterKeySource source;
    l.get_uint(k, "version", w, source.version, 1u << 30);
    l.get(k, "file", w, source.file);
    l.get(k, "env", w, source.env);
    if (source.version < 1) {
      l.fail(k, w + "version", "must be 1 or more");
    }
    if (source.file.empty() == source.env.empty()) {
      l.fail(k, w.substr(0, w.size() - 1), "needs exactly one of file and env");
    }
    c.vault.master_keys.push_back(std::move(source));
  }
}

// `connectors:` [{file, client_id, client_secret | client_secret_env, enabled, resource,
// timeout_ms}].
void load_connectors(Loader& l, const YAML::Node& list, Config& c) {
  if (!list.IsDefined() || list.IsNull()) {
    return;
  }
  if (!list.IsSequence()) {
    l.fail(list, "connectors", "must be a list of {file, client_id, client_secret | client_secret_env}");
    return;
  }
  const auto dir = std::filesystem::path(c.source).parent_path();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string w = "connectors[" + std::to_string(i) + "].";
    l.only_keys(n, w.substr(0, w.size() - 1),
                {"file", "client_id", "client_secret", "client_secret_env", "enabled", "resource",
                 "timeout_ms"});
    if (!n.IsMap()) {
      continue;
    }
    ConnectorConfig cc;
    l.get(n, "file", w, cc.file);
    l.get(n, "client_id", w, cc.client_id);
    l.get(n, "client_secret", w, cc.client_secret);
    l.get(n, "enabled", w, cc.enabled);
    l.get(n, "resource", w, cc.resource);
    l.get_ms(n, "timeout_ms", w, cc.timeout);
    if (n["timeout_ms"].IsDefined() && (cc.timeout.count() < 100 || cc.timeout.count() > 300000)) {
      l.fail(n["timeout_ms"], w + "timeout_ms", "must be between 100 and 300000");
    }
    std::string secret_env;
    l.get(n, "client_secret_env", w, secret_env);
    if (cc.file.empty()) {
      l.fail(n, w + "file", "is required");
    } else if (std::filesystem::path(cc.file).is_relative()) {
      cc.file = (dir / cc.file).lexically_normal().string();
    }
    if (cc.client_id.empty()) {
      l.fail(n, w + "client_id", "is required");
    }
    if (!secret_env.empty()) {
      if (!cc.client_secret.empty()) {
        l.fail(n, w + "client_secret", "give client_secret or client_secret_env, not both");
      } else if (auto secret = read_secret("", secret_env, w + "client_secret_env"); !secret) {
        l.fail(n, w + "client_secret_env", secret.error().message);
      } else {
        cc.client_secret = std::move(*secret);
      }
    }
    c.connectors.push_back(std::move(cc));
  }
}

void finalize_config(Config& c) {
  if (c.public_url.empty()) {
    const bool v6 = c.server.host.find(':') != std::string::npos;
    c.public_url = std::string(c.server.tls_cert_file.empty() ? "http://" : "https://") +
                   (v6 ? "[" + c.server.host + "]" : c.server.host) + ":" +
                   std::to_string(c.server.port);
  }
  while (!c.public_url.empty() && c.public_url.back() == '/') {
    c.public_url.pop_back();
  }
  if (c.auth.issuer.empty()) {
    c.auth.issuer = c.public_url;
  }
  if (c.auth.resources.empty()) {
    c.auth.resources.push_back(c.public_url + c.mcp.path);
  }
  if (c.admin.enabled) {
    const std::string admin = c.public_url + kAdminResourcePath;
    if (std::find(c.auth.resources.begin(), c.auth.resources.end(), admin) ==
        c.auth.resources.end()) {
      c.auth.resources.push_back(admin);
    }
    // The admin scopes permit no MCP tool: they only gate the admin API's operations.
    for (const char* name : {"admin:read", "admin:write"}) {
      const bool known = std::any_of(c.auth.scopes.begin(), c.auth.scopes.end(),
                                     [&](const oauth::ScopeOptions& s) { return s.name == name; });
      if (!known) {
        c.auth.scopes.push_back(oauth::ScopeOptions{name, {}});
        if (std::string_view(name) == "admin:write" && !c.auth.scope_implies.count(name)) {
          c.auth.scope_implies[name] = {"admin:read"};
        }
      }
    }
  }
}

Status parse_listen(std::string_view text, http::ServerOptions& out) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorCode::kInvalidArgument, "expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port = std::string(text.substr(close + 2));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, "expected HOST:PORT");
    }
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
  }
  if (host.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "missing host in HOST:PORT");
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "port must be a number from 0 to 65535");
  }
  out.host = host;
  out.port = static_cast<uint16_t>(p);
  return {};
}

Result<Config> parse_config(std::string_view yaml_text, std::string_view source_name) {
  Config c;
  c.source = std::string(source_name);
  c.text = std::string(yaml_text);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      c.source + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  Loader l(c.source);
  if (root.IsNull() || !root.IsDefined()) {
    return c;
  }
  if (!root.IsMap()) {
    return make_error(ErrorCode::kInvalidArgument, c.source + ": the top level must be a mapping");
  }
  try {
    l.only_keys(root, "", {"server", "mcp", "logging", "data_dir", "store", "auth", "authz",
                           "gateway", "audit", "quotas", "metrics", "vault", "connectors",
                           "organizations", "scim", "admin"});
    load_server(l, root["server"], c);
    load_mcp(l, root["mcp"], c);
    load_logging(l, root["logging"], c);
    l.get(root, "data_dir", "", c.data_dir);
    load_store(l, root["store"], c);
    load_organizations(l, root["organizations"], c);
    load_auth(l, root["auth"], c);
    load_authz(l, root["authz"], c);
    load_gateway(l, root["gateway"], c);
    load_audit(l, root["audit"], c);
    load_scim(l, root["scim"], c);
    load_admin(l, root["admin"], c);
    load_vault(l, root["vault"], c);
    load_connectors(l, root["connectors"], c);
    if (const YAML::Node m = root["metrics"]; m.IsDefined() && !m.IsNull()) {
      l.only_keys(m, "metrics", {"token_file", "token_env"});
      std::string file;
      std::string env;
      if (m.IsMap()) {
        l.get(m, "token_file", "metrics.", file);
        l.get(m, "token_env", "metrics.", env);
      }
      if (file.empty() == env.empty()) {
        l.fail(m, "metrics", "needs exactly one of token_file and token_env");
      } else if (auto token = read_secret(file, env, "metrics token"); !token) {
        l.fail(m, "metrics", token.error().message);
      } else if (token->size() < 32) {
        l.fail(m, "metrics", "the token must be at least 32 characters");
      } else {
        c.metrics_token = std::move(*token);
      }
    }
    if (const YAML::Node q = root["quotas"]; q.IsDefined() && !q.IsNull()) {
      auto rules = quota::parse_quota_rules(q);
      if (rules) {
        c.quotas = std::move(*rules);
      } else {
        l.fail(q, "quotas", rules.error().message);
      }
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, c.source + ": " + e.what());
  }
  MCPGATE_TRY(l.finish());
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound, path + ": cannot open the config file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::string store_url(const StoreConfig& store) {
  if (store.kind == "postgres") {
    return store.url;
  }
  if (store.url.empty() || store.url.rfind("sqlite:", 0) == 0) {
    return store.url;
  }
  return "sqlite:" + store.url;
}

Status override_store_url(Config& config, std::string_view url) {
  MCPGATE_ASSIGN_OR_RETURN(const auto parsed, store::parse_store_url(url));
  config.store.kind = parsed.kind == store::StoreKind::kPostgres ? "postgres" : "sqlite";
  config.store.url = std::string(url);
  return {};
}

Result<store::OpenStoreOptions> store_open_options(const Config& config) {
  store::OpenStoreOptions o;
  o.data_dir = config.data_dir;
  o.pool_size = config.store.pool_size;
  o.statement_timeout_ms = static_cast<int>(config.store.statement_timeout.count());
  if (!config.store.password_file.empty() || !config.store.password_env.empty()) {
    MCPGATE_ASSIGN_OR_RETURN(o.password,
                             read_secret(config.store.password_file, config.store.password_env,
                                         config.store.password_file.empty() ? "store.password_env"
                                                                            : "store.password_file"));
  }
  return o;
}

// Every enabled connector's definition loads and validates (the same checks as `mcpgate check
// --connector`); ids are unique; the connect pages need the gate's login (auth on).
Status check_connectors(const Config& config) {
  std::set<std::string> ids;
  for (const auto& cc : config.connectors) {
    if (!cc.enabled) {
      continue;
    }
    if (!config.auth.enabled) {
      return make_error(ErrorCode::kFailedPrecondition,
                        config.source + ": connectors: need the `auth:` section (users sign in to "
                        "the gate before connecting their accounts)");
    }
    auto def = connectors::load_connector_file(cc.file);
    if (!def) {
      return make_error(ErrorCode::kInvalidArgument,
                        config.source + ": connectors: " + def.error().message);
    }
    if (!ids.insert(def->id).second) {
      return make_error(ErrorCode::kInvalidArgument,
                        config.source + ": connectors: connector id '" + def->id + "' appears twice");
    }
    if (def->oauth.client_auth != connectors::ClientAuth::kNone && cc.client_secret.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        config.source + ": connectors: " + def->id +
                            " needs client_secret or client_secret_env (its client_auth is not none)");
    }
  }
  return {};
}

Status check_deployment(const Config& config) {
  const bool tls = !config.server.tls_cert_file.empty();
  if (!tls && !config.insecure_http && !http::is_loopback_host(config.server.host)) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "refusing to serve plain HTTP on non-loopback address " + config.server.host +
                          ": configure server.tls (cert_file, key_file), bind 127.0.0.1, or set "
                          "server.insecure_http: true if a TLS proxy in front handles it");
  }
  if (!config.auth.enabled && !config.auth_disabled_explicitly
      && !http::is_loopback_host(config.server.host)) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "refusing to serve the MCP endpoint without authentication on non-loopback "
                      "address " + config.server.host + ": add an `auth:` section (or write "
                      "`auth: {enabled: false}` if a proxy in front authenticates every request)");
  }
  if (config.auth.enabled) {
    if (auto st = oauth::validate_auth_options(config.auth); !st) {
      return make_error(ErrorCode::kInvalidArgument,
                        config.source + ": auth: " + st.error().message);
    }
  }
  if (auto st = check_connectors(config); !st) {
    return st;
  }
  for (const auto& set : config.mcp.tool_sets) {
    if (set != "demo" && set != "conformance") {
      return make_error(ErrorCode::kInvalidArgument,
                        config.source + ": mcp.tool_sets: unknown tool set '" + set +
                            "' (known: demo, conformance)");
    }
  }
  return {};
}

}  // namespace mcpgate::app
