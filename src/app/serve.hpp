#pragma once
// The `serve` command: wires config → tool sets → MCP endpoint → router → HTTP server, runs
// until SIGINT/SIGTERM, then drains gracefully.

#include "app/config.hpp"

namespace mcpgate::app {

// Blocks until shutdown. Returns the process exit code.
int serve(Config config);

}  // namespace mcpgate::app
