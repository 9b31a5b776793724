#pragma once
// The `connectors:` configuration turned into running parts: the loaded definitions with the
// gate's client registration at each provider, and their tools in the registry.
//
// The tools run through a ConnectorRuntime. The real runtime (refresh, retries, breakers) is
// being written in connectors/runtime.*; until it lands, `minimal_runtime` below is the stand-in:
// a vault lookup (no connection → a tool error naming /connect/<id>) and a plain send with
// `Authorization: Bearer`. No refresh: an expired token fails until the user reconnects.
// Switch to the real runtime here, in one place.

#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "connectors/connect_flow.hpp"
#include "connectors/connector.hpp"
#include "connectors/mcp_tool.hpp"
#include "core/result.hpp"
#include "http/address_policy.hpp"
#include "mcp/registry.hpp"
#include "store/executor.hpp"
#include "vault/vault.hpp"

namespace mcpgate::app {

inline constexpr const char* kConnectTenant = "default";

struct ConfiguredConnector {
  std::shared_ptr<const connectors::ConnectorDef> def;
  connectors::ClientCredentials client;
  std::string resource;  // RFC 8707 value ("" when the provider does not take one)
};

// Loads every enabled connector of the configuration (definitions validated).
Result<std::vector<ConfiguredConnector>> load_configured_connectors(const Config& config);

// The address policy for a connector's outbound requests: loopback only for definitions with
// the test flag.
http::AddressPolicy connector_address_policy(const connectors::ConnectorDef& def);

// The stand-in runtime (see above). `public_url` makes the connect link absolute.
connectors::ConnectorRuntime minimal_runtime(vault::Vault& vault, store::Executor& executor,
                                             std::string public_url);

// Registers every tool of every connector; a call without a connection is answered with a tool
// error naming the connect page before any request is built.
void register_connector_tools(mcp::Registry& registry,
                              const std::vector<ConfiguredConnector>& connectors,
                              vault::Vault& vault, store::Executor& executor,
                              const std::string& public_url);

}  // namespace mcpgate::app
