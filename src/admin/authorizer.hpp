#pragma once
// Least privilege on every Admin API call (issue 9): the caller must hold the operation's
// permission (operations.hpp) on `organization:<their org>` in THEIR organization's
// authorization store (policy::OrgStores), checked as `user:<token sub>`. An organization with
// no store, a model without the admin types, a malformed identifier or any engine error denies:
// there is no path that allows without a tuple saying so.

#include <memory>
#include <string>
#include <string_view>

#include "mcp/access.hpp"
#include "policy/org_stores.hpp"

namespace mcpgate::admin {

struct AdminDecision {
  bool allowed = false;
  std::string reason;  // why a denial (for the log; the client gets a fixed message)
};

class AdminAuthorizer {
 public:
  virtual ~AdminAuthorizer() = default;
  // Called on any thread; in-memory only (microseconds).
  virtual AdminDecision check(const mcp::Caller& caller, std::string_view permission) const = 0;
};

class EngineAdminAuthorizer final : public AdminAuthorizer {
 public:
  explicit EngineAdminAuthorizer(policy::OrgStores stores) : stores_(std::move(stores)) {}
  AdminDecision check(const mcp::Caller& caller, std::string_view permission) const override;

 private:
  policy::OrgStores stores_;
};

}  // namespace mcpgate::admin
