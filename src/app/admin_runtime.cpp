#include "app/admin_runtime.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "app/config_reload.hpp"
#include "connectors/connector.hpp"
#include "oauth/scopes.hpp"
#include "store/vault_types.hpp"

namespace mcpgate::app {

using Json = nlohmann::json;

namespace {

std::int64_t admin_runtime_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json upstreams_json(gateway::Gateway& gw) {
  Json items = Json::array();
  for (const auto& u : gw.upstream_status()) {
    items.push_back(Json{{"name", u.name},
                         {"transport", u.transport},
                         {"auth", u.oauth ? "oauth" : "gate"},
                         {"ready", u.ready},
                         {"circuit", u.circuit},
                         {"tools", u.tools},
                         {"withheld_tools", u.withheld},
                         {"prompts", u.prompts},
                         {"resources", u.resources}});
  }
  return items;
}

std::size_t enabled_connectors(const Config& config) {
  std::size_t n = 0;
  for (const auto& c : config.connectors) {
    n += c.enabled ? 1 : 0;
  }
  return n;
}

Json connectors_json(const std::vector<ConfiguredConnector>& connectors,
                     const std::vector<gateway::UpstreamOptions>& upstreams) {
  Json items = Json::array();
  for (const auto& c : connectors) {
    Json tools = Json::array();
    for (const auto& t : c.def->tools) {
      tools.push_back(connectors::mcp_tool_name(t));
    }
    items.push_back(Json{{"id", c.def->id},
                         {"kind", "connector"},
                         {"name", c.def->display_name},
                         {"auth", "oauth2"},
                         {"tools", std::move(tools)},
                         {"scopes", c.def->oauth.scopes}});
  }
  for (const auto& u : upstreams) {
    if (u.oauth.enabled) {
      // Its tools are the upstream's own (listUpstreams counts them).
      items.push_back(Json{{"id", u.name},
                           {"kind", "oauth_upstream"},
                           {"name", u.name},
                           {"auth", "oauth2"},
                           {"tools", Json::array()}});
    }
  }
  return items;
}

Result<Json> connections_json(vault::Vault& vault, const std::string& user_id) {
  MCPGATE_ASSIGN_OR_RETURN(auto conns, vault.list_connections(kConnectTenant, user_id));
  std::sort(conns.begin(), conns.end(), [](const vault::ConnectionInfo& a, const vault::ConnectionInfo& b) {
    return a.connector < b.connector;
  });
  Json items = Json::array();
  for (const auto& c : conns) {
    items.push_back(Json{{"connector", c.connector},
                         {"status", store::vault_connection_status_name(c.status)},
                         {"suspended", c.suspended},
                         {"scopes", oauth::split_scope(c.scopes)},
                         {"expires_at", c.expires_at},
                         {"created_at", c.created_at},
                         {"refreshed_at", c.updated_at}});
  }
  return items;
}

Json quota_rules_json(const std::vector<quota::QuotaRule>& rules) {
  Json items = Json::array();
  for (const auto& r : rules) {
    Json per = Json::array();
    if (r.per_user) {
      per.push_back("user");
    }
    if (r.per_client) {
      per.push_back("client");
    }
    if (r.per_tool) {
      per.push_back("tool");
    }
    items.push_back(Json{{"name", r.name},
                         {"per", std::move(per)},
                         {"tools", r.match_tool},
                         {"calls_per_minute", r.calls_per_minute},
                         {"max_concurrent", r.max_concurrent}});
  }
  return items;
}

}  // namespace

admin::RuntimeSources runtime_sources(const Config& config, RuntimeParts parts) {
  admin::RuntimeSources src;
  src.store = parts.store;
  src.clock = admin_runtime_now;
  if (parts.gateway) {
    src.upstreams = [gw = parts.gateway] { return upstreams_json(*gw); };
    src.pin_approved = [gw = parts.gateway, io = parts.io](const std::string& upstream) {
      // The tool is offered again at once in this process (others at their next refresh).
      asio::co_spawn(io, gw->refresh(upstream), asio::detached);
    };
  }
  src.connectors = [items = connectors_json(parts.connectors, config.gateway.upstreams)] {
    return items;
  };
  if (parts.vault != nullptr) {
    vault::Vault* v = parts.vault;
    src.user_connections = [v](const std::string& user_id) { return connections_json(*v, user_id); };
    src.revoke_connection = [v](const std::string& user_id, const std::string& connector) {
      return v->delete_connection(kConnectTenant, user_id, connector);
    };
    src.rotate_vault_key = [v]() -> Result<Json> {
      // The same re-wrap as `mcpgate vault rotate-key` (vault/cli.cpp).
      MCPGATE_ASSIGN_OR_RETURN(const auto report, v->rotate_master_key(admin_runtime_now()));
      MCPGATE_ASSIGN_OR_RETURN(const auto status, v->status());
      return Json{{"active_master_version", status.active_master_version},
                  {"rewrapped", report.rewrapped},
                  {"current", report.current},
                  {"failures", report.failures}};
    };
  }
  if (parts.quotas) {
    src.quotas = [q = parts.quotas] { return quota_rules_json(q->rules()); };
  }
  Json features = {{"auth", config.auth.enabled},
                   {"authz", config.authz.enabled},
                   {"gateway", config.gateway.enabled},
                   {"tool_pinning", config.gateway.enabled && config.gateway.pin_tools},
                   {"audit", config.audit.enabled},
                   {"scim", config.auth.enabled && config.scim.enabled},
                   {"admin", config.admin.enabled},
                   {"connectors", enabled_connectors(config)},
                   {"metrics_token", !config.metrics_token.empty()}};
  const std::string backend = config.store.kind;
  const std::int64_t started = parts.started_at;
  src.status = [features = std::move(features), backend, started, gw = parts.gateway,
                as = parts.as, vault = parts.vault]() -> Json {
    const ReloadCounts reloads = reload_counts();
    Json signing = Json::array();
    if (as != nullptr) {
      if (const auto keys = as->verification_keys()) {
        for (const auto& k : keys->keys()) {
          signing.push_back(k.kid());
        }
      }
    }
    Json vault_keys = nullptr;
    if (vault != nullptr) {
      if (auto st = vault->status()) {
        vault_keys = Json{{"active_master_version", st->active_master_version},
                          {"master_versions_loaded", st->master_versions_loaded}};
      }
    }
    const std::int64_t now = admin_runtime_now();
    Json out = {{"version", MCPGATE_VERSION},
                {"started_at", started},
                {"uptime_s", now - started},
                {"store", backend},
                {"config", Json{{"loaded_at", static_cast<std::int64_t>(reloads.loaded_at)},
                                {"reloads", reloads.successes},
                                {"rejected_reloads", reloads.failures}}},
                {"features", features},
                {"upstreams", gw ? gw->upstream_status().size() : 0},
                {"keys", Json{{"signing_kids", signing}, {"vault", vault_keys}}}};
    return out;
  };
  return src;
}

}  // namespace mcpgate::app
