#include "admin/authorizer.hpp"

#include "authz/engine.hpp"

namespace mcpgate::admin {

AdminDecision EngineAdminAuthorizer::check(const mcp::Caller& caller,
                                           std::string_view permission) const {
  if (caller.subject.empty() || caller.org_id.empty()) {
    return {false, "no subject or organization"};
  }
  const policy::OrgStore* org = policy::find_org_store(stores_, caller.org_id);
  if (org == nullptr) {
    return {false, "organization " + caller.org_id + " has no authorization store"};
  }
  authz::CheckRequest req;
  req.object = "organization:" + caller.org_id;
  req.relation = std::string(permission);
  req.user = "user:" + caller.subject;
  const authz::CheckResult r = org->service->engine().check(req);
  if (!r.error.ok()) {
    return {false, req.relation + " on " + req.object + ": " + r.error.message};
  }
  if (!r.allowed) {
    return {false, req.user + " lacks " + req.relation + " on " + req.object};
  }
  return {true, ""};
}

}  // namespace mcpgate::admin
