#pragma once
// The Admin API's running parts (src/admin, issue 9): its own bearer guard (audience: the admin
// resource, public_url + "/admin"), the per-organization least-privilege checks on the policy
// stores, the service on the server's store, and the routes /admin/openapi.json and
// /admin/api/v1/...

#include <functional>
#include <memory>
#include <vector>

#include "app/admin_runtime.hpp"
#include "app/config.hpp"
#include "audit/audit_log.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/bearer_guard.hpp"
#include "mcp/tool.hpp"
#include "policy/org_stores.hpp"
#include "policy/tool_authorizer.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {

// auth.scopes without the admin scopes: what the MCP endpoint's guard announces in its
// challenge (an MCP client has no business asking for admin:write).
oauth::AuthOptions without_admin_scopes(const oauth::AuthOptions& auth);
// Only the admin scopes (the admin guard's challenge names them).
oauth::AuthOptions only_admin_scopes(const oauth::AuthOptions& auth);

// The bearer guard of the admin resource, fed by the same revocations as the MCP guard.
// Blocking (loads the revocation list).
Result<std::shared_ptr<oauth::BearerGuard>> make_admin_guard(const Config& config,
                                                             oauth::AuthorizationServer& as,
                                                             store::Store& store,
                                                             store::Executor& executor);

struct AdminDeps {
  store::Store* store = nullptr;
  store::Executor* executor = nullptr;
  oauth::AuthorizationServer* as = nullptr;
  std::shared_ptr<oauth::BearerGuard> admin_guard;
  std::shared_ptr<oauth::BearerGuard> mcp_guard;
  policy::OrgStores stores;
  RuntimeParts runtime;  // upstreams, vault, status (admin_runtime.hpp)
  // The tamper-evident audit log (audit.enabled): every admin call of every channel is recorded
  // there (app/call_audit.hpp admin_call_observer); null = the admin_call log line only.
  std::shared_ptr<audit::AuditLog> audit_log;
  // The tools the gate serves and the tool-level policy (getAgentAccess: an agent's blast
  // radius). Without an authorizer getAgentAccess answers 409.
  std::function<std::vector<mcp::Tool>()> tools;
  std::shared_ptr<const policy::EngineToolAuthorizer> tool_authorizer;
};

// Mounts the Admin API, the admin MCP server at /admin/mcp and the web console at
// /admin/console (config.admin.enabled; the caller
// checked auth and authz are on).
void mount_admin(http::Router& router, const Config& config, AdminDeps deps);

}  // namespace mcpgate::app
