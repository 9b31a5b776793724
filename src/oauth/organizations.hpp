#pragma once
// Organizations (tenants) as the authorization server sees them: the configured list
// (`organizations:`) as store rows, and the questions sign-in asks of it — which organization
// an identifier signs in to (home-realm discovery by email domain), whether that organization
// accepts passwords, and whether it allows a client.
//
// The configuration is the source: it is upserted into the store at start
// (sync_organizations) so other processes and modules (SCIM, SSO) find the rows, and the
// directory answers from memory (no store read per sign-in).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "oauth/options.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

// The store's settings JSON of an organization:
// {"domains": [...], "password_login": b, "jit": b,
//  "clients": {"allow_dcr": b, "allow_cimd": b, "allowed": [...]}}  ("allowed" only when given).
nlohmann::json organization_settings(const OrganizationOptions& org);

// The reverse, for a row read from the store; members that are missing or of the wrong type
// take their defaults, unknown members are ignored (other modules add their own).
OrganizationOptions organization_from_store(const store::Organization& row);

// Upserts the default organization and every configured one (name and settings from the file;
// the default organization's defaults when it is not listed). Organizations no longer listed
// keep their rows (users may still refer to them). Blocking: call before serving or from the
// CLI.
Status sync_organizations(store::Store& store, const AuthOptions& options, std::int64_t now);

// The email domain of a sign-in identifier "name@domain", lower-cased; "" when the identifier
// has no '@', nothing before or after the last one.
std::string identifier_domain(std::string_view identifier);

class OrganizationDirectory {
 public:
  // The configured organizations; the default one is added when not listed.
  explicit OrganizationDirectory(const std::vector<OrganizationOptions>& organizations);

  // The organization an identifier signs in to: the one owning its email domain, else the
  // default organization. The hook for home-realm discovery (the SSO sign-in uses it too).
  const OrganizationOptions& resolve_identifier(std::string_view identifier) const;

  // nullptr for an id that is not configured.
  const OrganizationOptions* find(std::string_view org_id) const;

  const OrganizationOptions& default_organization() const;
  const std::vector<OrganizationOptions>& all() const { return organizations_; }

 private:
  std::vector<OrganizationOptions> organizations_;  // the default one first
};

// Whether an organization's client policy allows the client (see OrgClientPolicy).
enum class ClientOrigin { kStatic, kDcr, kCimd };
bool organization_allows_client(const OrganizationOptions& org, std::string_view client_id,
                                ClientOrigin origin);

}  // namespace mcpgate::oauth
