#include "app/scim_setup.hpp"

#include <chrono>
#include <utility>

#include "app/policy_stack.hpp"
#include "core/log.hpp"
#include "provision/scim_routes.hpp"
#include "provision/scim_service.hpp"

namespace mcpgate::app {

Status on_user_deactivated(store::Store& store, const RevocationSink& revoked,
                           const std::string& user_id, store::Timestamp now) {
  MCPGATE_TRY(store.set_user_disabled(user_id, true));
  MCPGATE_ASSIGN_OR_RETURN(auto entries, store.revoke_user_grants(user_id, now));
  if (revoked) {
    revoked(entries);
  }
  log::info("scim_access_revoked", {{"user_id", user_id}, {"revoked_count", entries.size()}});
  return {};
}

void mount_scim(http::Router& router, const Config& config, store::Store& store,
                store::Executor& executor, RevocationSink revoked) {
  if (!config.scim.enabled) {
    return;
  }
  provision::ScimServiceOptions options;
  options.base_url = config.public_url + provision::kScimBasePath;
  options.max_results = config.scim.max_results;
  // Memberships become tuples of the policy store the authz engine reads (policy_stack.cpp).
  options.policy_store_id = policy_store_id(config.authz.store_name);
  options.on_user_deactivated = [&store, revoked = std::move(revoked)](const std::string& user_id) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return on_user_deactivated(store, revoked, user_id, now);
  };
  auto service = std::make_shared<provision::ScimService>(store, std::move(options));
  provision::ScimRoutesOptions routes;
  routes.max_body_bytes = config.scim.max_body_bytes;
  provision::mount_scim_routes(router, std::move(service), executor, routes);
  log::info("scim", {{"base_url", config.public_url + provision::kScimBasePath}});
}

}  // namespace mcpgate::app
