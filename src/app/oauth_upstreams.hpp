#pragma once
// Upstream MCP servers that require OAuth (`gateway.upstreams[].auth: oauth`, issue 6 item 4):
// the running half of connectors/upstream_oauth.
//
//  - discovery and registration (PRM, AS metadata, CIMD / DCR / configured client) at start and
//    again on demand while it fails; the result is a tool-less connector (`id` = the upstream's
//    name) that the connect pages (/connect/<name>) and the token refresher use as they use a
//    SaaS connector's definition;
//  - the gate's Client ID Metadata Document at <public_url>/oauth/client-metadata.json (its
//    URL is the client_id at every upstream that supports CIMD);
//  - the gateway's UpstreamCredentials: the calling user's own connection from the vault, an
//    access token refreshed first when due (the same TokenRefresher as connectors: one refresh
//    per connection, the store's lease across replicas, commit before use), or after a 401;
//  - the catalog user: the upstream's tool list is read with a connected user's token (the
//    last who connected or called), since the upstream serves nothing without one.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/connector_setup.hpp"
#include "connectors/token_refresher.hpp"
#include "connectors/upstream_oauth.hpp"
#include "gateway/gateway.hpp"
#include "http/router.hpp"
#include "store/executor.hpp"
#include "vault/vault.hpp"

namespace mcpgate::app {

inline constexpr const char* kClientMetadataPath = "/oauth/client-metadata.json";

class OAuthUpstreams final : public gateway::UpstreamCredentials,
                             public std::enable_shared_from_this<OAuthUpstreams> {
 public:
  struct Deps {
    vault::Vault* vault = nullptr;
    store::Store* store = nullptr;
    store::Executor* executor = nullptr;
    asio::any_io_executor io;
    std::string public_url;
  };

  // The `auth: oauth` upstreams of the list (none: nullptr).
  static Result<std::shared_ptr<OAuthUpstreams>> create(
      const std::vector<gateway::UpstreamOptions>& upstreams, Deps deps);

  // Discovers every upstream not yet discovered (failures are logged; retried on demand).
  asio::awaitable<void> discover_all();
  // The connect pages' lookup: the upstream's connector once discovered (stable for the
  // process's life), else nullptr (and a discovery is started).
  const ConfiguredConnector* connector(const std::string& id);
  // A user completed the connect flow: they become the catalog user and the lists are re-read.
  void connected(const std::string& id, const std::string& user);
  void set_gateway(std::weak_ptr<gateway::Gateway> gateway);
  // GET <kClientMetadataPath>
  void mount(http::Router& router);
  bool has(const std::string& id) const { return entries_.count(id) > 0; }

  asio::awaitable<Result<std::string>> caller_authorization(std::string upstream, std::string user,
                                                            bool after_401) override;
  asio::awaitable<Result<std::string>> catalog_authorization(std::string upstream) override;
  std::string connect_link(const std::string& upstream) const override;

 private:
  struct Entry {
    connectors::UpstreamOAuthSettings settings;
    std::shared_ptr<const ConfiguredConnector> configured;  // set once discovered
    bool discovering = false;
    std::string catalog_user;
  };

  OAuthUpstreams(Deps deps, std::unique_ptr<connectors::TokenRefresher> refresher);
  asio::awaitable<Result<std::shared_ptr<const ConfiguredConnector>>> discovered(std::string id);
  void start_discovery(const std::string& id);
  asio::awaitable<Result<connectors::ClientCredentials>> registration(
      connectors::UpstreamOAuthSettings settings, connectors::AuthServerInfo as);
  std::string client_metadata_document() const;
  asio::awaitable<void> serve_client_metadata(http::Exchange& ex);

  Deps deps_;
  std::unique_ptr<connectors::TokenRefresher> refresher_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // keys fixed at create()
  std::weak_ptr<gateway::Gateway> gateway_;
};

}  // namespace mcpgate::app
