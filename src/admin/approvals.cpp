#include "admin/approvals.hpp"

#include <chrono>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace mcpgate::admin {

std::string approval_binding(const mcp::Caller& caller, const Operation& op,
                             const nlohmann::json& args) {
  // nlohmann's dump() writes object members in sorted order: one text per argument value.
  // Newlines cannot occur inside the ids (tokens and valid_id), so the fields cannot run into
  // each other.
  std::string text = caller.org_id;
  text += '\n';
  text += caller.subject;
  text += '\n';
  text += caller.client_id;
  text += '\n';
  text += op.operation_id;
  text += '\n';
  text += args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return crypto::hex_encode(crypto::sha256(text));
}

namespace {

std::int64_t approvals_system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StoreApprovalBook::StoreApprovalBook(store::Store& store, ApprovalBookOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = approvals_system_now;
  }
}

Result<bool> StoreApprovalBook::take(const mcp::Caller& caller, std::string_view binding) const {
  (void)caller;  // the binding already names the caller
  return store_.use_admin_approval(binding, now());
}

Result<std::string> StoreApprovalBook::request(const mcp::Caller& caller, const Operation& op,
                                               const nlohmann::json& args,
                                               std::string_view binding) const {
  const std::int64_t t = now();
  auto pending = store_.find_pending_admin_approval(binding, t);
  if (pending) {
    return pending->id;  // the same call repeated before anyone decided: the same link
  }
  if (pending.error().code != ErrorCode::kNotFound) {
    return pending.error();
  }
  store::AdminApproval a;
  a.id = crypto::random_token(18);  // unguessable, though the page also checks who asks
  a.binding = std::string(binding);
  a.org_id = caller.org_id;
  a.user_id = caller.subject;
  a.client_id = caller.client_id;
  a.operation = std::string(op.operation_id);
  a.arguments = args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  a.state = "pending";
  a.created_at = t;
  a.expires_at = t + options_.ttl.count();
  MCPGATE_TRY(store_.create_admin_approval(a));
  return a.id;
}

std::string StoreApprovalBook::link(std::string_view id) const {
  return options_.public_url + std::string(kApprovalsPath) + std::string(id);
}

}  // namespace mcpgate::admin
