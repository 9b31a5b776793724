#include "oauth/authorization_server.hpp"

#include "core/log.hpp"
#include "oauth/authorize_endpoint.hpp"
#include "oauth/cli.hpp"
#include "oauth/client_auth.hpp"
#include "oauth/introspection.hpp"
#include "oauth/metadata.hpp"
#include "oauth/organizations.hpp"
#include "oauth/registration.hpp"
#include "oauth/revocation.hpp"
#include "oauth/server_context.hpp"
#include "oauth/sso_directory.hpp"
#include "oauth/sso_endpoint.hpp"
#include "oauth/token_endpoint.hpp"

namespace mcpgate::oauth {

Result<std::unique_ptr<AuthorizationServer>> AuthorizationServer::create(
    AuthOptions options, store::Store& store, store::Executor& executor, CimdResolver* cimd,
    Clock clock) {
  MCPGATE_TRY(validate_auth_options(options));
  if (options.cimd.allow_loopback_for_tests) {
    log::warn("oauth_insecure_test_mode",
              {{"setting", "auth.cimd.allow_loopback_for_tests"},
               {"effect", "client metadata documents and client key sets may be fetched from loopback"}});
  }
  auto ctx = std::make_unique<ServerContext>(std::move(options), store, executor, cimd,
                                             std::move(clock));
  // Reads the organizations' IdP secrets and keys; fetches nothing yet.
  MCPGATE_ASSIGN_OR_RETURN(auto sso,
                           SsoDirectory::create(ctx->options.sso, ctx->urls.sso_callback_url));
  const std::int64_t now = ctx->now();
  MCPGATE_TRY(sync_organizations(store, ctx->options, now));
  MCPGATE_TRY(seed_users(store, ctx->options, now));
  MCPGATE_TRY(ctx->clients.seed_static_clients(now));
  MCPGATE_TRY(ctx->keys.refresh(now));
  log::info("oauth_server_ready", {{"issuer", ctx->urls.issuer},
                                   {"resources", ctx->resources.all()},
                                   {"static_clients", ctx->options.clients.size()},
                                   {"cimd", ctx->options.cimd.enabled && cimd != nullptr},
                                   {"dcr", ctx->options.dcr.enabled},
                                   {"sso_organizations", sso->all().size()}});
  return std::unique_ptr<AuthorizationServer>(new AuthorizationServer(std::move(ctx), std::move(sso)));
}

AuthorizationServer::AuthorizationServer(std::unique_ptr<ServerContext> ctx,
                                         std::shared_ptr<const SsoDirectory> sso)
    : ctx_(std::move(ctx)),
      authenticator_(std::make_unique<ClientAuthenticator>(*ctx_)),
      sso_(sso->empty() ? nullptr : std::make_unique<SsoEndpoint>(*ctx_, std::move(sso))),
      authorize_(std::make_unique<AuthorizeEndpoint>(*ctx_, sso_.get())),
      token_(std::make_unique<TokenEndpoint>(*ctx_, *authenticator_)),
      introspection_(std::make_unique<IntrospectionEndpoint>(*ctx_, *authenticator_)),
      revocation_(std::make_unique<RevocationEndpoint>(*ctx_, *authenticator_)),
      registration_(std::make_unique<RegistrationEndpoint>(*ctx_)) {}

AuthorizationServer::~AuthorizationServer() = default;

void AuthorizationServer::register_routes(http::Router& router) {
  const Endpoints& u = ctx_->urls;
  for (auto& [path, document] : discovery_documents(*ctx_)) {
    router.add(path, [doc = std::move(document)](http::Exchange& ex) { return serve_document(ex, doc); });
  }
  ServerContext* ctx = ctx_.get();
  router.add(u.jwks_path, [ctx](http::Exchange& ex) { return serve_jwks(ex, *ctx); });
  AuthorizeEndpoint* authorize = authorize_.get();
  router.add(u.authorize_path, [authorize](http::Exchange& ex) { return authorize->authorize(ex); });
  router.add(u.login_path, [authorize](http::Exchange& ex) { return authorize->login(ex); });
  router.add(u.consent_path, [authorize](http::Exchange& ex) { return authorize->consent(ex); });
  router.add(u.logout_path, [authorize](http::Exchange& ex) { return authorize->logout(ex); });
  if (sso_) {
    SsoEndpoint* sso = sso_.get();
    router.add(u.sso_start_path, [sso](http::Exchange& ex) { return sso->start(ex); });
    router.add(u.sso_callback_path, [sso](http::Exchange& ex) { return sso->callback(ex); });
  }
  TokenEndpoint* token = token_.get();
  router.add(u.token_path, [token](http::Exchange& ex) { return token->handle(ex); });
  IntrospectionEndpoint* introspection = introspection_.get();
  router.add(u.introspect_path, [introspection](http::Exchange& ex) { return introspection->handle(ex); });
  RevocationEndpoint* revocation = revocation_.get();
  router.add(u.revoke_path, [revocation](http::Exchange& ex) { return revocation->handle(ex); });
  if (ctx_->options.dcr.enabled) {
    RegistrationEndpoint* registration = registration_.get();
    router.add(u.register_path,
               [registration](http::Exchange& ex) { return registration->register_client(ex); });
    router.add_prefix(u.register_path + "/",
                      [registration](http::Exchange& ex) { return registration->manage_client(ex); });
  }
}

const std::string& AuthorizationServer::issuer() const { return ctx_->urls.issuer; }

const std::string& AuthorizationServer::origin() const { return ctx_->urls.origin; }

asio::awaitable<std::optional<AuthorizationServer::SignedIn>> AuthorizationServer::signed_in(
    const http::Request& req) const {
  const std::string cookie = ctx_->sessions.cookie_value(req);
  if (cookie.empty()) {
    co_return std::nullopt;
  }
  auto session = ctx_->sessions.find_session(cookie, ctx_->now());
  if (!session) {
    co_return std::nullopt;
  }
  const Result<bool> active = co_await ctx_->session_active(*session);
  if (!active) {
    log::error("oauth_user_lookup_failed", {{"error", active.error().message}});
    co_return std::nullopt;
  }
  if (!*active) {
    (void)ctx_->sessions.sign_out(cookie);  // deprovisioned: the session is over for good
    co_return std::nullopt;
  }
  SignedIn out{session->user_id, session->username, BrowserSessions::browser_key(cookie),
               session->org_id};
  co_return out;
}

UserDeprovisioning& AuthorizationServer::deprovisioning() { return ctx_->deprovisioning; }

http::Response AuthorizationServer::sign_in_redirect(const http::Request& req,
                                                     const std::string& return_to,
                                                     const std::string& purpose) const {
  // The same pending-request machinery as /authorize (browser binding, CSRF, expiry), with a
  // local page to return to instead of a client.
  std::string cookie = ctx_->sessions.cookie_value(req);
  std::string set_cookie;
  if (cookie.empty()) {
    cookie = BrowserSessions::new_cookie_value();
    set_cookie = ctx_->sessions.set_cookie(cookie);
  }
  PendingAuthorization flow;
  flow.browser_key = BrowserSessions::browser_key(cookie);
  flow.client_name = purpose;
  flow.return_to = return_to;
  flow = ctx_->sessions.add_flow(std::move(flow), ctx_->now());
  http::Response res{http::StatusCode::see_other, 11};
  res.set(http::Field::location, ctx_->urls.login_path + "?flow=" + flow.id);
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  if (!set_cookie.empty()) {
    res.insert(http::Field::set_cookie, set_cookie);
  }
  return res;
}

const std::vector<std::string>& AuthorizationServer::resources() const {
  return ctx_->resources.all();
}

const ScopeSet& AuthorizationServer::scopes() const { return ctx_->scopes; }

std::shared_ptr<const crypto::JwkSet> AuthorizationServer::verification_keys() const {
  auto snapshot = ctx_->keys.current();
  return std::shared_ptr<const crypto::JwkSet>(snapshot, &snapshot->verification);
}

void AuthorizationServer::set_revocation_listener(
    std::function<void(const std::vector<store::RevokedToken>&)> fn) {
  ctx_->set_revocation_listener(std::move(fn));
}

Status AuthorizationServer::maintain_once() {
  const std::int64_t now = ctx_->now();
  ctx_->sessions.purge(now);
  MCPGATE_TRY(ctx_->keys.refresh(now));
  // The store purge scans more; every tenth run is plenty.
  if (maintenance_runs_++ % 10 == 0) {
    auto purged = ctx_->store.purge_expired(now);
    if (!purged) {
      return purged.error();
    }
  }
  return {};
}

Status AuthorizationServer::reload_signing_keys() { return ctx_->keys.refresh(ctx_->now()); }

asio::awaitable<void> AuthorizationServer::run_maintenance(std::chrono::seconds period) {
  co_await ctx_->executor.run_every(
      period, stopped_, [this] { return maintain_once(); },
      [](const Error& e) { log::error("oauth_maintenance_failed", {{"error", e.message}}); });
}

void AuthorizationServer::stop() { stopped_.store(true); }

}  // namespace mcpgate::oauth
