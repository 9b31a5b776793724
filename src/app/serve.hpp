#pragma once
// The `serve` command: wires config → tool sets → MCP endpoint → router → HTTP server, runs
// until SIGINT/SIGTERM, then drains gracefully. SIGHUP re-reads the signing keys and, with a
// loader, reloads the configuration (app/config_reload.hpp).

#include "app/config.hpp"
#include "app/config_reload.hpp"

namespace mcpgate::app {

// Blocks until shutdown. Returns the process exit code. `reload` loads the configuration file
// again as start-up did (null: SIGHUP only re-reads the signing keys).
int serve(Config config, ConfigLoader reload = {});

}  // namespace mcpgate::app
