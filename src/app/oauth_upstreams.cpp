#include "app/oauth_upstreams.hpp"

#include <chrono>
#include <random>

#include "connectors/connect_required.hpp"
#include "connectors/retry_policy.hpp"
#include "core/log.hpp"
#include "http/client.hpp"
#include "oauth/http_util.hpp"

namespace mcpgate::app {

using Json = nlohmann::json;

namespace {

std::int64_t oauth_upstream_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The vault "user" that holds the gate's DCR registration at each upstream: '#' is in no user id
// the gate issues or accepts, so no signed-in user can be it.
constexpr const char* kRegistrationUser = "#gate-registration";

std::int64_t oauth_upstream_jitter() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, 30)(rng);
}

connectors::UpstreamRegistration oauth_upstream_registration(const std::string& text) {
  if (text == "cimd") {
    return connectors::UpstreamRegistration::kCimd;
  }
  if (text == "dcr") {
    return connectors::UpstreamRegistration::kDcr;
  }
  return connectors::UpstreamRegistration::kAuto;
}

}  // namespace

Result<std::shared_ptr<OAuthUpstreams>> OAuthUpstreams::create(
    const std::vector<gateway::UpstreamOptions>& upstreams, Deps deps) {
  std::map<std::string, Entry> entries;
  bool loopback = false;
  std::string base = deps.public_url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  for (const auto& u : upstreams) {
    if (!u.oauth.enabled) {
      continue;
    }
    Entry e;
    e.settings.id = u.name;
    e.settings.upstream_url = u.url;
    e.settings.scopes = u.oauth.scopes;
    e.settings.client_id = u.oauth.client_id;
    e.settings.client_secret = u.oauth.client_secret;
    e.settings.registration = oauth_upstream_registration(u.oauth.registration);
    e.settings.allow_loopback_http = u.oauth.allow_loopback_http;
    e.settings.redirect_uri = base + "/connect/callback";
    e.settings.client_metadata_url = base + kClientMetadataPath;
    loopback = loopback || u.oauth.allow_loopback_http;
    entries.emplace(u.name, std::move(e));
  }
  if (entries.empty()) {
    return std::shared_ptr<OAuthUpstreams>();
  }
  if (deps.vault == nullptr || deps.store == nullptr || deps.executor == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "upstreams with auth: oauth need `auth:` and the token vault");
  }
  auto client = http::default_http_client();
  if (!client) {
    return client.error();
  }
  std::shared_ptr<OAuthUpstreams> self(new OAuthUpstreams(std::move(deps), nullptr));
  self->entries_ = std::move(entries);
  connectors::RefresherOptions options;
  options.tenant = kConnectTenant;
  options.address_policy =
      loopback ? http::AddressPolicy::kAllowLoopback : http::AddressPolicy::kPublicOnly;
  OAuthUpstreams* raw = self.get();  // owns the refresher: outlives its lookups
  auto lookup = [raw](const std::string& id) -> std::optional<connectors::ConnectorCredentials> {
    std::lock_guard lock(raw->mu_);
    auto it = raw->entries_.find(id);
    if (it == raw->entries_.end() || !it->second.configured) {
      return std::nullopt;
    }
    const auto& c = *it->second.configured;
    return connectors::ConnectorCredentials{c.client.client_id, c.client.client_secret, c.resource};
  };
  self->refresher_ = std::make_unique<connectors::TokenRefresher>(
      *self->deps_.vault, *self->deps_.store, *self->deps_.executor, std::move(client).value(),
      std::move(lookup), std::move(options));
  return self;
}

OAuthUpstreams::OAuthUpstreams(Deps deps, std::unique_ptr<connectors::TokenRefresher> refresher)
    : deps_(std::move(deps)), refresher_(std::move(refresher)) {}

void OAuthUpstreams::set_gateway(std::weak_ptr<gateway::Gateway> gateway) {
  std::lock_guard lock(mu_);
  gateway_ = std::move(gateway);
}

asio::awaitable<Result<std::shared_ptr<const ConfiguredConnector>>> OAuthUpstreams::discovered(
    std::string id) {
  connectors::UpstreamOAuthSettings settings;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      co_return make_error(ErrorCode::kNotFound, "no OAuth upstream named " + id);
    }
    if (it->second.configured) {
      co_return it->second.configured;
    }
    settings = it->second.settings;
  }
  auto meta = co_await connectors::discover_upstream_metadata(settings);
  if (!meta) {
    log::warn("upstream_oauth_discovery_failed", {{"upstream", id}, {"error", meta.error().message}});
    co_return meta.error();
  }
  auto how = connectors::choose_upstream_registration(settings, meta->server);
  if (!how) {
    log::warn("upstream_oauth_discovery_failed", {{"upstream", id}, {"error", how.error().message}});
    co_return how.error();
  }
  connectors::ClientCredentials client;
  if (*how == "configured") {
    client = {settings.client_id, settings.client_secret};
  } else if (*how == "cimd") {
    client = {settings.client_metadata_url, ""};
  } else {
    auto registered = co_await registration(settings, meta->server);
    if (!registered) {
      log::warn("upstream_oauth_discovery_failed",
                {{"upstream", id}, {"error", registered.error().message}});
      co_return registered.error();
    }
    client = std::move(*registered);
  }
  auto built = connectors::upstream_oauth_client(settings, meta->server, meta->scopes,
                                                 std::move(client), *how);
  if (!built) {
    co_return built.error();
  }
  auto c = std::make_shared<ConfiguredConnector>();
  c->def = built->def;
  c->client = built->client;
  c->resource = built->resource;
  std::lock_guard lock(mu_);
  Entry& e = entries_.at(id);
  if (!e.configured) {
    e.configured = std::move(c);
    log::info("upstream_oauth_ready",
              {{"upstream", id},
               {"authorization_server", meta->server.issuer},
               {"registration", *how}});
  }
  co_return e.configured;
}

asio::awaitable<Result<connectors::ClientCredentials>> OAuthUpstreams::registration(
    connectors::UpstreamOAuthSettings settings, connectors::AuthServerInfo as) {
  // Registered once: the answer is kept in the vault as a reserved row of the upstream
  // (client_id and client_secret sealed like tokens), valid while the AS's registration
  // endpoint and the gate's redirect URI stay the same.
  const std::string fingerprint = connectors::upstream_registration_fingerprint(settings, as);
  const std::string id = settings.id;
  auto read = [&] {
    return deps_.vault->get_connection(kConnectTenant, kRegistrationUser, id,
                                       vault::Vault::Read::kFromStore);
  };
  Result<vault::SecretsPtr> stored = co_await deps_.executor->run(std::move(read));
  if (stored && (*stored)->scopes == fingerprint && !(*stored)->access_token.empty()) {
    co_return connectors::ClientCredentials{(*stored)->access_token, (*stored)->refresh_token};
  }
  if (!stored && stored.error().code != ErrorCode::kNotFound) {
    co_return stored.error();
  }
  auto registered = co_await connectors::register_upstream_client(settings, as);
  if (!registered) {
    co_return registered.error();
  }
  vault::TokenSet set{registered->client_id, registered->client_secret, 0, fingerprint, ""};
  const std::int64_t now = oauth_upstream_now();
  auto put = [&] {
    return deps_.vault->put_connection(kConnectTenant, kRegistrationUser, id, set, now);
  };
  auto saved = co_await deps_.executor->run(std::move(put));
  if (!saved) {
    co_return saved.error();  // not kept: registering again at every start would pile up clients
  }
  log::info("upstream_oauth_registered", {{"upstream", id}, {"registration_endpoint", as.registration_endpoint}});
  co_return std::move(registered).value();
}

asio::awaitable<void> OAuthUpstreams::discover_all() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : entries_) {
      ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    auto r = co_await discovered(id);
    (void)r;  // logged there
  }
}

void OAuthUpstreams::start_discovery(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.configured || it->second.discovering) {
      return;
    }
    it->second.discovering = true;
  }
  auto self = shared_from_this();
  auto run = [self, id]() -> asio::awaitable<void> {
    auto r = co_await self->discovered(id);
    (void)r;
    std::lock_guard lock(self->mu_);
    self->entries_.at(id).discovering = false;
  };
  asio::co_spawn(deps_.io, std::move(run), asio::detached);
}

const ConfiguredConnector* OAuthUpstreams::connector(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      return nullptr;
    }
    if (it->second.configured) {
      return it->second.configured.get();  // never replaced: the pointer stays valid
    }
  }
  start_discovery(id);
  return nullptr;
}

void OAuthUpstreams::connected(const std::string& id, const std::string& user) {
  std::shared_ptr<gateway::Gateway> gw;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      return;
    }
    it->second.catalog_user = user;
    gw = gateway_.lock();
  }
  if (!gw) {
    return;
  }
  auto resync = [gw, id]() -> asio::awaitable<void> {
    auto st = co_await gw->refresh(id);
    if (!st) {
      log::warn("upstream_sync_failed", {{"upstream", id}, {"error", st.error().message}});
    }
  };
  asio::co_spawn(deps_.io, std::move(resync), asio::detached);
}

std::string OAuthUpstreams::connect_link(const std::string& upstream) const {
  std::string base = deps_.public_url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + "/connect/" + upstream;
}

asio::awaitable<Result<std::string>> OAuthUpstreams::caller_authorization(std::string upstream,
                                                                          std::string user,
                                                                          bool after_401) {
  auto configured = co_await discovered(upstream);
  if (!configured) {
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + upstream + ": its authorization server could not be "
                                                  "discovered");
  }
  const std::shared_ptr<const connectors::ConnectorDef> def = (*configured)->def;
  const std::string display = "MCP server " + upstream;
  auto read = [&] { return deps_.vault->get_connection(kConnectTenant, user, upstream); };
  Result<vault::SecretsPtr> got = co_await deps_.executor->run(std::move(read));
  if (!got) {
    if (got.error().code == ErrorCode::kNotFound) {
      co_return connectors::connect_required_error(
          connectors::connect_required(deps_.public_url, upstream, display, false));
    }
    co_return got.error();
  }
  vault::SecretsPtr secrets = *got;
  if (secrets->status != vault::ConnectionStatus::kActive) {
    co_return connectors::connect_required_error(
        connectors::connect_required(deps_.public_url, upstream, display, true));
  }
  const std::int64_t now = oauth_upstream_now();
  if (after_401 || connectors::refresh_due(secrets->expires_at, secrets->issued_at, now,
                                           oauth_upstream_jitter())) {
    connectors::RefreshResult refreshed =
        co_await refresher_->refresh(def, user, secrets, after_401);
    switch (refreshed.outcome) {
      case connectors::RefreshOutcome::kRefreshed:
      case connectors::RefreshOutcome::kOtherWriter:
        secrets = refreshed.secrets;
        break;
      case connectors::RefreshOutcome::kNeedsReconsent:
        co_return connectors::connect_required_error(
            connectors::connect_required(deps_.public_url, upstream, display, true));
      case connectors::RefreshOutcome::kFailed:
        if (after_401 || secrets->expires_at <= now) {
          co_return make_error(ErrorCode::kUnavailable, "upstream " + upstream +
                                                            ": the token could not be refreshed");
        }
        break;  // still valid for now: use it
    }
  }
  {
    std::lock_guard lock(mu_);
    entries_.at(upstream).catalog_user = user;
  }
  co_return "Bearer " + secrets->access_token;
}

asio::awaitable<Result<std::string>> OAuthUpstreams::catalog_authorization(std::string upstream) {
  std::string user;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(upstream);
    if (it != entries_.end()) {
      user = it->second.catalog_user;
    }
  }
  if (user.empty()) {
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + upstream + ": no user has connected an account yet");
  }
  auto r = co_await caller_authorization(upstream, user, false);
  if (!r && r.error().code == ErrorCode::kFailedPrecondition) {
    std::lock_guard lock(mu_);
    if (entries_.at(upstream).catalog_user == user) {
      entries_.at(upstream).catalog_user.clear();  // disconnected: wait for another user
    }
    co_return make_error(ErrorCode::kUnavailable,
                         "upstream " + upstream + ": no connected user to read its lists with");
  }
  co_return r;
}

std::string OAuthUpstreams::client_metadata_document() const {
  std::lock_guard lock(mu_);
  for (const auto& [id, e] : entries_) {
    return connectors::gate_client_metadata(e.settings).dump();  // one document for all
  }
  return "{}";
}

asio::awaitable<void> OAuthUpstreams::serve_client_metadata(http::Exchange& ex) {
  const Json doc = Json::parse(client_metadata_document());
  http::Response res = oauth::json_response(http::StatusCode::ok, doc, false);
  res.set(http::Field::cache_control, "public, max-age=3600");
  co_await ex.respond(std::move(res));
}

void OAuthUpstreams::mount(http::Router& router) {
  auto self = shared_from_this();
  router.add(kClientMetadataPath,
             [self](http::Exchange& ex) { return self->serve_client_metadata(ex); });
}

}  // namespace mcpgate::app
