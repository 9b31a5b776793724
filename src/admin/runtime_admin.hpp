#pragma once
// The Admin API's runtime operations (issue 9): the gateway's upstreams, their pinned tool
// definitions (approve a changed one) and the gate's configuration status. All gate-wide.
//
// Tool pins live in the store (shared by replicas and `mcpgate tools ...`) and are read and
// approved here. What only the running process knows — its upstreams' state, its status — is
// asked from the app through RuntimeSources, so this module needs neither the gateway nor the
// app.
//
// Approval names the pending definition's hash: a definition that changed again after the
// operator looked is not approved (409 naming the one pending now). The store compares the hash
// inside its UPDATE (Store::approve_tool_pin), so no change can slip in between check and write.
//
// Blocking (the store): run on the store::Executor, as the runner does.

#include <cstdint>
#include <functional>
#include <string>

#include "admin/handlers.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

struct RuntimeSources {
  store::Store* store = nullptr;  // tool pins
  std::function<std::int64_t()> clock;  // unix seconds (approval time); default: system clock
  // The gateway's upstreams as UpstreamList items (openapi.cpp "Upstream"); unset: no gateway.
  std::function<Json()> upstreams;
  // Told after an approval, so the running gateway offers the tool again now rather than at its
  // next refresh (other replicas pick it up at theirs). May be unset.
  std::function<void(const std::string& upstream)> pin_approved;
  // The getStatus body (openapi.cpp "Status").
  std::function<Json()> status;
  // The configured connectors and OAuth upstreams (ConnectorList items).
  std::function<Json()> connectors;
  // One user's vault connections as ConnectionList items, ordered by connector, without any
  // token material; unset: no vault (no connections).
  std::function<Result<Json>(const std::string& user_id)> user_connections;
  // Deletes one user's connection (kNotFound when there is none).
  std::function<Status(const std::string& user_id, const std::string& connector)> revoke_connection;
  // Re-wraps the vault's data keys under the active master key (VaultRotateResult); unset: no
  // vault (kFailedPrecondition).
  std::function<Result<Json>()> rotate_vault_key;
  // The quota rules in force (QuotaList items).
  std::function<Json()> quotas;
};

// One pin as the API shows it: both definitions as JSON and the fields that differ, so a
// client can show the change (never a credential: definitions are what the upstream lists).
Json tool_pin_json(const store::ToolPin& pin);

// The handlers of listUpstreams, listToolPins, approveToolPin, getStatus, listConnectors,
// listConnections, revokeConnection, rotateVaultKey and getQuotas. Connections are the only
// per-organization data here: a user of another organization is kNotFound, as a missing one.
void bind_runtime_operations(OperationHandlers& handlers, RuntimeSources sources);

}  // namespace mcpgate::admin
