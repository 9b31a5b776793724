#pragma once
// The `connectors:` configuration turned into running parts: the loaded definitions with the
// gate's client registration at each provider, and their tools in the registry.
//
// The tools run through connectors::Runtime (the caller's vault connection, refresh, retries,
// breakers); a call without a usable connection is answered with the URL elicitation of
// /connect/<id> (-32042) or, for clients without it, a tool error naming that link.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "connectors/connect_flow.hpp"
#include "connectors/connector.hpp"
#include "connectors/mcp_tool.hpp"
#include "connectors/runtime.hpp"
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
  std::chrono::milliseconds request_timeout{0};  // one API attempt; 0 = the runtime's default
};

// Loads every enabled connector of the configuration (definitions validated).
Result<std::vector<ConfiguredConnector>> load_configured_connectors(const Config& config);

// The address policy for a connector's outbound requests: loopback only for definitions with
// the test flag.
http::AddressPolicy connector_address_policy(const connectors::ConnectorDef& def);

// The runtime the connector tools run on. Must outlive every call (serve keeps it to the end).
Result<std::unique_ptr<connectors::Runtime>> make_connector_runtime(
    const std::vector<ConfiguredConnector>& connectors, vault::Vault& vault, store::Store& store,
    store::Executor& executor, const std::string& public_url);

// Registers every tool of every connector. The runtime looks up the caller's connection before
// any request is built; without a usable one the call is answered with the connect page (see
// connectors/connect_required.hpp).
void register_connector_tools(mcp::Registry& registry,
                              const std::vector<ConfiguredConnector>& connectors,
                              connectors::Runtime& runtime);

}  // namespace mcpgate::app
