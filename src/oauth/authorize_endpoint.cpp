#include "oauth/authorize_endpoint.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "crypto/password.hpp"
#include "crypto/random.hpp"
#include "oauth/http_util.hpp"
#include "oauth/login_pages.hpp"
#include "oauth/pkce.hpp"
#include "oauth/redirect_uri.hpp"
#include "oauth/scopes.hpp"
#include "oauth/server_context.hpp"
#include "oauth/sso_endpoint.hpp"
#include "oauth/token_issuer.hpp"

namespace mcpgate::oauth {
namespace {

using http::StatusCode;
using http::bhttp::verb;

constexpr std::size_t kMaxUsernameBytes = 256;

http::Response bad_request_page(std::string_view message) {
  return error_page(StatusCode::bad_request, "Invalid request", message);
}

http::Response expired_flow_page() {
  return bad_request_page(
      "This sign-in request has expired or is not valid any more. Return to the application "
      "and start again.");
}

http::Response unavailable_page() {
  return error_page(StatusCode::service_unavailable, "Temporarily unavailable",
                    "The service is temporarily unavailable. Please try again in a moment.");
}

http::Response internal_page(std::string_view event, const Error& error) {
  const OAuthError mapped = internal_error(event, error);
  if (mapped.code == OAuthErrorCode::kTemporarilyUnavailable) {
    return unavailable_page();
  }
  return error_page(StatusCode::internal_server_error, "Something went wrong",
                    "The request could not be completed.");
}

http::Response see_other(std::string location) {
  http::Response res{StatusCode::see_other, 11};
  res.set(http::Field::location, std::move(location));
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

http::Response with_cookie(http::Response res, const std::string& set_cookie) {
  if (!set_cookie.empty()) {
    res.insert(http::Field::set_cookie, set_cookie);
  }
  return res;
}

bool is_get(const http::Request& req) {
  return req.method() == verb::get || req.method() == verb::head;
}

std::string flow_location(const std::string& path, const std::string& flow_id) {
  return append_query(path, {{"flow", flow_id}});
}

// The client-visible reason a client could not be used (CimdResolver messages are written to
// be shown; everything else gets a fixed text).
std::string client_error_text(const Error& error) {
  if (error.code == ErrorCode::kNotFound) {
    return "The application (client_id) is not known to this server.";
  }
  return "The application's metadata could not be used: " + error.message;
}

std::vector<std::string> union_of(std::vector<std::string> a, const std::vector<std::string>& b) {
  for (const auto& s : b) {
    if (std::find(a.begin(), a.end(), s) == a.end()) {
      a.push_back(s);
    }
  }
  return a;
}

}  // namespace

std::optional<Params> AuthorizeEndpoint::read_post(const http::Request& req,
                                                   http::Response& error) const {
  if (!has_form_body(req)) {
    error = error_page(StatusCode::unsupported_media_type, "Invalid request",
                       "The form must be sent as application/x-www-form-urlencoded.");
    return std::nullopt;
  }
  if (!form_origin_allowed(req, ctx_.urls.origin)) {
    error = error_page(StatusCode::forbidden, "Invalid request",
                       "The form was submitted from another site.");
    return std::nullopt;
  }
  auto params = parse_form(req.body());
  if (!params) {
    error = bad_request_page("The form could not be read.");
    return std::nullopt;
  }
  return std::move(params).value();
}

asio::awaitable<AuthorizeEndpoint::Validation> AuthorizeEndpoint::validate(
    const Params& p, StatusCode redirect_status) {
  // --- 1. client and redirect URI: until both are trusted, errors are pages -----------------
  if (p.count("client_id") != 1 || p.value("client_id").empty()) {
    co_return bad_request_page(p.count("client_id") > 1 ? "The client_id parameter is repeated."
                                                       : "The client_id parameter is missing.");
  }
  auto client = co_await ctx_.clients.find(p.value("client_id"));
  if (!client) {
    if (client.error().code == ErrorCode::kUnavailable && !looks_like_url(p.value("client_id"))) {
      co_return internal_page("oauth_client_lookup_failed", client.error());
    }
    log::info("oauth_authorize_refused",
              {{"reason", "client"}, {"error_code", error_code_name(client.error().code)}});
    co_return bad_request_page(client_error_text(client.error()));
  }
  if (p.count("redirect_uri") > 1) {
    co_return bad_request_page("The redirect_uri parameter is repeated.");
  }
  std::string redirect_uri;
  if (p.has("redirect_uri")) {
    redirect_uri = p.value("redirect_uri");
    if (!match_redirect_uri(client->redirect_uris, redirect_uri)) {
      log::info("oauth_authorize_refused",
                {{"reason", "redirect_uri"}, {"client_id", client->client_id}});
      co_return bad_request_page("The redirect_uri is not registered for this application.");
    }
  } else {
    // Always required (never defaulted, even to a single registered URI): the token request
    // must then repeat it, and the flow never depends on server-side guessing (ATTACKS row 2).
    co_return bad_request_page("The redirect_uri parameter is missing.");
  }

  // --- 2. from here on the client hears about errors ------------------------------------------
  const std::string state = p.count("state") == 1 ? p.value("state") : std::string();
  auto fail = [&](OAuthErrorCode code, std::string description) -> Validation {
    return error_redirect(redirect_uri, oauth_error(code, std::move(description)), state,
                          ctx_.urls.issuer, redirect_status);
  };
  if (auto repeated = p.first_repeated({"resource"})) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "parameter " + *repeated + " is repeated");
  }
  if (!p.has("response_type")) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "response_type is required");
  }
  if (p.value("response_type") != "code") {
    co_return fail(OAuthErrorCode::kUnsupportedResponseType, "only response_type=code is supported");
  }
  if (p.has("response_mode") && p.value("response_mode") != "query") {
    co_return fail(OAuthErrorCode::kInvalidRequest, "only response_mode=query is supported");
  }
  if (p.has("request") || p.has("request_uri")) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "request objects are not supported");
  }
  if (!client->allows_grant("authorization_code")) {
    co_return fail(OAuthErrorCode::kUnauthorizedClient,
                   "the client is not registered for the authorization_code grant");
  }
  if (!p.has("code_challenge")) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "code_challenge is required (PKCE with S256)");
  }
  if (p.value("code_challenge_method") != kPkceMethodS256) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "code_challenge_method must be S256");
  }
  if (!valid_code_challenge(p.value("code_challenge"))) {
    co_return fail(OAuthErrorCode::kInvalidRequest,
                   "code_challenge must be 43 base64url characters (S256)");
  }
  auto scopes = ctx_.scopes.parse(p.value("scope"));
  if (!scopes) {
    co_return fail(OAuthErrorCode::kInvalidScope, scopes.error().message);
  }
  auto resource = ctx_.resources.resolve(p.all("resource"));
  if (!resource) {
    co_return fail(resource.error().code == ErrorCode::kFailedPrecondition
                       ? OAuthErrorCode::kInvalidRequest
                       : OAuthErrorCode::kInvalidTarget,
                   resource.error().message);
  }
  const std::vector<std::string> prompts = split_scope(p.value("prompt"));
  const auto has_prompt = [&](std::string_view v) {
    return std::find(prompts.begin(), prompts.end(), v) != prompts.end();
  };
  if (has_prompt("none") && prompts.size() > 1) {
    co_return fail(OAuthErrorCode::kInvalidRequest, "prompt=none cannot be combined");
  }

  Validated v;
  v.prompt_none = has_prompt("none");
  PendingAuthorization& f = v.flow;
  f.client_id = client->client_id;
  f.client_name = client->display_name();
  f.client_kind = client->kind;
  f.client_id_host = client->client_id_host;
  f.redirect_uri = std::move(redirect_uri);
  f.state = state;
  f.code_challenge = p.value("code_challenge");
  f.scopes = std::move(scopes).value();
  f.resource = std::move(resource).value();
  f.force_login = has_prompt("login") || has_prompt("select_account");
  f.force_consent = has_prompt("consent");
  co_return v;
}

asio::awaitable<void> AuthorizeEndpoint::authorize(http::Exchange& ex) {
  const http::Request& req = ex.request();
  const bool post = req.method() == verb::post;
  if (!post && !is_get(req)) {
    http::Response res = error_page(StatusCode::method_not_allowed, "Invalid request",
                                    "Use GET or POST for authorization requests.");
    res.set(http::Field::allow, "GET, POST");
    co_await ex.respond(std::move(res));
    co_return;
  }
  Result<Params> params = Params();
  if (post) {
    if (!has_form_body(req)) {
      co_await ex.respond(error_page(StatusCode::unsupported_media_type, "Invalid request",
                                     "The authorization request must be sent as "
                                     "application/x-www-form-urlencoded."));
      co_return;
    }
    params = parse_form(req.body());
  } else {
    params = parse_form(query_of(req.target()));
  }
  if (!params) {
    const char* message = params.error().code == ErrorCode::kResourceExhausted
                              ? "The authorization request is too large."
                              : "The authorization request is malformed.";
    co_await ex.respond(bad_request_page(message));
    co_return;
  }
  const StatusCode redirect_status = post ? StatusCode::see_other : StatusCode::found;
  Validation validation = co_await validate(*params, redirect_status);
  if (auto* response = std::get_if<http::Response>(&validation)) {
    co_await ex.respond(std::move(*response));
    co_return;
  }
  Validated v = std::get<Validated>(std::move(validation));
  const std::int64_t now = ctx_.now();
  std::string cookie = ctx_.sessions.cookie_value(req);
  std::optional<BrowserSession> session = ctx_.sessions.find_session(cookie, now);

  if (v.prompt_none) {
    const PendingAuthorization& f = v.flow;
    auto fail = [&](OAuthErrorCode code, std::string description) {
      return error_redirect(f.redirect_uri, oauth_error(code, std::move(description)), f.state,
                            ctx_.urls.issuer, redirect_status);
    };
    if (!session) {
      co_await ex.respond(fail(OAuthErrorCode::kLoginRequired, "the user is not signed in"));
      co_return;
    }
    auto active = co_await ctx_.session_active(*session);
    if (!active) {
      co_await ex.respond(internal_page("oauth_user_lookup_failed", active.error()));
      co_return;
    }
    if (!*active) {
      co_await ex.respond(fail(OAuthErrorCode::kLoginRequired, "the user is not signed in"));
      co_return;
    }
    auto covered = co_await consent_covers(session->user_id, f);
    if (!covered) {
      co_await ex.respond(internal_page("oauth_consent_lookup_failed", covered.error()));
      co_return;
    }
    if (!*covered) {
      co_await ex.respond(fail(OAuthErrorCode::kConsentRequired, "the user has not consented"));
      co_return;
    }
    v.flow.browser_key = BrowserSessions::browser_key(cookie);
    co_await ex.respond(co_await issue_code(std::move(v.flow), session->user_id, session->org_id,
                                            false, redirect_status));
    co_return;
  }

  std::string set_cookie;
  if (cookie.empty()) {
    cookie = BrowserSessions::new_cookie_value();
    set_cookie = ctx_.sessions.set_cookie(cookie);
  }
  v.flow.browser_key = BrowserSessions::browser_key(cookie);
  PendingAuthorization flow = ctx_.sessions.add_flow(std::move(v.flow), now);
  http::Response res = co_await continue_flow(std::move(flow), std::move(session));
  co_await ex.respond(with_cookie(std::move(res), set_cookie));
}

std::optional<http::Response> AuthorizeEndpoint::refuse_client(const PendingAuthorization& flow,
                                                               store::ClientKind kind,
                                                               const std::string& org_id) const {
  const OrganizationOptions* org = ctx_.organizations.find(org_id);
  if (org != nullptr && organization_allows_client(*org, flow.client_id, kind)) {
    return std::nullopt;
  }
  // An organization that is not configured (a row another process wrote) allows nothing here:
  // its policy is unknown.
  log::info("oauth_client_refused_by_organization",
            {{"client_id", flow.client_id}, {"org_id", org_id}});
  const std::string who = org != nullptr ? (org->name.empty() ? org->id : org->name) : org_id;
  const std::string app = flow.client_name.empty() ? flow.client_id : flow.client_name;
  return error_page(StatusCode::forbidden, "Application not allowed",
                    who + " does not allow this application (" + app
                        + ") to act for its users. Ask your administrator to allow it.");
}

asio::awaitable<Result<bool>> AuthorizeEndpoint::consent_covers(const std::string& user_id,
                                                                const PendingAuthorization& flow) {
  auto consent =
      co_await ctx_.executor.run([&] { return ctx_.store.find_consent(user_id, flow.client_id); });
  if (!consent) {
    if (consent.error().code == ErrorCode::kNotFound) {
      co_return false;
    }
    co_return consent.error();
  }
  const auto resources = split_scope(consent->resource);
  if (std::find(resources.begin(), resources.end(), flow.resource) == resources.end()) {
    co_return false;
  }
  co_return ctx_.scopes.covers(split_scope(consent->scope), flow.scopes);
}

asio::awaitable<http::Response> AuthorizeEndpoint::continue_flow(
    PendingAuthorization flow, std::optional<BrowserSession> session) {
  if (!session || flow.force_login) {
    co_return login_page(flow);
  }
  auto active = co_await ctx_.session_active(*session);
  if (!active) {
    co_return internal_page("oauth_user_lookup_failed", active.error());
  }
  if (!*active) {
    co_return login_page(flow);
  }
  if (!flow.return_to.empty()) {  // a gate page's sign-in: back to it
    ctx_.sessions.remove_flow(flow.id);
    co_return see_other(flow.return_to);
  }
  // Before the consent page: the user must not approve what their organization refuses.
  if (auto refused = refuse_client(flow, flow.client_kind, session->org_id)) {
    ctx_.sessions.remove_flow(flow.id);
    co_return std::move(*refused);
  }
  if (!flow.force_consent) {
    auto covered = co_await consent_covers(session->user_id, flow);
    if (!covered) {
      co_return internal_page("oauth_consent_lookup_failed", covered.error());
    }
    if (*covered) {
      ctx_.sessions.remove_flow(flow.id);
      co_return co_await issue_code(std::move(flow), session->user_id, session->org_id, false,
                                    StatusCode::found);
    }
  }
  co_return consent_page(flow, session->username);
}

asio::awaitable<http::Response> AuthorizeEndpoint::issue_code(PendingAuthorization flow,
                                                              std::string user_id,
                                                              std::string org_id,
                                                              bool record_consent,
                                                              StatusCode status) {
  // The client may have changed since the request was validated (a CIMD document updated, a
  // DCR client deleted): check it again before handing out a code.
  auto client = co_await ctx_.clients.find(flow.client_id);
  if (!client) {
    if (client.error().code == ErrorCode::kUnavailable) {
      co_return internal_page("oauth_client_lookup_failed", client.error());
    }
    co_return bad_request_page(client_error_text(client.error()));
  }
  if (!match_redirect_uri(client->redirect_uris, flow.redirect_uri)) {
    co_return bad_request_page("The redirect_uri is not registered for this application.");
  }
  if (auto refused = refuse_client(flow, client->kind, org_id)) {
    ctx_.sessions.remove_flow(flow.id);
    co_return std::move(*refused);
  }
  const std::string code = new_opaque_token();
  const std::string grant_id = crypto::random_id();
  const std::int64_t now = ctx_.now();
  auto stored = co_await ctx_.executor.run([&]() -> Status {
    MCPGATE_TRY(ctx_.clients.ensure_stored_blocking(*client, now));
    if (record_consent) {
      store::Consent consent{user_id, flow.client_id, join_scope(flow.scopes), flow.resource, now, now};
      auto existing = ctx_.store.find_consent(user_id, flow.client_id);
      if (existing) {
        consent.scope = join_scope(ctx_.scopes.normalize(union_of(split_scope(existing->scope), flow.scopes)));
        consent.resource = join_scope(union_of(split_scope(existing->resource), {flow.resource}));
        consent.created_at = existing->created_at;
      } else if (existing.error().code != ErrorCode::kNotFound) {
        return existing.error();
      }
      MCPGATE_TRY(ctx_.store.put_consent(consent));
    }
    store::Grant grant;
    grant.id = grant_id;
    grant.user_id = user_id;
    grant.client_id = flow.client_id;
    grant.scope = join_scope(flow.scopes);
    grant.resource = flow.resource;
    grant.created_at = now;
    store::AuthorizationCode record;
    record.code_hash = store::hash_secret(code);
    record.grant_id = grant.id;
    record.client_id = flow.client_id;
    record.user_id = user_id;
    record.redirect_uri = flow.redirect_uri;
    record.code_challenge = flow.code_challenge;
    record.code_challenge_method = std::string(kPkceMethodS256);
    record.scope = grant.scope;
    record.resource = grant.resource;
    record.created_at = now;
    record.expires_at = now + ctx_.options.code_ttl_s;
    record.extra["org_id"] = org_id;  // the access token's org_id
    return ctx_.store.create_authorization_code(grant, record);
  });
  if (!stored) {
    co_return internal_page("oauth_code_store_failed", stored.error());
  }
  if (!ctx_.sessions.add_grant(flow.browser_key, grant_id, now)) {
    // The session ended meanwhile or holds too many grants: a grant that sign-out could not
    // revoke is not handed out.
    co_await ctx_.executor.run([&] { (void)ctx_.store.revoke_grant(grant_id, now); });
    co_return bad_request_page("Your sign-in ended or has authorized too many applications; sign in again.");
  }
  log::info("oauth_code_issued", {{"client_id", flow.client_id}, {"user_id", user_id}});
  co_return code_redirect(flow.redirect_uri, code, flow.state, ctx_.urls.issuer, status);
}

http::Response AuthorizeEndpoint::login_page(const PendingAuthorization& flow) const {
  LoginPage page;
  page.action = ctx_.urls.login_path;
  page.flow = flow.id;
  page.csrf = flow.csrf;
  page.client_name = flow.client_name;
  page.error = flow.login_error;
  page.username = flow.last_username;
  if (sso_ == nullptr) {
    return page_response(StatusCode::ok, render_login_page(page));
  }
  for (const auto& c : sso_->directory().all()) {
    page.sso.push_back(SsoChoice{
        c.display_name,
        append_query(ctx_.urls.sso_start_path, {{"flow", flow.id}, {"org", c.org_id}})});
  }
  // Home-realm discovery answers the form POST with a redirect to the IdP, and browsers apply
  // form-action to that redirect too.
  return page_response(StatusCode::ok, render_login_page(page), sso_->form_action_origins());
}

http::Response AuthorizeEndpoint::consent_page(const PendingAuthorization& flow,
                                               const std::string& username) const {
  ConsentPage page;
  page.action = ctx_.urls.consent_path;
  page.flow = flow.id;
  page.csrf = flow.csrf;
  page.client_name = flow.client_name;
  page.client_id = flow.client_id;
  page.client_id_host = flow.client_id_host;
  page.unverified_client = flow.client_kind != store::ClientKind::kStatic;
  page.redirect_host = redirect_host(flow.redirect_uri);
  page.redirect_is_loopback = is_loopback_redirect(flow.redirect_uri);
  page.resource = flow.resource;
  for (const auto& s : flow.scopes) {
    page.scopes.push_back(ConsentScope{s, ctx_.scopes.tools_for({s})});
  }
  page.username = username;
  page.logout_action = ctx_.urls.logout_path;
  return page_response(StatusCode::ok, render_consent_page(page), redirect_origin(flow.redirect_uri));
}

asio::awaitable<void> AuthorizeEndpoint::login(http::Exchange& ex) {
  const http::Request& req = ex.request();
  const std::int64_t now = ctx_.now();
  const std::string cookie = ctx_.sessions.cookie_value(req);
  const std::string browser = BrowserSessions::browser_key(cookie);
  if (is_get(req)) {
    auto params = parse_form(query_of(req.target()));
    auto flow = params ? ctx_.sessions.find_flow(params->value("flow"), browser, now) : std::nullopt;
    if (!flow) {
      co_await ex.respond(expired_flow_page());
      co_return;
    }
    co_await ex.respond(co_await continue_flow(std::move(*flow), ctx_.sessions.find_session(cookie, now)));
    co_return;
  }
  if (req.method() != verb::post) {
    http::Response res = error_page(StatusCode::method_not_allowed, "Invalid request", "Use POST.");
    res.set(http::Field::allow, "GET, POST");
    co_await ex.respond(std::move(res));
    co_return;
  }
  http::Response error;
  auto params = read_post(req, error);
  if (!params) {
    co_await ex.respond(std::move(error));
    co_return;
  }
  // Only failed attempts count against the limit.
  int retry_after = 0;
  if (!ctx_.login_limiter.available(ex.remote_ip(), now, &retry_after)) {
    http::Response res = error_page(StatusCode::too_many_requests, "Too many attempts",
                                    "Too many sign-in attempts. Wait a minute and try again.");
    res.set(http::Field::retry_after, std::to_string(retry_after));
    co_await ex.respond(std::move(res));
    co_return;
  }
  const std::string flow_id = params->value("flow");
  auto flow = ctx_.sessions.use_flow(flow_id, browser, params->value("csrf"), false, now,
                                     [](PendingAuthorization&) {});
  if (!flow) {
    co_await ex.respond(expired_flow_page());
    co_return;
  }
  std::string username = params->value("username");
  const std::string password = params->value("password");
  if (username.size() > kMaxUsernameBytes) {
    username.resize(kMaxUsernameBytes);
  }
  // Home-realm discovery: an email address of an organization that signs in through its IdP
  // goes there (with the address as login_hint) when no password is given, or always when the
  // organization has password sign-in turned off.
  const SsoConnection* realm = sso_ != nullptr ? sso_->directory().for_identifier(username) : nullptr;
  if (realm != nullptr && (password.empty() || !realm->password_login)) {
    std::string hint = username;
    std::string ip = ex.remote_ip();
    http::Response res = co_await sso_->begin(std::move(*flow), realm, std::move(hint), std::move(ip));
    co_await ex.respond(std::move(res));
    co_return;
  }
  struct Outcome {
    Status status;
    std::optional<store::User> user;
  };
  // Home-realm discovery: "name@domain" signs in against the organization owning the domain,
  // anything else against the default organization.
  const OrganizationOptions& org = ctx_.organizations.resolve_identifier(username);
  const std::string org_id = org.id;
  if (!org.password_login) {
    log::info("oauth_login", {{"result", "password_login_off"}, {"org_id", org_id}});
    const std::string org_name = org.name.empty() ? org.id : org.name;
    ctx_.sessions.update_flow(flow_id, now, [&](PendingAuthorization& f) {
      f.login_error = "Password sign-in is turned off for " + org_name
                      + ". Sign in through your organization's identity provider.";
      f.last_username = username;
    });
    co_await ex.respond(see_other(flow_location(ctx_.urls.login_path, flow_id)));
    co_return;
  }
  Outcome outcome = co_await ctx_.executor.run([&]() -> Outcome {
    auto user = ctx_.store.find_user_by_username(org_id, username);
    if (!user && user.error().code != ErrorCode::kNotFound) {
      return Outcome{user.error(), std::nullopt};
    }
    if (!user || user->disabled || user->password_hash.empty()) {
      // Same work as for a real user: no user enumeration by timing.
      (void)crypto::verify_password(password, crypto::dummy_password_hash());
      return Outcome{Status(), std::nullopt};
    }
    if (!crypto::verify_password(password, user->password_hash)) {
      return Outcome{Status(), std::nullopt};
    }
    if (crypto::password_needs_rehash(user->password_hash)) {
      if (auto rehashed = crypto::hash_password(password)) {
        ctx_.store.set_user_password(user->id, *rehashed).ignore_error();  // best effort
      }
    }
    return Outcome{Status(), std::move(user).value()};
  });
  if (!outcome.status) {
    co_await ex.respond(internal_page("oauth_login_failed", outcome.status.error()));
    co_return;
  }
  if (!outcome.user) {
    ctx_.login_limiter.allow(ex.remote_ip(), now);
    log::info("oauth_login", {{"result", "failed"}, {"remote_ip", ex.remote_ip()}});
    ctx_.sessions.update_flow(flow_id, now, [&](PendingAuthorization& f) {
      f.login_error = "Incorrect username or password.";
      f.last_username = username;
    });
    co_await ex.respond(see_other(flow_location(ctx_.urls.login_path, flow_id)));
    co_return;
  }
  const std::string new_cookie =
      ctx_.sessions.sign_in(cookie, *outcome.user, now);
  const std::string new_browser = BrowserSessions::browser_key(new_cookie);
  ctx_.sessions.update_flow(flow_id, now, [&](PendingAuthorization& f) {
    f.browser_key = new_browser;
    f.force_login = false;
    f.login_error.clear();
    f.last_username.clear();
  });
  log::info("oauth_login", {{"result", "ok"}, {"user_id", outcome.user->id}});
  if (!flow->return_to.empty()) {  // a gate page's sign-in (connect pages): no consent step
    ctx_.sessions.remove_flow(flow_id);
    co_await ex.respond(with_cookie(see_other(flow->return_to), ctx_.sessions.set_cookie(new_cookie)));
    co_return;
  }
  co_await ex.respond(with_cookie(see_other(flow_location(ctx_.urls.consent_path, flow_id)),
                                  ctx_.sessions.set_cookie(new_cookie)));
}

asio::awaitable<void> AuthorizeEndpoint::consent(http::Exchange& ex) {
  const http::Request& req = ex.request();
  const std::int64_t now = ctx_.now();
  const std::string cookie = ctx_.sessions.cookie_value(req);
  const std::string browser = BrowserSessions::browser_key(cookie);
  if (is_get(req)) {
    auto params = parse_form(query_of(req.target()));
    auto flow = params ? ctx_.sessions.find_flow(params->value("flow"), browser, now) : std::nullopt;
    if (!flow) {
      co_await ex.respond(expired_flow_page());
      co_return;
    }
    co_await ex.respond(co_await continue_flow(std::move(*flow), ctx_.sessions.find_session(cookie, now)));
    co_return;
  }
  if (req.method() != verb::post) {
    http::Response res = error_page(StatusCode::method_not_allowed, "Invalid request", "Use POST.");
    res.set(http::Field::allow, "GET, POST");
    co_await ex.respond(std::move(res));
    co_return;
  }
  http::Response error;
  auto params = read_post(req, error);
  if (!params) {
    co_await ex.respond(std::move(error));
    co_return;
  }
  const std::string decision = params->value("decision");
  if (decision != "approve" && decision != "deny") {
    co_await ex.respond(bad_request_page("The decision must be approve or deny."));
    co_return;
  }
  auto session = ctx_.sessions.find_session(cookie, now);
  if (!session) {
    co_await ex.respond(expired_flow_page());
    co_return;
  }
  auto flow = ctx_.sessions.use_flow(params->value("flow"), browser, params->value("csrf"), true,
                                     now, [](PendingAuthorization&) {});
  if (!flow || flow->force_login) {
    co_await ex.respond(expired_flow_page());
    co_return;
  }
  if (decision == "deny") {
    log::info("oauth_consent", {{"result", "denied"}, {"client_id", flow->client_id}, {"user_id", session->user_id}});
    co_await ex.respond(error_redirect(flow->redirect_uri,
                                       oauth_error(OAuthErrorCode::kAccessDenied, "the user denied access"),
                                       flow->state, ctx_.urls.issuer, StatusCode::see_other));
    co_return;
  }
  auto active = co_await ctx_.session_active(*session);
  if (!active || !*active) {
    co_await ex.respond(expired_flow_page());
    co_return;
  }
  log::info("oauth_consent", {{"result", "approved"}, {"client_id", flow->client_id}, {"user_id", session->user_id}});
  co_await ex.respond(co_await issue_code(std::move(*flow), session->user_id, session->org_id, true,
                                          StatusCode::see_other));
}

asio::awaitable<void> AuthorizeEndpoint::logout(http::Exchange& ex) {
  const http::Request& req = ex.request();
  const std::int64_t now = ctx_.now();
  const std::string cookie = ctx_.sessions.cookie_value(req);
  if (is_get(req)) {
    auto session = ctx_.sessions.find_session(cookie, now);
    const std::string username = session ? session->username : std::string();
    http::Response page = page_response(
        StatusCode::ok, render_logout_page(session.has_value(), username, ctx_.urls.logout_path));
    co_await ex.respond(std::move(page));
    co_return;
  }
  if (req.method() != verb::post) {
    http::Response res = error_page(StatusCode::method_not_allowed, "Invalid request", "Use POST.");
    res.set(http::Field::allow, "GET, POST");
    co_await ex.respond(std::move(res));
    co_return;
  }
  if (!form_origin_allowed(req, ctx_.urls.origin)) {
    co_await ex.respond(error_page(StatusCode::forbidden, "Invalid request",
                                   "The form was submitted from another site."));
    co_return;
  }
  auto session = ctx_.sessions.find_session(cookie, now);
  const std::vector<std::string> grants = ctx_.sessions.sign_out(cookie);
  // Signing out revokes what this sign-in authorized: refresh families and live access tokens.
  std::size_t revoked_grants = 0;
  for (const auto& grant_id : grants) {
    auto revoked = co_await ctx_.executor.run([&] { return ctx_.store.revoke_grant(grant_id, now); });
    if (revoked) {
      ctx_.notify_revoked(*revoked);
      ++revoked_grants;
    } else if (revoked.error().code != ErrorCode::kNotFound) {
      log::error("oauth_logout_revoke_failed", {{"error", revoked.error().message}});
    }
  }
  if (session) {
    log::info("oauth_logout", {{"user_id", session->user_id}, {"grants_revoked", revoked_grants}});
  }
  co_await ex.respond(with_cookie(see_other(ctx_.urls.logout_path), ctx_.sessions.clear_cookie()));
}

}  // namespace mcpgate::oauth
