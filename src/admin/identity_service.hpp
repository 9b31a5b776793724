#pragma once
// The Admin API's organization, groups, client-registration and signing-key operations
// (issue 9), without HTTP. Each returns the JSON the API answers with, or an Error.
// Blocking: run them on the store::Executor.
//
//   * getOrganization — the caller's own organization: name, email domains, sign-in settings,
//     whether SSO is configured, and counts (users, disabled users, live sessions, groups).
//   * listGroups / getGroup — the organization's SCIM groups with their members (another
//     organization's group is kNotFound, like a missing one). Groups are paged by position:
//     the store pages SCIM resources by offset (the SCIM protocol's startIndex), and the cursor
//     carries that offset.
//   * getClient / disableClient / enableClient — gate-wide (the runner lets only the operator
//     organization call them). Registration metadata without any secret or hash; for a CIMD
//     client, the document's URL and when the gate fetched it. Disabling revokes every live
//     grant of the client in the same store transaction (refresh tokens, codes, access tokens
//     onto the revocation list) and tells this process's guards; the authorization server
//     refuses a disabled client at /authorize, /token (code, refresh, client authentication),
//     registration management and introspection (it is "unknown").
//   * listSigningKeys / rotateSigningKey — gate-wide. Public facts only (kid, alg, state,
//     times, public JWK); rotation is `mcpgate keys rotate` (oauth::rotate_signing_keys), and
//     this process's key snapshot is reloaded at once (options.on_keys_rotated); other
//     replicas pick the change up on their next key refresh (every minute), as with the CLI.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "admin/admin_service.hpp"
#include "admin/handlers.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

struct IdentityServiceOptions {
  AdminServiceOptions admin;  // on_revoked and clock
  // Whether the organization signs in through an identity provider (from the configuration).
  std::function<bool(std::string_view org_id)> sso_configured;
  // After a rotation: reload this process's signing keys (AuthorizationServer::
  // reload_signing_keys). Unset: nothing to reload (tests).
  std::function<Status()> on_keys_rotated;
};

class IdentityService {
 public:
  IdentityService(store::Store& store, IdentityServiceOptions options);

  Result<Json> get_organization(std::string_view org);
  // Every organization, ordered by id, paged by id (gate-wide: the runner lets only callers of
  // the operator organization in).
  Result<Json> list_organizations(const Page& page);
  Result<Json> list_groups(std::string_view org, const Page& page);
  Result<Json> get_group(std::string_view org, std::string_view group_id);

  Result<Json> get_client(std::string_view client_id);
  Result<Json> set_client_disabled(std::string_view client_id, bool disabled);

  Result<Json> list_signing_keys();
  Result<Json> rotate_signing_key();

 private:
  // One organization as getOrganization answers it (settings, SSO, counts).
  Result<Json> organization_json(const store::Organization& row);

  store::Store& store_;
  IdentityServiceOptions options_;
};

// The handlers of getOrganization, listOrganizations, listGroups, getGroup, getClient, disableClient,
// enableClient, listSigningKeys and rotateSigningKey.
void bind_identity_operations(OperationHandlers& handlers, std::shared_ptr<IdentityService> service);

}  // namespace mcpgate::admin
