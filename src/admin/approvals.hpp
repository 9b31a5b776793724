#pragma once
// Human approval of a destructive admin call, for MCP clients that cannot elicit (issue 9
// item 2; admin_mcp.hpp). The call is refused with a link; a human signed in as the same user
// opens it, sees the operation and its exact arguments and approves; the client then repeats
// the same call and it runs once.
//
// An approval is bound to approval_binding(caller, operation, arguments): the SHA-256 of the
// caller's organization, user and client, the operation id and the canonical JSON of the
// arguments. Repeating the call with any other argument (or from another client) computes
// another binding, which no approval carries. Approvals are single use (taking one is one
// conditional UPDATE in the store, so two replicas cannot both use it) and expire.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "admin/authorizer.hpp"
#include "admin/operations.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "mcp/access.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {
class AuthorizationServer;
}

namespace mcpgate::admin {

// Hex SHA-256 of "org \n user \n client \n operationId \n canonical(arguments)".
std::string approval_binding(const mcp::Caller& caller, const Operation& op,
                             const nlohmann::json& args);

// Where approvals live. Blocking (the store): call on the store executor.
class ApprovalBook {
 public:
  virtual ~ApprovalBook() = default;

  // Uses up an approved, unexpired approval with this binding: true when there was one (the
  // call may run now), false otherwise.
  virtual Result<bool> take(const mcp::Caller& caller, std::string_view binding) const = 0;

  // The id of a pending approval for this call: an unexpired one already waiting for the same
  // binding, or a new one.
  virtual Result<std::string> request(const mcp::Caller& caller, const Operation& op,
                                      const nlohmann::json& args,
                                      std::string_view binding) const = 0;

  // The page a human opens to approve request `id`.
  virtual std::string link(std::string_view id) const = 0;
};

inline constexpr std::string_view kApprovalsPath = "/admin/approvals/";

struct ApprovalBookOptions {
  std::string public_url;               // links: public_url + kApprovalsPath + id
  std::chrono::seconds ttl{600};        // from the refused call to the last use of the approval
  std::function<std::int64_t()> clock;  // unix seconds; default: the system clock
};

// The approvals in the gate's store (table admin_approvals), so every replica sees the same
// approval and only one call can use it.
class StoreApprovalBook final : public ApprovalBook {
 public:
  StoreApprovalBook(store::Store& store, ApprovalBookOptions options);

  Result<bool> take(const mcp::Caller& caller, std::string_view binding) const override;
  Result<std::string> request(const mcp::Caller& caller, const Operation& op,
                              const nlohmann::json& args,
                              std::string_view binding) const override;
  std::string link(std::string_view id) const override;

  std::int64_t now() const { return options_.clock(); }

 private:
  store::Store& store_;
  ApprovalBookOptions options_;
};

// The approval pages (server-rendered; the gate's sign-in session):
//   GET  /admin/approvals/<id>  the operation, the client and the exact arguments; approve and
//                               deny buttons when the viewer is the user who asked, holds the
//                               operation's permission and the approval is still pending
//   POST /admin/approvals/<id>  decision=approve|deny, with the page's CSRF token; the form's
//                               Origin must be the gate's
// An approval of another user (or none) is the same "no such approval" page. Pages carry the
// login pages' security headers (CSP frame-ancestors 'none', X-Frame-Options DENY, no-store).
// Browser sessions live in one replica's memory: route /admin/approvals/ like the other pages
// (deploy/nginx: sticky).
struct ApprovalPagesDeps {
  store::Store* store = nullptr;
  store::Executor* executor = nullptr;
  oauth::AuthorizationServer* auth = nullptr;  // the sign-in session
  std::shared_ptr<const AdminAuthorizer> authorizer;  // the approver's permission
  std::function<std::int64_t()> clock;  // unix seconds; default: the system clock
};
void mount_approval_pages(http::Router& router, ApprovalPagesDeps deps);

}  // namespace mcpgate::admin
