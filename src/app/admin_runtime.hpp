#pragma once
// The Admin API's view of the running process (issue 9): what only serve() holds — the
// gateway, the vault, the signing keys, the start time, the reload counts — handed to the
// runtime operations (admin/runtime_admin.hpp) as functions.

#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "admin/runtime_admin.hpp"
#include "app/call_quota.hpp"
#include "app/config.hpp"
#include "app/connector_setup.hpp"
#include "gateway/gateway.hpp"
#include "oauth/authorization_server.hpp"
#include "store/store.hpp"
#include "vault/vault.hpp"

namespace mcpgate::app {

struct RuntimeParts {
  store::Store* store = nullptr;
  oauth::AuthorizationServer* as = nullptr;
  std::shared_ptr<gateway::Gateway> gateway;  // null: no gateway
  vault::Vault* vault = nullptr;              // null: no vault
  asio::any_io_executor io;                   // where an approval's refresh runs
  std::int64_t started_at = 0;                // unix seconds
  std::vector<ConfiguredConnector> connectors;    // loaded at start
  std::shared_ptr<const QuotaCallLimiter> quotas;  // the rules in force (reloads replace them)
};

// The sources of the runtime operations (admin/runtime_admin.hpp). `config` is the
// configuration at start: what getStatus reports of it needs a restart to change (features,
// store); the reload counts say when the live parts were last reloaded.
admin::RuntimeSources runtime_sources(const Config& config, RuntimeParts parts);

}  // namespace mcpgate::app
