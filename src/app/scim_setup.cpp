#include "app/scim_setup.hpp"

#include <utility>

#include "app/policy_stack.hpp"
#include "core/log.hpp"
#include "provision/scim_routes.hpp"
#include "provision/scim_service.hpp"

namespace mcpgate::app {

void mount_scim(http::Router& router, const Config& config, store::Store& store,
                store::Executor& executor, oauth::UserDeprovisioning& deprovisioning) {
  if (!config.scim.enabled) {
    return;
  }
  provision::ScimServiceOptions options;
  options.base_url = config.public_url + provision::kScimBasePath;
  options.max_results = config.scim.max_results;
  // Memberships become tuples of the directory's organization's policy store, which that
  // organization's engine reads (policy_stack.cpp): never another organization's.
  options.policy_store_for = [store_name = config.authz.store_name](std::string_view org_id) {
    return org_policy_store_id(store_name, org_id);
  };
  // Both run on the store executor (the SCIM service is blocking code), as deprovisioning wants.
  options.on_user_deactivated = [&deprovisioning](const std::string& user_id) -> Status {
    MCPGATE_ASSIGN_OR_RETURN(auto report, deprovisioning.deactivate(user_id));
    log::info("scim_access_revoked",
              {{"user_id", user_id}, {"revoked_count", report.revoked.size()}});
    return {};
  };
  options.on_user_reactivated = [&deprovisioning](const std::string& user_id) -> Status {
    MCPGATE_TRY(deprovisioning.reactivate(user_id));
    return {};
  };
  auto service = std::make_shared<provision::ScimService>(store, std::move(options));
  provision::ScimRoutesOptions routes;
  routes.max_body_bytes = config.scim.max_body_bytes;
  provision::mount_scim_routes(router, std::move(service), executor, routes);
  log::info("scim", {{"base_url", config.public_url + provision::kScimBasePath}});
}

}  // namespace mcpgate::app
