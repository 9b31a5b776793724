#include "app/admin_setup.hpp"

#include <stdexcept>
#include <utility>

#include "admin/admin_api.hpp"
#include "admin/admin_mcp.hpp"
#include "admin/admin_service.hpp"
#include "admin/authorizer.hpp"
#include "admin/operations.hpp"
#include "app/call_audit.hpp"
#include "core/log.hpp"

namespace mcpgate::app {
namespace {

bool is_admin_scope(std::string_view name) {
  return name == admin::kReadScope || name == admin::kWriteScope;
}

oauth::AuthOptions filter_scopes(const oauth::AuthOptions& auth, bool admin) {
  oauth::AuthOptions out = auth;
  out.scopes.clear();
  for (const auto& s : auth.scopes) {
    if (is_admin_scope(s.name) == admin) {
      out.scopes.push_back(s);
    }
  }
  out.scope_implies.clear();
  for (const auto& [scope, implied] : auth.scope_implies) {
    if (is_admin_scope(scope) != admin) {
      continue;
    }
    std::vector<std::string> kept;
    for (const auto& i : implied) {
      if (is_admin_scope(i) == admin) {
        kept.push_back(i);
      }
    }
    out.scope_implies[scope] = std::move(kept);
  }
  return out;
}

// "https://h:p/admin" -> "https://h:p/.well-known/oauth-protected-resource/admin" (RFC 9728).
std::string admin_metadata_url(const Config& config) {
  return config.public_url + "/.well-known/oauth-protected-resource" + kAdminResourcePath;
}

}  // namespace

oauth::AuthOptions without_admin_scopes(const oauth::AuthOptions& auth) {
  return filter_scopes(auth, false);
}

oauth::AuthOptions only_admin_scopes(const oauth::AuthOptions& auth) {
  return filter_scopes(auth, true);
}

Result<std::shared_ptr<oauth::BearerGuard>> make_admin_guard(const Config& config,
                                                             oauth::AuthorizationServer& as,
                                                             store::Store& store,
                                                             store::Executor& executor) {
  oauth::BearerGuardOptions o;
  o.issuer = as.issuer();
  o.resource = config.public_url + kAdminResourcePath;
  o.resource_metadata_url = admin_metadata_url(config);
  oauth::AuthorizationServer* server = &as;
  auto guard = std::make_shared<oauth::BearerGuard>(
      o, [server] { return server->verification_keys(); },
      oauth::ScopeSet(only_admin_scopes(config.auth)));
  guard->check_organizations(store, executor);
  MCPGATE_TRY(guard->load_revocations(store));
  return guard;
}

void mount_admin(http::Router& router, const Config& config, AdminDeps deps) {
  admin::AdminServiceOptions so;
  // A grant revoked through the API: both guards of this process refuse its tokens at once
  // (other replicas poll the store's revocation list).
  so.on_revoked = [mcp = deps.mcp_guard, adm = deps.admin_guard](
                      const std::vector<store::RevokedToken>& entries) {
    if (mcp) {
      mcp->revoke(entries);
    }
    if (adm) {
      adm->revoke(entries);
    }
  };
  auto service = std::make_shared<admin::AdminService>(*deps.store, deps.as->deprovisioning(),
                                                       std::move(so));
  auto handlers = std::make_shared<admin::OperationHandlers>();
  admin::bind_user_operations(*handlers, service);
  if (const auto missing = handlers->missing(); !missing.empty()) {
    throw std::logic_error("admin operation without a handler: " + missing.front());
  }
  admin::RunnerOptions rules;
  rules.pages.max_page_size = config.admin.max_page_size;
  rules.operator_org = config.admin.operator_org;
  auto authorizer = std::make_shared<const admin::EngineAdminAuthorizer>(std::move(deps.stores));
  auto runner = std::make_shared<admin::OperationRunner>(deps.as->scopes(), authorizer,
                                                         std::move(handlers), rules);
  if (deps.audit_log) {
    runner->set_observer(admin_call_observer(deps.audit_log));
  }
  admin::AdminApiOptions ao;
  ao.max_body_bytes = config.admin.max_body_bytes;
  ao.public_url = config.public_url;
  ao.resource = config.public_url + kAdminResourcePath;
  ao.issuer = deps.as->issuer();
  auto api = std::make_shared<const admin::AdminApi>(deps.admin_guard, runner,
                                                     *deps.executor, std::move(ao));
  admin::mount_admin_api(router, std::move(api));

  // The same operations as MCP tools, behind the same guard and runner.
  auto tools = std::make_shared<admin::AdminTools>();
  tools->runner = runner;
  tools->executor = deps.executor;
  admin::ApprovalBookOptions bo;
  bo.public_url = config.public_url;
  tools->approvals = std::make_shared<const admin::StoreApprovalBook>(*deps.store, std::move(bo));
  admin::AdminMcpOptions mo;
  mo.server_version = config.mcp.endpoint.server_version;
  mo.allowed_origins = config.mcp.endpoint.allowed_origins;
  admin::mount_admin_mcp(
      router, admin::make_admin_mcp_endpoint(deps.admin_guard, std::move(tools), mo));
  admin::ApprovalPagesDeps pages;
  pages.store = deps.store;
  pages.executor = deps.executor;
  pages.auth = deps.as;
  pages.authorizer = authorizer;
  admin::mount_approval_pages(router, std::move(pages));
  log::info("admin_api", {{"base_url", config.public_url + std::string(admin::kApiBase)},
                          {"mcp_url", config.public_url + std::string(admin::kMcpPath)},
                          {"resource", config.public_url + kAdminResourcePath}});
}

}  // namespace mcpgate::app
