#include "admin/runner.hpp"

#include <algorithm>

#include "admin/errors.hpp"
#include "core/log.hpp"

namespace mcpgate::admin {
namespace {

std::string insufficient_scope_challenge(std::string_view scope) {
  return "Bearer error=\"insufficient_scope\", scope=\"" + std::string(scope) + "\"";
}

// The ids a call names (path-like parameters), for the record; values that are not valid ids
// are not recorded as given (they may be anything an attacker sent).
std::string target_of(const Operation& op, const Json& args) {
  std::string out;
  for (const auto& p : op.params) {
    if (p.type != ParamType::kId) {
      continue;
    }
    const auto it = args.find(std::string(p.name));
    if (it == args.end()) {
      continue;
    }
    if (!out.empty()) {
      out += '/';
    }
    out += it->is_string() && valid_id(it->get_ref<const std::string&>())
               ? it->get<std::string>()
               : std::string("<invalid>");
  }
  return out;
}

Error scope_error(const Operation& op) {
  return http_error_with_challenge(403, "insufficient_scope",
                                   "the access token lacks the " + std::string(op.scope) +
                                       " scope",
                                   insufficient_scope_challenge(op.scope));
}

Error permission_error(const mcp::Caller& caller, const Operation& op) {
  return make_error(ErrorCode::kPermissionDenied, std::string(op.operation_id) + " needs " +
                                                      std::string(op.permission) +
                                                      " on organization:" + caller.org_id);
}

Error gate_wide_error(const Operation& op) {
  return make_error(ErrorCode::kPermissionDenied,
                    std::string(op.operation_id) +
                        " acts on the whole gate: only the operator organization may call it");
}

}  // namespace

OperationRunner::OperationRunner(const oauth::ScopeSet& scopes,
                                 std::shared_ptr<const AdminAuthorizer> authorizer,
                                 std::shared_ptr<const OperationHandlers> handlers,
                                 RunnerOptions options)
    : scopes_(scopes),
      authorizer_(std::move(authorizer)),
      handlers_(std::move(handlers)),
      options_(std::move(options)) {
  auto& pages = options_.pages;
  pages.max_page_size = std::clamp<std::size_t>(pages.max_page_size, 1, 1000);
  pages.default_page_size = std::clamp<std::size_t>(pages.default_page_size, 1, pages.max_page_size);
}

Status OperationRunner::authorize(const mcp::Caller& caller, const Operation& op) const {
  if (!scopes_.covers(caller.scopes, {std::string(op.scope)})) {
    return scope_error(op);
  }
  if (!authorizer_->check(caller, op.permission).allowed) {
    return permission_error(caller, op);
  }
  if (op.gate_wide && caller.org_id != options_.operator_org) {
    return gate_wide_error(op);
  }
  return Status();
}

Result<Json> OperationRunner::run(const mcp::Caller& caller, const Operation& op,
                                  const std::function<Result<Json>()>& arguments,
                                  std::string_view channel) const {
  CallRecord record;
  record.channel = std::string(channel);
  record.operation = std::string(op.operation_id);
  const auto call = [&]() -> Result<Json> {
    if (!scopes_.covers(caller.scopes, {std::string(op.scope)})) {
      record.reason = "token lacks scope " + std::string(op.scope);
      return scope_error(op);
    }
    const AdminDecision decision = authorizer_->check(caller, op.permission);
    if (!decision.allowed) {
      record.reason = decision.reason;
      return permission_error(caller, op);
    }
    if (op.gate_wide && caller.org_id != options_.operator_org) {
      record.reason = "gate-wide operation; caller not in the operator organization";
      return gate_wide_error(op);
    }
    record.decision = "allow";
    MCPGATE_ASSIGN_OR_RETURN(const Json args, arguments());
    record.target = target_of(op, args);
    MCPGATE_TRY(check_arguments(op, args, options_.pages.max_page_size));
    if (const auto it = args.find("reason"); it != args.end() && it->is_string()) {
      record.reason = it->get<std::string>();
    }
    Page page;
    if (op.paged) {
      MCPGATE_ASSIGN_OR_RETURN(page, page_of(args, options_.pages));
    }
    const OperationHandler* handler = handlers_->find(op.operation_id);
    if (handler == nullptr) {
      return make_error(ErrorCode::kInternal, "operation without a handler");
    }
    return (*handler)(AdminCall{caller, op, args, std::move(page), channel});
  };
  Result<Json> result = call();
  record.status = result ? 200 : admin_error_status(result.error());
  log_admin_call(&caller, record);
  if (observer_) {
    observer_(caller, record);
  }
  return result;
}

void OperationRunner::record_refusal(const mcp::Caller& caller, const Operation& op,
                                     const Json& args, std::string_view channel,
                                     std::string reason) const {
  CallRecord record;
  record.channel = std::string(channel);
  record.operation = std::string(op.operation_id);
  record.target = target_of(op, args);
  record.status = 403;
  record.reason = std::move(reason);
  log_admin_call(&caller, record);
  if (observer_) {
    observer_(caller, record);
  }
}

void log_admin_call(const mcp::Caller* caller, const CallRecord& r) {
  static const std::string kNone;
  log::info("admin_call", {{"channel", r.channel},
                           {"org_id", caller ? caller->org_id : kNone},
                           {"user", caller ? caller->subject : kNone},
                           {"client_id", caller ? caller->client_id : kNone},
                           {"operation", r.operation},
                           {"target", r.target},
                           {"decision", r.decision},
                           {"status", r.status},
                           {"reason", r.reason}});
}

}  // namespace mcpgate::admin
