#include "tools/conformance_fixtures.hpp"

namespace mcpgate::tools {

void register_conformance_fixtures(mcp::Registry& registry) {
  conformance::register_session_tools(registry);
  conformance::register_stateless_tools(registry);
  conformance::register_resources_and_prompts(registry);
}

}  // namespace mcpgate::tools
