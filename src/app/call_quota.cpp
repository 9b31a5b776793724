#include "app/call_quota.hpp"

#include "mcp/tool.hpp"

namespace mcpgate::app {

void QuotaCallLimiter::set_rules(std::vector<quota::QuotaRule> rules) {
  std::shared_ptr<quota::QuotaLimiter> next;
  if (!rules.empty()) {
    next = std::make_shared<quota::QuotaLimiter>(std::move(rules));
  }
  std::lock_guard lock(mu_);
  limiter_.swap(next);
  // The old limiter goes with `next` (leases of running calls may outlive it: QuotaLease).
}

std::vector<quota::QuotaRule> QuotaCallLimiter::rules() const {
  std::lock_guard lock(mu_);
  return limiter_ ? limiter_->rules() : std::vector<quota::QuotaRule>();
}

std::variant<std::shared_ptr<void>, mcp::CallLimiter::Refusal> QuotaCallLimiter::admit(
    const mcp::ToolCall& call) const {
  std::shared_ptr<quota::QuotaLimiter> limiter;
  {
    std::lock_guard lock(mu_);
    limiter = limiter_;
  }
  if (!limiter) {
    return std::shared_ptr<void>();
  }
  const std::string tool = call.tool->descriptor.value("name", "");
  quota::QuotaKey key;
  if (call.caller != nullptr) {
    key.user = call.caller->subject;
    key.client = call.caller->client_id;
  }
  key.tool = tool;
  auto got = limiter->acquire(key);
  if (auto* refused = std::get_if<quota::QuotaDecision>(&got)) {
    return Refusal{refused->rule, refused->retry_after};
  }
  return std::make_shared<quota::QuotaLease>(std::move(std::get<quota::QuotaLease>(got)));
}

}  // namespace mcpgate::app
