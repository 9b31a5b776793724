#include "oauth/options.hpp"

#include <chrono>
#include <set>

#include "core/ascii.hpp"
#include "http/client.hpp"
#include "oauth/client_registry.hpp"
#include "oauth/redirect_uri.hpp"
#include "oauth/resource_indicator.hpp"
#include "oauth/scopes.hpp"
#include "store/types.hpp"

namespace mcpgate::oauth {

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status validate_auth_options(const AuthOptions& o) {
  std::vector<std::string> problems;
  auto problem = [&](std::string text) { problems.push_back(std::move(text)); };

  // issuer
  {
    auto url = http::parse_url(o.issuer);
    if (!url) {
      problem("auth.issuer must be an absolute http(s) URL: " + url.error().message);
    } else if (o.issuer.find('?') != std::string::npos) {
      problem("auth.issuer must not have a query");
    } else if (!o.issuer.empty() && o.issuer.back() == '/') {
      problem("auth.issuer must not end with '/'");
    }
  }
  // resources
  if (o.resources.empty()) {
    problem("auth.resources must name at least one resource");
  }
  std::set<std::string> canonical;
  for (const auto& r : o.resources) {
    auto c = canonicalize_resource(r);
    if (!c) {
      problem("auth.resources: " + r + ": " + c.error().message);
    } else if (!canonical.insert(*c).second) {
      problem("auth.resources: " + r + " is listed twice");
    }
  }
  validate_sso_organizations(o.sso, problems);
  // lifetimes
  if (o.access_token_ttl_s <= 0 || o.access_token_ttl_s > kMaxAccessTokenTtl) {
    problem("auth.access_token_ttl_s must be in 1..900");
  }
  if (o.refresh_token_ttl_s <= 0) {
    problem("auth.refresh_token_ttl_s must be positive");
  }
  if (o.refresh_idle_ttl_s <= 0) {
    problem("auth.refresh_idle_ttl_s must be positive");
  }
  if (o.code_ttl_s <= 0 || o.code_ttl_s > 600) {
    problem("auth.code_ttl_s must be in 1..600");
  }
  if (o.login_session_ttl_s <= 0) {
    problem("auth.login_session_ttl_s must be positive");
  }
  if (o.dcr.registrations_per_minute < 0) {
    problem("auth.dcr.registrations_per_minute must not be negative");
  }
  // scopes
  std::set<std::string> scope_names;
  for (const auto& s : o.scopes) {
    if (!valid_scope_token(s.name)) {
      problem("auth.scopes: '" + s.name + "' is not a valid scope name");
    } else if (!scope_names.insert(s.name).second) {
      problem("auth.scopes: " + s.name + " is listed twice");
    }
  }
  for (const auto& [scope, implied] : o.scope_implies) {
    if (scope_names.count(scope) == 0) {
      problem("auth.scope_implies: " + scope + " is not a configured scope");
    }
    for (const auto& i : implied) {
      if (scope_names.count(i) == 0) {
        problem("auth.scope_implies: " + scope + " implies unknown scope " + i);
      }
    }
  }
  // static clients
  std::set<std::string> client_ids;
  for (const auto& c : o.clients) {
    const std::string where = "auth.clients[" + c.client_id + "]";
    if (c.client_id.empty() || c.client_id.size() > 255) {
      problem("auth.clients: client_id must be 1..255 characters");
    } else if (looks_like_url(c.client_id)) {
      problem(where + ": client_id must not look like a URL (URLs are CIMD client ids)");
    } else if (!client_ids.insert(c.client_id).second) {
      problem(where + ": listed twice");
    }
    if (c.redirect_uris.empty()) {
      problem(where + ": redirect_uris must not be empty");
    }
    for (const auto& uri : c.redirect_uris) {
      if (auto st = validate_redirect_uri(uri); !st) {
        problem(where + ": redirect URI " + uri + ": " + st.error().message);
      }
    }
    const std::string& m = c.token_endpoint_auth_method;
    if (!m.empty() && m != kAuthNone && m != kAuthSecretBasic && m != kAuthSecretPost) {
      problem(where + ": token_endpoint_auth_method must be none, client_secret_basic or client_secret_post");
    }
    if (m == kAuthNone && !c.client_secret.empty()) {
      problem(where + ": a client with a secret cannot use token_endpoint_auth_method none");
    }
    if ((m == kAuthSecretBasic || m == kAuthSecretPost) && c.client_secret.empty()) {
      problem(where + ": " + m + " needs a client_secret");
    }
  }
  // organizations
  std::set<std::string> org_ids{store::kDefaultOrgId};
  std::set<std::string> domains;
  std::set<std::string> listed_orgs;
  for (const auto& org : o.organizations) {
    if (!store::is_valid_org_id(org.id)) {
      problem("organizations: '" + org.id
              + "' is not an organization id (a-z, 0-9 and '-', 1-63, not starting with '-')");
    } else if (!listed_orgs.insert(org.id).second) {
      problem("organizations: " + org.id + " is listed twice");
    }
    org_ids.insert(org.id);
    for (const auto& d : org.domains) {
      if (!domains.insert(d).second) {
        problem("organizations: domain " + d + " belongs to more than one organization");
      }
    }
  }
  // users
  std::set<std::pair<std::string, std::string>> usernames;
  for (const auto& u : o.users) {
    if (u.username.empty()) {
      problem("auth.users: a user has no username");
    } else if (!usernames.insert({u.org, ascii::to_lower(u.username)}).second) {
      problem("auth.users: " + u.username + " is listed twice");
    }
    if (org_ids.count(u.org) == 0) {
      problem("auth.users: " + u.username + ": unknown organization '" + u.org + "'");
    }
    if (u.password.empty()) {
      problem("auth.users: " + u.username + " has no password");
    }
    if (u.id.find('#') != std::string::npos) {
      // '#' marks the gate's own vault rows (app/oauth_upstreams: its registrations upstream).
      problem("auth.users: " + u.username + ": id must not contain '#'");
    }
  }

  if (problems.empty()) {
    return {};
  }
  std::string message;
  for (const auto& p : problems) {
    if (!message.empty()) {
      message += "; ";
    }
    message += p;
  }
  return make_error(ErrorCode::kInvalidArgument, message);
}

}  // namespace mcpgate::oauth
