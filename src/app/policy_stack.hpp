#pragma once
// Tool-level authorization as `serve` assembles it from the `authz:` section: one policy
// service (authorization store: model + tuples, its own engine) per organization, the decision
// log and the authorizer the MCP endpoint consults on every tools/call (which checks a caller in
// its own organization's store only).

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "app/config.hpp"
#include "authz/engine.hpp"
#include "core/result.hpp"
#include "policy/decision_log.hpp"
#include "policy/org_stores.hpp"
#include "policy/policy_service.hpp"
#include "policy/tool_authorizer.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::app {

struct PolicyStack {
  // The default organization's engine and store (the one a single-organization deployment has).
  std::shared_ptr<authz::Engine> engine;
  std::shared_ptr<policy::PolicyService> service;
  // Every organization's store: the default organization's (== service) first, then the
  // configured organizations in file order. Fixed for the life of the process.
  policy::OrgStores stores;
  std::shared_ptr<policy::DecisionLog> log;
  std::shared_ptr<policy::EngineToolAuthorizer> authorizer;
  std::string api_token;  // empty: the management API is off
  // Runs policy writes (which may block on storage) off the network threads.
  std::unique_ptr<store::Executor> executor;
  // Ends the change-log poll (serve sets it at shutdown).
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

// `store`: where policy state persists (the authorization server's store, shared by replicas);
// null keeps it in memory (no `auth:` section). Every organization (the default one and each of
// `organizations:`) gets its store; the configured model becomes current in each of them (again
// whenever the file's model changes), the store file's tuples seed the default organization's
// store while it has no tuples yet. Tuples written through the API survive restarts and reach
// every replica.
Result<PolicyStack> build_policy(const Config& config, store::Store* store);

// The model the `authz:` section names: its store file's model, or its model file. Parses and
// validates only (a configuration reload checks it before applying anything).
Result<authz::AuthorizationModel> load_policy_model(const policy::PolicyOptions& options);

// Makes `model` the current model unless it already is (compared as OpenFGA JSON), as at start.
// May block on the store: call it on the stack's executor. Returns whether the model changed.
Result<bool> make_model_current(policy::PolicyService& service,
                                const authz::AuthorizationModel& model);
// The same for every organization's store; whether any changed.
Result<bool> make_model_current(const policy::OrgStores& stores,
                                const authz::AuthorizationModel& model);

// The store id a deployment's policy lives under: derived from the store name, so every replica
// (and every restart) agrees on it without coordination. A valid ULID string.
std::string policy_store_id(std::string_view store_name);

// The store id of an organization's policy: the default organization's is policy_store_id (the
// one store of a deployment from before organizations had their own, so its tuples and models
// stay where they are); every other organization's is derived from the store name and the
// organization id, in a separate hash domain (it can never equal the default one).
std::string org_policy_store_id(std::string_view store_name, std::string_view org_id);
// The store's name in the API: the store name for the default organization, else
// "<store name>/<organization id>".
std::string org_policy_store_name(std::string_view store_name, std::string_view org_id);

// The registration kind of a client id, as the `client_kind` condition fact reports it: ids that
// are https URLs are Client ID Metadata Documents (the authorization server accepts no other
// URL ids), configured clients are "static", everything else was registered dynamically.
std::string client_kind_of(const std::set<std::string, std::less<>>& static_client_ids,
                           std::string_view client_id);

}  // namespace mcpgate::app
