#pragma once
// The endpoint's quota hook (mcp::CallLimiter) on the `quotas:` rules (src/quota): per user,
// client and tool (the name the caller used), calls per minute and concurrent calls.
//
// The rules can be replaced at run time (a configuration reload): calls admitted afterwards are
// counted by a new limiter whose buckets start full and whose concurrency counts start at zero;
// calls already running keep the slots of the old one until they end.

#include <memory>
#include <mutex>
#include <vector>

#include "mcp/access.hpp"
#include "quota/quota.hpp"

namespace mcpgate::app {

class QuotaCallLimiter final : public mcp::CallLimiter {
 public:
  explicit QuotaCallLimiter(std::vector<quota::QuotaRule> rules) { set_rules(std::move(rules)); }

  std::variant<std::shared_ptr<void>, Refusal> admit(const mcp::ToolCall& call) const override;

  // Replaces the rules (no rules: every call is admitted). Thread-safe.
  void set_rules(std::vector<quota::QuotaRule> rules);
  // The rules in force now (the Admin API's getQuotas). Thread-safe.
  std::vector<quota::QuotaRule> rules() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<quota::QuotaLimiter> limiter_;  // null: no rules; the limiter is thread-safe
};

}  // namespace mcpgate::app
