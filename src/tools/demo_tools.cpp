#include "tools/demo_tools.hpp"

#include <memory>
#include <utility>

#include "tools/demo_store.hpp"

namespace mcpgate::tools {

void register_demo_tools(mcp::Registry& registry) { register_demo_tools(registry, DemoToolsOptions{}); }

void register_demo_tools(mcp::Registry& registry, DemoToolsOptions options) {
  auto store = std::make_shared<demo::DemoStore>(options.today, std::move(options.now));
  demo::add_calendar_tools(registry, store);
  demo::add_mailbox_tools(registry, store);
}

}  // namespace mcpgate::tools
