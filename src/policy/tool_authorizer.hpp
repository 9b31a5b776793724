#pragma once
// The gate's tool-level authorization: every tools/call runs two checks on the tool's policy
// object — the user may invoke it, and the client application (the agent) may be used for it —
// and both must allow. Checks take the call's condition context (call_context.hpp): the tool's
// typed arguments plus trusted request facts. Every decision is logged (decision_log.hpp).
//
// Objects, relations and users come from templates with placeholders {server}, {tool}, {sub}
// and {client_id}; the defaults match examples/demo-policy.fga:
//   user check   : tool:{server}/{tool}  can_invoke            user:{sub}
//   client check : tool:{server}/{tool}  can_be_used_by_agent  client:{client_id}
// A substituted value that would change the tuple's structure (a '#', whitespace, an empty id)
// denies: identifiers are never allowed to smuggle a userset in.
//
// Organizations: each has its own store (org_stores.hpp); a caller is checked against the
// engine of its own organization (Caller::org_id, from the token's `org_id` claim) and no
// other. A caller whose organization has no store — unknown, empty, or configured after the
// process started — is denied (an error decision). The anonymous caller (no authentication)
// belongs to the default organization.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "authz/engine.hpp"
#include "mcp/access.hpp"
#include "policy/call_context.hpp"
#include "policy/decision_log.hpp"
#include "policy/prepared_checks.hpp"

namespace mcpgate::policy {

struct CheckTemplate {
  std::string object;
  std::string relation;
  std::string user;
};

struct ToolAuthorizerOptions {
  CheckTemplate user_check{"tool:{server}/{tool}", "can_invoke", "user:{sub}"};
  CheckTemplate client_check{"tool:{server}/{tool}", "can_be_used_by_agent", "client:{client_id}"};
  // {server} for tools that do not name one (built-in tool sets without a server).
  std::string default_server = "local";
  // Without authentication there is no user or client to check: deny every call unless the
  // operator says the anonymous caller is `anonymous_user` / `anonymous_client`.
  std::string anonymous_user;
  std::string anonymous_client;
  // The client's registration kind ("static" | "dcr" | "cimd") for the `client_kind` fact.
  std::function<std::string(std::string_view client_id)> client_kind;
  ContextLimits context_limits;
  // Slots of the prepared-check cache (prepared_checks.hpp): one user + client pair's checks
  // of one tool each, about 1 KB; 0 resolves the check strings on every call.
  std::size_t prepared_check_slots = 4096;
};

// One of a tool's two checks as the blast-radius view shows it (EngineToolAuthorizer::reach).
struct ReachCheck {
  // "allow", "deny", "conditional" (a condition needs the call's arguments: the call decides)
  // or "error" (the check cannot be decided; a call would be denied). "" = not checked.
  std::string result;
  std::string detail;  // the relation path that decided, the condition's missing parameters, ...
};

// What one user + client pair may do with one tool, decided without a call's arguments.
struct ToolReach {
  std::string server;
  std::string tool;    // the policy name
  std::string object;  // the checked object, e.g. "tool:calendar/list_events"
  ReachCheck user;     // user_check (can_invoke)
  ReachCheck client;   // client_check (can_be_used_by_agent); result "" when no client given
};

// The engine of each organization's store, by organization id.
using OrgEngines = std::map<std::string, std::shared_ptr<const authz::Engine>, std::less<>>;

class EngineToolAuthorizer final : public mcp::ToolAuthorizer {
 public:
  EngineToolAuthorizer(OrgEngines engines,
                       ToolAuthorizerOptions options,
                       std::shared_ptr<DecisionLog> log);
  // The default organization's store only (callers of every other organization are denied).
  EngineToolAuthorizer(std::shared_ptr<const authz::Engine> engine,
                       ToolAuthorizerOptions options,
                       std::shared_ptr<DecisionLog> log);

  mcp::ToolDecision authorize_call(const mcp::ToolCall& call) const override;
  std::vector<bool> may_list(const mcp::Caller* caller, const std::vector<mcp::Tool>& tools) const override;

  // The blast radius of `sub` acting through `client_id` in organization `org`: both checks of
  // every tool in `tools` (the admin plane's getAgentAccess, the console's "what can this agent
  // do"). Without a call there are no arguments, no token scopes and no source address: a
  // condition on them shows as "conditional". `client_id` "" checks the user only. Unknown
  // organization: every check is an error. Never logged as decisions (nothing was called).
  std::vector<ToolReach> reach(std::string_view org, std::string_view sub,
                               std::string_view client_id,
                               const std::vector<mcp::Tool>& tools) const;

  // Substitutes the placeholders (exposed for tests). Empty when a value is not allowed there.
  static std::string expand(std::string_view pattern,
                            std::string_view server,
                            std::string_view tool,
                            std::string_view sub,
                            std::string_view client_id);

  // The prepared-check cache (tests: bounded, refreshed after changes).
  const PreparedCheckCache& prepared_checks() const { return prepared_; }

 private:
  // How one tools/call's two checks came out.
  struct Verdict {
    Outcome outcome = Outcome::kAllow;
    const char* principal = "";  // "user" | "client" | "" (allow)
    std::string reason;
    std::int64_t revision = 0;
  };

  bool principals(const mcp::Caller* caller, std::string_view& sub, std::string_view& client) const;
  // The organization a caller is checked in ("default" for the anonymous caller) and its
  // engine; nullptr when that organization has no store.
  static std::string_view org_of(const mcp::Caller* caller);
  const authz::Engine* engine_for(std::string_view org_id) const;
  std::string_view server_of(const mcp::Tool& tool) const;
  // The condition context: trusted facts about the caller, then the arguments.
  Result<nlohmann::json> context_for(const mcp::Caller* caller,
                                     std::string_view sub,
                                     std::string_view client,
                                     const nlohmann::json& arguments,
                                     const nlohmann::json* input_schema,
                                     std::string_view source_ip) const;
  // One of the two checks, its identifiers substituted (empty object or user: not usable).
  static authz::CheckRequest request_for(const CheckTemplate& t,
                                         std::string_view server,
                                         std::string_view tool,
                                         std::string_view sub,
                                         std::string_view client);
  // Both checks prepared on `engine`; null when an identifier is not usable in a tuple.
  std::shared_ptr<const PreparedPair> prepare_pair(const authz::Engine& engine, const PairKey& key) const;
  // The pair for `key` from the cache, prepared and published on a miss; null as above.
  std::shared_ptr<const PreparedPair> pair_for(const authz::Engine& engine, const PairKey& key,
                                               std::size_t hash) const;
  // A call's two checks, user first, through prepared checks or (no cache, an unusable
  // identifier) through request strings.
  // Nullopt when there is no pair (an identifier not usable in a tuple).
  std::optional<Verdict> decide_prepared(const authz::Engine& engine, const PairKey& key,
                                         const nlohmann::json& context) const;
  Verdict decide_strings(const authz::Engine& engine, const PairKey& key,
                         nlohmann::json& context) const;

  OrgEngines engines_;
  ToolAuthorizerOptions options_;
  std::shared_ptr<DecisionLog> log_;
  // Shared by the io threads; its slots are locked (striped), the pairs immutable.
  mutable PreparedCheckCache prepared_;
};

}  // namespace mcpgate::policy
