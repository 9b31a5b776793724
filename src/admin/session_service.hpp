#pragma once
// Sessions for the Admin API (issue 9): an agent's live authorization in the caller's
// organization — one grant with its refresh-token family and access tokens. Listing is
// organization-wide (optionally one user's or one client's), keyset-paged by grant id. Revoking
// goes the way revokeUserGrant goes (revoke_grant_and_tell): the grant, its refresh tokens and
// codes, its live access tokens on the revocation list, and this process's guards told at once.
// Another organization's session answers exactly as a missing one. Blocking: store executor.

#include <memory>
#include <string>
#include <string_view>

#include "admin/admin_service.hpp"
#include "admin/handlers.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

class SessionService {
 public:
  SessionService(store::Store& store, AdminServiceOptions options);

  Result<Json> list(std::string_view org, std::string_view user_id, std::string_view client_id,
                    const Page& page);
  Result<Json> get(std::string_view org, std::string_view session_id);
  Result<Json> revoke(std::string_view org, std::string_view session_id);

 private:
  // One session as the API shows it; `names` caches client and user names within one answer.
  struct Names;
  Json session_json(const store::Session& s, Names& names);

  store::Store& store_;
  AdminServiceOptions options_;
};

// The handlers of listSessions, getSession and revokeSession.
void bind_session_operations(OperationHandlers& handlers, std::shared_ptr<SessionService> service);

}  // namespace mcpgate::admin
