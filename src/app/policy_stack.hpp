#pragma once
// Tool-level authorization as `serve` assembles it from the `authz:` section: the engine with
// the configured model, the policy service (and its store), the decision log and the authorizer
// the MCP endpoint consults on every tools/call.

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

namespace mcpgate::app {

struct PolicyStack {
  std::shared_ptr<authz::Engine> engine;
  std::shared_ptr<policy::PolicyService> service;
  std::shared_ptr<policy::DecisionLog> log;
  std::shared_ptr<policy::EngineToolAuthorizer> authorizer;
  std::string api_token;  // empty: the management API is off
  // Runs policy writes (which may block on storage) off the network threads.
  std::unique_ptr<store::Executor> executor;
};

Result<PolicyStack> build_policy(const Config& config);

// The registration kind of a client id, as the `client_kind` condition fact reports it: ids that
// are https URLs are Client ID Metadata Documents (the authorization server accepts no other
// URL ids), configured clients are "static", everything else was registered dynamically.
std::string client_kind_of(const std::set<std::string, std::less<>>& static_client_ids,
                           std::string_view client_id);

}  // namespace mcpgate::app
