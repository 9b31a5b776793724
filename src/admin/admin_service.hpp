#pragma once
// The Admin API's operations on the store (issue 9 item 1), without HTTP: each returns the JSON
// the API answers with, or an Error (admin_error_response maps it). Blocking: run them on the
// store::Executor.
//
// Organization isolation: every operation takes the caller's organization, and an object of
// another organization is kNotFound, exactly as a missing one (an admin of acme cannot learn
// that a user of default exists). Clients are registrations of the gate, not of one
// organization, so listClients shows them all (metadata only; no secret or its hash ever).
//
// Deactivation and reactivation go through oauth::UserDeprovisioning, the one way a user is cut
// off (sessions, grants, refresh families, live access tokens on every replica, vault
// connections). A revoked grant's access tokens are told to `on_revoked` (this process's bearer
// guards) at once; other replicas learn them from the store's revocation list.
//
// Lists are keyset-paged (handlers.hpp: Page). bind_user_operations() registers these as the
// handlers of the users, grants and clients operations.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/handlers.hpp"
#include "core/result.hpp"
#include "oauth/deprovisioning.hpp"
#include "oauth/options.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

using Json = nlohmann::json;

struct AdminServiceOptions {
  // Access tokens a grant revocation put on the revocation list (this process's guards).
  std::function<void(const std::vector<store::RevokedToken>&)> on_revoked;
  oauth::Clock clock;  // unix seconds; default oauth::system_now
};

class AdminService {
 public:
  AdminService(store::Store& store, oauth::UserDeprovisioning& deprovisioning,
               AdminServiceOptions options = {});

  const AdminServiceOptions& options() const { return options_; }

  Result<Json> list_users(std::string_view org, const Page& page);
  Result<Json> get_user(std::string_view org, std::string_view user_id);
  // kFailedPrecondition when `actor` deactivates themselves (an organization must not lock its
  // own last administrator out by mistake).
  Result<Json> deactivate_user(std::string_view org, std::string_view actor,
                               std::string_view user_id);
  Result<Json> reactivate_user(std::string_view org, std::string_view user_id);
  Result<Json> list_user_grants(std::string_view org, std::string_view user_id, const Page& page);
  Result<Json> revoke_user_grant(std::string_view org, std::string_view user_id,
                                 std::string_view grant_id);
  Result<Json> list_clients(const Page& page);

  static Json user_json(const store::User& user);
  static Json client_json(const store::Client& client);

 private:
  // The user, when it exists and belongs to `org`; kNotFound otherwise.
  Result<store::User> user_in(std::string_view org, std::string_view user_id);

  store::Store& store_;
  oauth::UserDeprovisioning& deprovisioning_;
  AdminServiceOptions options_;
};

// Revokes `grant` with its refresh tokens, unconsumed codes and live access tokens (one store
// transaction), tells this process's guards (options.on_revoked), and answers the RevokeResult
// JSON. The one path of revokeUserGrant and revokeSession.
Result<Json> revoke_grant_and_tell(store::Store& store, const AdminServiceOptions& options,
                                   const store::Grant& grant);

// The handlers of listUsers, getUser, deactivateUser, reactivateUser, listUserGrants,
// revokeUserGrant and listClients.
void bind_user_operations(OperationHandlers& handlers, std::shared_ptr<AdminService> service);

}  // namespace mcpgate::admin
