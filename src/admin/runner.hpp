#pragma once
// The one path every admin call takes, whichever channel it came by (the HTTP API, the admin
// MCP server, the web console): scope, least privilege, arguments, handler, record (issue 9).
//
//   1. scope — admin:read for reads, admin:write for changes (admin:write implies admin:read
//      when the configuration says so): 403 insufficient_scope naming the scope.
//   2. least privilege — AdminAuthorizer: the operation's permission on organization:<org> in
//      the caller's organization's store: 403 forbidden. A gate-wide operation also needs the
//      caller to belong to the operator organization (an administrator of one tenant never
//      sees or changes what all tenants share): 403 forbidden.
//   3. arguments — only now gathered (a caller without the right learns nothing from the shape
//      of their input) and checked against the operation's parameters: 400.
//   4. the handler, in the caller's organization.
//   5. one `admin_call` log line and one CallRecord to the observer (the audit log): who
//      (user, client, organization), by which channel, what (operation, target ids), the
//      decision and the status. Never a token or an argument's value other than ids.
// Blocking (handlers use the store): run it on the store executor.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "admin/authorizer.hpp"
#include "admin/handlers.hpp"
#include "admin/operations.hpp"
#include "oauth/scopes.hpp"

namespace mcpgate::admin {

struct CallRecord {
  std::string channel;
  std::string operation;  // operationId, "-" when no operation matched
  std::string target;     // the call's id arguments, joined with '/'
  std::string decision = "deny";
  int status = 0;         // the HTTP status the outcome maps to (200 on success)
  std::string reason;     // why a denial, or the operator's stated reason
};

using CallObserver = std::function<void(const mcp::Caller&, const CallRecord&)>;

class OperationRunner {
 public:
  // `scopes` must outlive the runner.
  OperationRunner(const oauth::ScopeSet& scopes, std::shared_ptr<const AdminAuthorizer> authorizer,
                  std::shared_ptr<const OperationHandlers> handlers, RunnerOptions options);

  // Set before serving (not thread-safe against run()).
  void set_observer(CallObserver observer) { observer_ = std::move(observer); }

  // Steps 1-2 only, without a record (the console asks it to show only what the viewer may do).
  Status authorize(const mcp::Caller& caller, const Operation& op) const;

  Result<Json> run(const mcp::Caller& caller, const Operation& op,
                   const std::function<Result<Json>()>& arguments, std::string_view channel) const;

  // A call its channel did not hand to run() although the runner would have allowed it (the
  // admin MCP server: a human declined the approval of a destructive call, or it waits for
  // one): recorded like a denial (decision "deny", status 403, `reason`), so no admin call
  // leaves no trace. `args` are checked arguments (only their ids are recorded).
  void record_refusal(const mcp::Caller& caller, const Operation& op, const Json& args,
                      std::string_view channel, std::string reason) const;

  const PageRules& page_rules() const { return options_.pages; }
  const RunnerOptions& options() const { return options_; }

 private:
  const oauth::ScopeSet& scopes_;
  std::shared_ptr<const AdminAuthorizer> authorizer_;
  std::shared_ptr<const OperationHandlers> handlers_;
  RunnerOptions options_;
  CallObserver observer_;
};

// The admin_call log line of a call refused before it named an operation (no valid token,
// unknown route): the same shape as the runner's.
void log_admin_call(const mcp::Caller* caller, const CallRecord& record);

}  // namespace mcpgate::admin
