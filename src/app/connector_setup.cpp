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
    c.request_timeout = cc.timeout;
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
  connectors::RuntimeOptions options;
  for (const auto& c : connectors) {
    if (c.request_timeout.count() > 0) {
      options.request_timeouts[c.def->id] = c.request_timeout;
    }
  }
  auto client = http::default_http_client();
  if (!client) {
    return client.error();
  }
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
                              connectors::Runtime& runtime_impl) {
  const connectors::ConnectorRuntime runtime = runtime_impl.bind();
  for (const auto& c : connectors) {
    for (const auto& tool : c.def->tools) {
      registry.add_tool(
          connectors::make_mcp_tool(std::make_shared<const connectors::ToolDef>(tool), runtime));
    }
    log::info("connector_loaded", {{"connector", c.def->id}, {"tools", c.def->tools.size()}});
  }
}

}  // namespace mcpgate::app
