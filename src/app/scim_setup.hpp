#pragma once
// SCIM provisioning's running parts (src/provision): the service on the server's store and its
// routes under /scim/v2, and what deactivating a provisioned user does to their access.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {

// Tells this process's token checks about new revocations at once (other replicas poll).
using RevocationSink = std::function<void(const std::vector<store::RevokedToken>&)>;

// The one path a SCIM deactivation or deletion takes (ATTACKS row 75): the gate user is
// disabled (no login, no code or refresh-token redemption) and every grant of theirs is revoked
// — refresh-token families, unconsumed codes, and live access tokens put on the revocation list,
// which `revoked` hands to this process's guard (other replicas read it from the store within
// their poll interval, at once on PostgreSQL's notification).
Status on_user_deactivated(store::Store& store, const RevocationSink& revoked,
                           const std::string& user_id, store::Timestamp now);

// Mounts /scim/v2 when config.scim.enabled.
void mount_scim(http::Router& router, const Config& config, store::Store& store,
                store::Executor& executor, RevocationSink revoked);

}  // namespace mcpgate::app
