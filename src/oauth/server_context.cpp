#include "oauth/server_context.hpp"

#include "crypto/hash.hpp"
#include "oauth/http_util.hpp"

namespace mcpgate::oauth {
namespace {

std::string strip_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

}  // namespace

Endpoints::Endpoints(const std::string& issuer_in)
    : issuer(strip_trailing_slash(issuer_in)),
      origin(origin_of(issuer)),
      base_path(path_of(issuer)),
      authorize_path(base_path + "/authorize"),
      token_path(base_path + "/token"),
      register_path(base_path + "/register"),
      jwks_path(base_path + "/jwks.json"),
      introspect_path(base_path + "/introspect"),
      revoke_path(base_path + "/revoke"),
      login_path(base_path + "/login"),
      consent_path(base_path + "/consent"),
      logout_path(base_path + "/logout"),
      sso_start_path(base_path + "/sso/start"),
      sso_callback_path(base_path + "/sso/callback"),
      authorization_endpoint(issuer + "/authorize"),
      token_endpoint(issuer + "/token"),
      registration_endpoint(issuer + "/register"),
      jwks_uri(issuer + "/jwks.json"),
      introspection_endpoint(issuer + "/introspect"),
      revocation_endpoint(issuer + "/revoke"),
      sso_callback_url(issuer + "/sso/callback") {}

std::mutex& StripedLocks::for_key(std::string_view key) {
  const std::string digest = crypto::sha256(key);
  return locks_[static_cast<unsigned char>(digest[0]) % locks_.size()];
}

ServerContext::ServerContext(AuthOptions options_in, store::Store& store_in,
                             store::Executor& executor_in, CimdResolver* cimd_in, Clock clock_in)
    : options(std::move(options_in)),
      urls(options.issuer),
      store(store_in),
      executor(executor_in),
      cimd(cimd_in),
      clock(clock_in ? std::move(clock_in) : Clock(system_now)),
      scopes(options),
      resources(options.resources),
      organizations(options.organizations),
      keys(store_in, std::max<std::int64_t>(options.access_token_ttl_s, kMaxAccessTokenTtl) + 120),
      clients(store_in, executor_in, cimd_in, options),
      sessions(BrowserSessions::Options{
          origin_of(options.issuer).rfind("https://", 0) == 0,
          options.login_session_ttl_s,
          options.limits.flow_ttl_s,
          options.limits.max_sessions,
          options.limits.max_flows,
      }),
      token_limiter(options.limits.token_requests_per_minute),
      login_limiter(options.limits.login_attempts_per_minute),
      registration_limiter(options.dcr.registrations_per_minute),
      sso_limiter(options.limits.sso_starts_per_minute),
      deprovisioning(store_in, clock) {
  deprovisioning.on_revoked([this](const std::vector<store::RevokedToken>& entries) {
    notify_revoked(entries);
  });
  deprovisioning.on_user_changed([this](const std::string& user_id) {
    sessions.drop_user(user_id);
  });
}

asio::awaitable<Result<bool>> ServerContext::session_active(const BrowserSession& session) {
  auto user = co_await executor.run([&] { return store.find_user(session.user_id); });
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      co_return false;
    }
    co_return user.error();
  }
  co_return session_survives(*user, session.session_epoch) && user->org_id == session.org_id;
}

void ServerContext::notify_revoked(const std::vector<store::RevokedToken>& entries) {
  if (entries.empty()) {
    return;
  }
  std::function<void(const std::vector<store::RevokedToken>&)> fn;
  {
    std::lock_guard<std::mutex> lock(listener_mu_);
    fn = listener_;
  }
  if (fn) {
    fn(entries);
  }
}

void ServerContext::set_revocation_listener(
    std::function<void(const std::vector<store::RevokedToken>&)> fn) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(fn);
}

}  // namespace mcpgate::oauth
