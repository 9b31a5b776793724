#include "app/admin_setup.hpp"

#include <set>
#include <stdexcept>
#include <utility>

#include "admin/admin_api.hpp"
#include "admin/admin_mcp.hpp"
#include "admin/admin_service.hpp"
#include "admin/audit_service.hpp"
#include "admin/authorizer.hpp"
#include "admin/bootstrap.hpp"
#include "admin/identity_service.hpp"
#include "admin/insight_service.hpp"
#include "admin/operations.hpp"
#include "admin/policy_admin.hpp"
#include "admin/session_service.hpp"
#include "console/console.hpp"
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
  auto handlers = std::make_shared<admin::OperationHandlers>();
  admin::bind_session_operations(*handlers,
                                 std::make_shared<admin::SessionService>(*deps.store, so));
  admin::IdentityServiceOptions io;
  io.admin = so;
  std::set<std::string, std::less<>> sso_orgs;
  for (const auto& org : config.auth.sso) {
    sso_orgs.insert(org.org_id);
  }
  io.sso_configured = [sso_orgs](std::string_view org) { return sso_orgs.count(org) > 0; };
  io.on_keys_rotated = [as = deps.as] { return as->reload_signing_keys(); };
  admin::bind_identity_operations(*handlers,
                                  std::make_shared<admin::IdentityService>(*deps.store, io));
  admin::bind_audit_operations(*handlers, std::make_shared<admin::AuditService>(*deps.store));
  auto service = std::make_shared<admin::AdminService>(*deps.store, deps.as->deprovisioning(),
                                                       std::move(so));
  admin::bind_user_operations(*handlers, service);
  admin::bind_policy_operations(*handlers, deps.stores);
  admin::bind_runtime_operations(*handlers, runtime_sources(config, std::move(deps.runtime)));
  {
    admin::InsightDeps insight;
    insight.store = deps.store;
    insight.tools = deps.tools;
    insight.authorizer = deps.tool_authorizer;
    insight.operator_org = config.admin.operator_org;
    if (deps.mcp_guard) {
      // The MCP endpoint's own scope rule: a token with these scopes may call the tool.
      insight.scope_permits = [guard = deps.mcp_guard](const std::vector<std::string>& scopes,
                                                       std::string_view tool) {
        mcp::Caller c;
        c.scopes = scopes;
        return guard->may_call(c, tool);
      };
    }
    admin::bind_insight_operations(*handlers, std::move(insight));
  }
  if (const auto missing = handlers->missing(); !missing.empty()) {
    throw std::logic_error("admin operation without a handler: " + missing.front());
  }
  // The bootstrap admin credential (admin/bootstrap.hpp): made only while the operator
  // organization has no administrator.
  if (const auto* op = policy::find_org_store(deps.stores, config.admin.operator_org)) {
    admin::BootstrapOptions bo;
    bo.operator_org = config.admin.operator_org;
    bo.data_dir = config.data_dir;
    auto credential = admin::BootstrapCredential::start(bo, op->service);
    if (credential) {
      admin::mount_bootstrap(router, std::move(*credential), *deps.store, *deps.executor);
    } else {
      // No credential: the first administrator is then granted with a tuple, as before.
      log::error("admin_bootstrap_unavailable", {{"error", credential.error().message}});
    }
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
  auto api = std::make_shared<const admin::AdminApi>(deps.admin_guard, runner, *deps.executor,
                                                     std::move(ao));
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
  console::ConsoleOptions co;
  co.logout_url = deps.as->issuer() + "/logout";
  co.origin = deps.as->origin();
  console::mount_console(router, std::make_shared<const console::Console>(
                                     deps.as, std::move(runner), *deps.executor, std::move(co)));
  log::info("admin_api", {{"base_url", config.public_url + std::string(admin::kApiBase)},
                          {"console", config.public_url + std::string(console::kBase)},
                          {"mcp_url", config.public_url + std::string(admin::kMcpPath)},
                          {"resource", config.public_url + kAdminResourcePath}});
}

}  // namespace mcpgate::app
