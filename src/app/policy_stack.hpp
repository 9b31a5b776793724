#pragma once
// Tool-level authorization as `serve` assembles it from the `authz:` section: the engine with
// the configured model, the policy service (and its store), the decision log and the authorizer
// the MCP endpoint consults on every tools/call.

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "app/config.hpp"
#include "authz/engine.hpp"
#include "core/result.hpp"
#include "policy/decision_log.hpp"
#include "policy/policy_service.hpp"
#include "policy/tool_authorizer.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {

struct PolicyStack {
  std::shared_ptr<authz::Engine> engine;
  std::shared_ptr<policy::PolicyService> service;
  std::shared_ptr<policy::DecisionLog> log;
  std::shared_ptr<policy::EngineToolAuthorizer> authorizer;
  std::string api_token;  // empty: the management API is off
  // Runs policy writes (which may block on storage) off the network threads.
  std::unique_ptr<store::Executor> executor;
  // Ends the change-log poll (serve sets it at shutdown).
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

// `store`: where policy state persists (the authorization server's store, shared by replicas);
// null keeps it in memory (no `auth:` section). With a store, the configured store file seeds
// the model (again whenever the file's model changes) and, while the store has no tuples yet,
// the tuples; tuples written through the API survive restarts and reach every replica.
Result<PolicyStack> build_policy(const Config& config, store::Store* store);

// The model the `authz:` section names: its store file's model, or its model file. Parses and
// validates only (a configuration reload checks it before applying anything).
Result<authz::AuthorizationModel> load_policy_model(const policy::PolicyOptions& options);

// Makes `model` the current model unless it already is (compared as OpenFGA JSON), as at start.
// May block on the store: call it on the stack's executor. Returns whether the model changed.
Result<bool> make_model_current(policy::PolicyService& service,
                                const authz::AuthorizationModel& model);

// The store id a deployment's policy lives under: derived from the store name, so every replica
// (and every restart) agrees on it without coordination. A valid ULID string.
std::string policy_store_id(std::string_view store_name);

// The registration kind of a client id, as the `client_kind` condition fact reports it: ids that
// are https URLs are Client ID Metadata Documents (the authorization server accepts no other
// URL ids), configured clients are "static", everything else was registered dynamically.
std::string client_kind_of(const std::set<std::string, std::less<>>& static_client_ids,
                           std::string_view client_id);

}  // namespace mcpgate::app
