#include "oauth/sso_endpoint.hpp"

#include "core/log.hpp"
#include "identity/authorization.hpp"
#include "oauth/error_response.hpp"
#include "oauth/form.hpp"
#include "oauth/http_util.hpp"
#include "oauth/server_context.hpp"
#include "oauth/sso_accounts.hpp"

namespace mcpgate::oauth {
namespace {

using http::StatusCode;
using http::bhttp::verb;

constexpr std::size_t kMaxPendingSsoLogins = 100000;
constexpr std::size_t kMaxLoginHintBytes = 256;

http::Response sso_redirect(StatusCode status, std::string location) {
  http::Response res{status, 11};
  res.set(http::Field::location, std::move(location));
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

http::Response sso_expired_page() {
  return error_page(StatusCode::bad_request, "Sign-in expired",
                    "This sign-in is not valid any more (it expired, was already used, or was "
                    "started in another browser). Return to the application and start again.");
}

void sso_refused(std::string_view org_id, std::string_view reason) {
  log::info("sso_login_refused", {{"org_id", org_id}, {"reason", reason}});
}

bool sso_is_get(const http::Request& req) {
  return req.method() == verb::get || req.method() == verb::head;
}

http::Response sso_method_page() {
  http::Response res = error_page(StatusCode::method_not_allowed, "Invalid request", "Use GET.");
  res.set(http::Field::allow, "GET");
  return res;
}

// The page for a callback the relying party refused. What the user may learn: that the IdP
// said no (with its error code), that the sign-in expired, or that it failed.
http::Response sso_refusal_page(const Error& error, const std::string& idp_error,
                                std::string_view display_name) {
  if (error.code == ErrorCode::kNotFound) {
    return sso_expired_page();
  }
  if (!idp_error.empty()) {
    return error_page(StatusCode::forbidden, "Sign-in refused",
                      std::string(display_name) + " did not sign you in (error: " + idp_error
                          + "). Return to the application and try again.");
  }
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kDeadlineExceeded) {
    return error_page(StatusCode::bad_gateway, "Sign-in failed",
                      std::string(display_name)
                          + " could not be reached. Please try again in a moment.");
  }
  return error_page(StatusCode::forbidden, "Sign-in failed",
                    "The answer from " + std::string(display_name)
                        + " could not be verified, so you were not signed in. Return to the "
                          "application and start again.");
}

}  // namespace

SsoEndpoint::SsoEndpoint(ServerContext& ctx, std::shared_ptr<const SsoDirectory> directory)
    : ctx_(ctx), directory_(std::move(directory)), pending_(kMaxPendingSsoLogins) {}

std::string SsoEndpoint::form_action_origins() const {
  std::string out;
  std::lock_guard lock(origins_mu_);
  for (const auto& c : directory_->all()) {
    const std::string issuer_origin = origin_of(c.rp.config().issuer);
    out += (out.empty() ? "" : " ") + issuer_origin;
    const auto it = authorize_origins_.find(c.org_id);
    if (it != authorize_origins_.end() && it->second != issuer_origin) {
      out += " " + it->second;
    }
  }
  return out;
}

asio::awaitable<http::Response> SsoEndpoint::begin(PendingAuthorization flow,
                                                   const SsoConnection* connection,
                                                   std::string login_hint,
                                                   std::string remote_ip) {
  const std::int64_t now = ctx_.now();
  int retry_after = 0;
  if (!ctx_.sso_limiter.allow(remote_ip, now, &retry_after)) {
    sso_refused(connection->org_id, "rate_limited");
    http::Response res = error_page(StatusCode::too_many_requests, "Too many attempts",
                                    "Too many sign-in attempts. Wait a minute and try again.");
    res.set(http::Field::retry_after, std::to_string(retry_after));
    co_return res;
  }
  identity::LoginOptions options;
  options.browser_key = flow.browser_key;
  options.return_to = flow.id;
  if (login_hint.size() <= kMaxLoginHintBytes) {  // a hint is a courtesy: drop a strange one
    options.login_hint = std::move(login_hint);
  }
  if (flow.force_login) {
    options.prompt = "login";  // the client asked for a fresh sign-in: ask the IdP for one too
  }
  const std::string org_id = connection->org_id;
  auto redirect = co_await connection->rp.begin_login(std::move(options));
  if (!redirect && redirect.error().code == ErrorCode::kInvalidArgument) {
    // The login_hint was refused (control characters): start without it.
    identity::LoginOptions plain;
    plain.browser_key = flow.browser_key;
    plain.return_to = flow.id;
    redirect = co_await connection->rp.begin_login(std::move(plain));
  }
  if (!redirect) {
    log::warn("sso_start_failed",
              {{"org_id", org_id}, {"error_code", error_code_name(redirect.error().code)},
               {"error", redirect.error().message}});
    co_return error_page(StatusCode::bad_gateway, "Sign-in unavailable",
                         connection->display_name
                             + " cannot be reached right now. Please try again in a moment.");
  }
  pending_.put(redirect->state, Pending{org_id, flow.id}, now + ctx_.options.limits.flow_ttl_s, now);
  {
    std::lock_guard lock(origins_mu_);
    authorize_origins_[org_id] = origin_of(redirect->url);
  }
  log::info("sso_login_started", {{"org_id", org_id}, {"client_id", flow.client_id}});
  co_return sso_redirect(StatusCode::found, std::move(redirect->url));
}

asio::awaitable<void> SsoEndpoint::start(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (!sso_is_get(req)) {
    co_await ex.respond(sso_method_page());
    co_return;
  }
  const std::int64_t now = ctx_.now();
  auto params = parse_form(query_of(req.target()));
  if (!params || params->count("flow") != 1 || params->count("org") != 1) {
    co_await ex.respond(error_page(StatusCode::bad_request, "Invalid request",
                                   "The sign-in link is malformed."));
    co_return;
  }
  const SsoConnection* connection = directory_->find(params->value("org"));
  if (connection == nullptr) {
    co_await ex.respond(error_page(StatusCode::bad_request, "Invalid request",
                                   "This organization does not sign in through an identity "
                                   "provider."));
    co_return;
  }
  const std::string browser = BrowserSessions::browser_key(ctx_.sessions.cookie_value(req));
  auto flow = ctx_.sessions.find_flow(params->value("flow"), browser, now);
  if (!flow) {
    sso_refused(connection->org_id, "flow");
    co_await ex.respond(sso_expired_page());
    co_return;
  }
  std::string hint;
  std::string ip = ex.remote_ip();
  http::Response res = co_await begin(std::move(*flow), connection, std::move(hint), std::move(ip));
  co_await ex.respond(std::move(res));
}

asio::awaitable<void> SsoEndpoint::callback(http::Exchange& ex) {
  const http::Request& req = ex.request();
  if (!sso_is_get(req)) {
    co_await ex.respond(sso_method_page());
    co_return;
  }
  const std::int64_t now = ctx_.now();
  auto params = identity::parse_callback_query(query_of(req.target()));
  if (!params) {
    sso_refused("", "malformed_callback");
    co_await ex.respond(error_page(StatusCode::bad_request, "Invalid request",
                                   "The answer from the identity provider is malformed."));
    co_return;
  }
  if (!params->state || params->state->empty()) {
    sso_refused("", "missing_state");
    co_await ex.respond(sso_expired_page());
    co_return;
  }
  auto pending = pending_.take(*params->state, now);
  const SsoConnection* connection = pending ? directory_->find(pending->org_id) : nullptr;
  if (connection == nullptr) {
    sso_refused("", "unknown_state");
    co_await ex.respond(sso_expired_page());
    co_return;
  }
  const std::string cookie = ctx_.sessions.cookie_value(req);
  const std::string browser = BrowserSessions::browser_key(cookie);
  const std::string idp_error =
      params->error ? identity::sanitized_error_code(*params->error) : std::string();
  identity::CallbackParams answer = std::move(params).value();
  auto signin = co_await connection->rp.complete_login(std::move(answer), browser);
  if (!signin) {
    sso_refused(connection->org_id, signin.error().message);
    // The IdP's own refusal is only shown as such once state and iss have passed.
    const bool from_idp = !idp_error.empty()
                          && signin.error().message.find("answered with error") != std::string::npos;
    http::Response page = sso_refusal_page(signin.error(), from_idp ? idp_error : std::string(),
                                           connection->display_name);
    co_await ex.respond(std::move(page));
    co_return;
  }
  auto flow = ctx_.sessions.find_flow(signin->return_to, browser, now);
  if (!flow) {
    sso_refused(connection->org_id, "flow");
    co_await ex.respond(sso_expired_page());
    co_return;
  }
  SsoAccountPolicy policy{connection->org_id, connection->jit, connection->username_claim};
  const identity::Identity& who = signin->identity;
  auto account = co_await ctx_.executor.run(
      [&]() -> Result<SsoAccount> { return resolve_sso_account(ctx_.store, policy, who, now); });
  if (!account) {
    const Error& e = account.error();
    if (e.code == ErrorCode::kPermissionDenied) {
      sso_refused(connection->org_id, e.message == "disabled" ? "user_disabled" : "no_account");
      const std::string text =
          e.message == "disabled"
              ? "Your account is disabled. Ask your administrator for access."
              : "You signed in at " + connection->display_name
                    + ", but you have no account here yet. Ask your administrator to give you "
                      "access.";
      co_await ex.respond(error_page(StatusCode::forbidden, "No access", text));
      co_return;
    }
    log::error("sso_account_failed", {{"org_id", connection->org_id}, {"error", e.message}});
    co_await ex.respond(error_page(StatusCode::service_unavailable, "Temporarily unavailable",
                                   "The service is temporarily unavailable. Please try again in "
                                   "a moment."));
    co_return;
  }
  const std::string new_cookie =
      ctx_.sessions.sign_in(cookie, account->user, now);
  const std::string new_browser = BrowserSessions::browser_key(new_cookie);
  ctx_.sessions.update_flow(flow->id, now, [&](PendingAuthorization& f) {
    f.browser_key = new_browser;
    f.force_login = false;
    f.login_error.clear();
    f.last_username.clear();
  });
  // Group names are recorded (they drive policies later); the token claims never are.
  log::info("sso_login", {{"result", "ok"},
                          {"org_id", connection->org_id},
                          {"user_id", account->user.id},
                          {"issuer", who.issuer},
                          {"jit_created", account->created},
                          {"groups", who.groups},
                          {"groups_overage", who.groups_overage}});
  std::string next = flow->return_to;
  if (next.empty()) {
    next = append_query(ctx_.urls.consent_path, {{"flow", flow->id}});
  } else {
    ctx_.sessions.remove_flow(flow->id);
  }
  http::Response res = sso_redirect(StatusCode::see_other, std::move(next));
  res.insert(http::Field::set_cookie, ctx_.sessions.set_cookie(new_cookie));
  co_await ex.respond(std::move(res));
}

}  // namespace mcpgate::oauth
