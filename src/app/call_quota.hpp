#pragma once
// The endpoint's quota hook (mcp::CallLimiter) on the `quotas:` rules (src/quota): per user,
// client and tool (the name the caller used), calls per minute and concurrent calls.

#include <memory>
#include <vector>

#include "mcp/access.hpp"
#include "quota/quota.hpp"

namespace mcpgate::app {

class QuotaCallLimiter final : public mcp::CallLimiter {
 public:
  explicit QuotaCallLimiter(std::vector<quota::QuotaRule> rules) : limiter_(std::move(rules)) {}

  std::variant<std::shared_ptr<void>, Refusal> admit(const mcp::ToolCall& call) const override;

 private:
  mutable quota::QuotaLimiter limiter_;  // thread-safe; acquire() is not const
};

}  // namespace mcpgate::app
