#pragma once
// SCIM provisioning's running parts (src/provision): the service on the server's store and its
// routes under /scim/v2, and what deactivating a provisioned user does to their access.

#include <memory>
#include <string>

#include "app/config.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "oauth/deprovisioning.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {

// Mounts /scim/v2 when config.scim.enabled. A SCIM deactivation or deletion of a user goes
// through `deprovisioning` (ATTACKS row 75: the one way a user is cut off — sessions, grants,
// refresh families and live access tokens on every replica, vault connections suspended); a
// reactivation lifts it.
void mount_scim(http::Router& router, const Config& config, store::Store& store,
                store::Executor& executor, oauth::UserDeprovisioning& deprovisioning);

}  // namespace mcpgate::app
