#include "app/connector_setup.hpp"

#include <map>
#include <optional>

#include <chrono>

#include "connectors/loader.hpp"
#include "connectors/url.hpp"
#include "core/log.hpp"
#include "http/client.hpp"

namespace mcpgate::app {

using Json = nlohmann::json;

namespace {

// The RFC 8707 value when the operator gave none: the origin of the connector's first API host
// (what the refresh side asks for too; both must send the same value).
std::string default_connector_resource(const connectors::ConnectorDef& def) {
  if (!def.oauth.resource_indicator || def.api.hosts.empty() ||
      def.api.hosts.front().starts_with("*")) {
    return "";
  }
  return "https://" + def.api.hosts.front();
}

struct GuardedConnectorTool {
  mcp::ToolHandler inner;
  vault::Vault* vault = nullptr;
  store::Executor* executor = nullptr;
  std::string connector;
  std::string connect_link;
};

// Not connected (or the provider withdrew consent): a tool error the agent can show the user.
// A free coroutine taking its state by value: the registry's handler object may be replaced
// while a call runs (a reload), the call keeps what it needs.
asio::awaitable<Result<Json>> guarded_connector_call(std::shared_ptr<const GuardedConnectorTool> g,
                                                     Json arguments, mcp::ToolContext& ctx) {
  const mcp::Caller* caller = ctx.caller();
  if (caller == nullptr || caller->subject.empty()) {
    co_return mcp::tool_error("Connector tools need a signed-in user (the gate has no `auth:`).");
  }
  const std::string user = caller->subject;
  auto found = co_await g->executor->run(
      [&] { return g->vault->get_connection(kConnectTenant, user, g->connector); });
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      co_return mcp::tool_error("Your account is not connected to " + g->connector +
                                ". Open " + g->connect_link +
                                " in your browser to connect it, then call the tool again.");
    }
    log::warn("connector_vault_lookup_failed",
              {{"connector", g->connector}, {"error", found.error().message}});
    co_return mcp::tool_error(g->connector + ": the stored connection could not be read.");
  }
  if ((*found)->status != vault::ConnectionStatus::kActive) {
    co_return mcp::tool_error("Your connection to " + g->connector +
                              " needs to be renewed. Open " + g->connect_link +
                              " in your browser to reconnect, then call the tool again.");
  }
  auto result = co_await g->inner(std::move(arguments), ctx);
  if (!result && result.error().code == ErrorCode::kFailedPrecondition) {
    // The runtime's connect_required_error(): the provider refused the refresh token since the
    // check above. Its message names the connect link.
    co_return mcp::tool_error(result.error().message);
  }
  co_return result;
}

}  // namespace

http::AddressPolicy connector_address_policy(const connectors::ConnectorDef& def) {
  return def.api.allow_loopback_http ? http::AddressPolicy::kAllowLoopback
                                     : http::AddressPolicy::kPublicOnly;
}

Result<std::vector<ConfiguredConnector>> load_configured_connectors(const Config& config) {
  std::vector<ConfiguredConnector> out;
  for (const auto& cc : config.connectors) {
    if (!cc.enabled) {
      continue;
    }
    auto def = connectors::load_connector_file(cc.file);
    if (!def) {
      return def.error();
    }
    for (const auto& w : def->warnings) {  // operations an OpenAPI import left out
      log::warn("connector_import_warning", {{"connector", def->id}, {"warning", w}});
    }
    ConfiguredConnector c;
    c.resource = cc.resource.empty() ? default_connector_resource(*def) : cc.resource;
    c.def = std::make_shared<const connectors::ConnectorDef>(std::move(def).value());
    c.client = {cc.client_id, cc.client_secret};
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::unique_ptr<connectors::Runtime>> make_connector_runtime(
    const std::vector<ConfiguredConnector>& connectors, vault::Vault& vault, store::Store& store,
    store::Executor& executor, const std::string& public_url) {
  std::vector<std::shared_ptr<const connectors::ConnectorDef>> defs;
  std::map<std::string, connectors::ConnectorCredentials> credentials;
  for (const auto& c : connectors) {
    defs.push_back(c.def);
    credentials[c.def->id] = {c.client.client_id, c.client.client_secret, c.resource};
  }
  auto client = http::default_http_client();
  if (!client) {
    return client.error();
  }
  connectors::RuntimeOptions options;
  options.public_base_url = public_url;
  options.tenant = kConnectTenant;
  auto lookup = [credentials = std::move(credentials)](const std::string& id)
      -> std::optional<connectors::ConnectorCredentials> {
    auto it = credentials.find(id);
    if (it == credentials.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  return std::make_unique<connectors::Runtime>(std::move(defs), vault, store, executor,
                                               std::move(client).value(), std::move(lookup),
                                               std::move(options));
}

void register_connector_tools(mcp::Registry& registry,
                              const std::vector<ConfiguredConnector>& connectors,
                              connectors::Runtime& runtime_impl, vault::Vault& vault,
                              store::Executor& executor, const std::string& public_url) {
  const connectors::ConnectorRuntime runtime = runtime_impl.bind();
  for (const auto& c : connectors) {
    for (const auto& tool : c.def->tools) {
      mcp::Tool t = connectors::make_mcp_tool(std::make_shared<const connectors::ToolDef>(tool),
                                              runtime);
      auto guard = std::make_shared<GuardedConnectorTool>();
      guard->inner = std::move(t.handler);
      guard->vault = &vault;
      guard->executor = &executor;
      guard->connector = c.def->id;
      guard->connect_link = public_url + "/connect/" + c.def->id;
      std::shared_ptr<const GuardedConnectorTool> g = std::move(guard);
      t.handler = [g](Json arguments, mcp::ToolContext& ctx) {
        return guarded_connector_call(g, std::move(arguments), ctx);
      };
      registry.add_tool(std::move(t));
    }
    log::info("connector_loaded", {{"connector", c.def->id}, {"tools", c.def->tools.size()}});
  }
}

}  // namespace mcpgate::app
