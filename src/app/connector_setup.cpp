#include "app/connector_setup.hpp"

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
  co_return co_await g->inner(std::move(arguments), ctx);
}

asio::awaitable<Result<connectors::ConnectionVars>> minimal_connection(
    const connectors::ToolDef&, mcp::ToolContext&) {
  // Connection variables (Salesforce's instance_url) are not kept by the vault yet.
  co_return connectors::ConnectionVars{};
}

struct MinimalSender {
  vault::Vault* vault = nullptr;
  store::Executor* executor = nullptr;
};

asio::awaitable<Result<connectors::UpstreamReply>> minimal_send(
    MinimalSender s, std::shared_ptr<const connectors::ToolDef> tool_copy,
    connectors::HttpRequest request, std::string user) {
  auto found = co_await s.executor->run(
      [&] { return s.vault->get_connection(kConnectTenant, user, tool_copy->connector_id); });
  if (!found) {
    co_return make_error(ErrorCode::kUnavailable, "no connection to " + tool_copy->connector_id);
  }
  http::ClientRequest out;
  out.method = boost::beast::http::string_to_verb(request.method);
  out.url = std::move(request.url);
  out.headers = std::move(request.headers);
  out.headers.emplace_back("Authorization", "Bearer " + (*found)->access_token);
  out.body = std::move(request.body);
  out.options.timeout = std::chrono::seconds(30);
  out.options.address_policy = tool_copy->api.allow_loopback_http ? http::AddressPolicy::kAllowLoopback
                                                                  : http::AddressPolicy::kPublicOnly;
  auto reply = co_await http::fetch(std::move(out));
  if (!reply) {
    co_return make_error(ErrorCode::kUnavailable, reply.error().message);
  }
  connectors::UpstreamReply r;
  r.status = static_cast<int>(reply->status());
  r.content_type = std::string(reply->header(http::Field::content_type));
  r.body = std::move(reply->message.body());
  co_return r;
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
    ConfiguredConnector c;
    c.resource = cc.resource.empty() ? default_connector_resource(*def) : cc.resource;
    c.def = std::make_shared<const connectors::ConnectorDef>(std::move(def).value());
    c.client = {cc.client_id, cc.client_secret};
    out.push_back(std::move(c));
  }
  return out;
}

connectors::ConnectorRuntime minimal_runtime(vault::Vault& vault, store::Executor& executor,
                                             std::string public_url) {
  (void)public_url;  // the guard in front of the handler words the connect link
  connectors::ConnectorRuntime rt;
  rt.connection = minimal_connection;
  MinimalSender sender{&vault, &executor};
  rt.send = [sender](const connectors::ToolDef& tool, connectors::HttpRequest request,
                     mcp::ToolContext& ctx) {
    const mcp::Caller* caller = ctx.caller();
    std::string user = caller != nullptr ? caller->subject : std::string();
    return minimal_send(sender, std::make_shared<const connectors::ToolDef>(tool),
                        std::move(request), std::move(user));
  };
  return rt;
}

void register_connector_tools(mcp::Registry& registry,
                              const std::vector<ConfiguredConnector>& connectors,
                              vault::Vault& vault, store::Executor& executor,
                              const std::string& public_url) {
  const connectors::ConnectorRuntime runtime = minimal_runtime(vault, executor, public_url);
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
