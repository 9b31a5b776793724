#include "app/call_quota.hpp"

#include "mcp/tool.hpp"

namespace mcpgate::app {

std::variant<std::shared_ptr<void>, mcp::CallLimiter::Refusal> QuotaCallLimiter::admit(
    const mcp::ToolCall& call) const {
  const std::string tool = call.tool->descriptor.value("name", "");
  quota::QuotaKey key;
  if (call.caller != nullptr) {
    key.user = call.caller->subject;
    key.client = call.caller->client_id;
  }
  key.tool = tool;
  auto got = limiter_.acquire(key);
  if (auto* refused = std::get_if<quota::QuotaDecision>(&got)) {
    return Refusal{refused->rule, refused->retry_after};
  }
  return std::make_shared<quota::QuotaLease>(std::move(std::get<quota::QuotaLease>(got)));
}

}  // namespace mcpgate::app
