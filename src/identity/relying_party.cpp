#include "identity/relying_party.hpp"

#include "core/log.hpp"
#include "crypto/random.hpp"
#include "identity/id_token.hpp"

namespace mcpgate::identity {

struct RelyingParty::Impl {
  ProviderConfig config;
  RelyingPartyOptions options;
  std::shared_ptr<const http::HttpClient> client;  // null: the default client, at first use
  std::optional<RefreshingCache<ProviderMetadata>> discovery;
  std::optional<RefreshingCache<crypto::JwkSet>> jwks;
  LoginStates logins;

  std::int64_t now() const {
    if (options.now) {
      return options.now();
    }
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

namespace {

using Impl = RelyingParty::Impl;

Result<std::shared_ptr<const http::HttpClient>> rp_client(
    const std::shared_ptr<const http::HttpClient>& configured) {
  if (configured) {
    return configured;
  }
  return http::default_http_client();
}

asio::awaitable<Result<ProviderMetadata>> rp_fetch_metadata(
    ProviderConfig config, std::shared_ptr<const http::HttpClient> client, FetchOptions fetch) {
  const std::string url = discovery_url(config.issuer);
  Result<std::string> body = co_await fetch_provider_document(client, url, fetch);
  if (!body) {
    log::warn("sso_discovery_failed",
              {{"issuer", config.issuer}, {"reason", body.error().message}});
    co_return body.error();
  }
  auto metadata = parse_provider_metadata(*body, config);
  if (!metadata) {
    log::warn("sso_discovery_rejected",
              {{"issuer", config.issuer}, {"reason", metadata.error().message}});
  }
  co_return metadata;
}

asio::awaitable<Result<crypto::JwkSet>> rp_fetch_jwks(
    RefreshingCache<ProviderMetadata> discovery,
    std::string issuer,
    std::shared_ptr<const http::HttpClient> client,
    FetchOptions fetch) {
  Result<std::shared_ptr<const ProviderMetadata>> metadata = co_await discovery.get();
  if (!metadata) {
    co_return metadata.error();
  }
  fetch.max_bytes = kMaxJwksBytes;
  const std::string url = (*metadata)->jwks_uri;
  Result<std::string> body = co_await fetch_provider_document(client, url, fetch);
  if (!body) {
    log::warn("sso_jwks_failed", {{"issuer", issuer}, {"reason", body.error().message}});
    co_return body.error();
  }
  auto keys = parse_jwks(*body);
  if (!keys) {
    log::warn("sso_jwks_rejected", {{"issuer", issuer}, {"reason", keys.error().message}});
  } else {
    log::info("sso_jwks_fetched", {{"issuer", issuer}, {"keys", keys->keys().size()}});
  }
  co_return keys;
}

Error rp_refused(const Impl& impl, Error error) {
  log::info("sso_sign_in_refused",
            {{"issuer", impl.config.issuer},
             {"code", error_code_name(error.code)},
             {"reason", error.message}});
  return error;
}

asio::awaitable<Result<Identity>> rp_validate_id_token(std::shared_ptr<Impl> impl,
                                                       std::string id_token,
                                                       IdTokenContext context) {
  Result<std::shared_ptr<const ProviderMetadata>> metadata = co_await impl->discovery->get();
  if (!metadata) {
    co_return metadata.error();
  }
  MCPGATE_CO_ASSIGN_OR_RETURN(auto algs, effective_id_token_algs(impl->config, **metadata));
  IdTokenChecks checks;
  checks.issuer = impl->config.issuer;
  checks.client_id = impl->config.client_id;
  checks.trusted_audiences = impl->config.trusted_audiences;
  checks.allowed_algs = std::move(algs);
  checks.nonce = std::move(context.nonce);
  checks.now = impl->now();
  checks.leeway = impl->config.leeway.count();
  checks.max_token_age = impl->config.max_token_age.count();
  checks.max_age = context.max_age;
  checks.access_token = std::move(context.access_token);
  checks.code = std::move(context.code);

  Result<std::shared_ptr<const crypto::JwkSet>> keys = co_await impl->jwks->get();
  if (!keys) {
    co_return rp_refused(*impl, keys.error());
  }
  auto jwt = verify_id_token_signature(id_token, **keys, checks);
  if (!jwt && jwt.error().code == ErrorCode::kNotFound) {
    // The provider may have rotated its keys: one refetch (shared, rate-limited), then again.
    log::info("sso_jwks_unknown_kid", {{"issuer", impl->config.issuer}});
    keys = co_await impl->jwks->refresh();
    if (!keys) {
      co_return rp_refused(*impl, keys.error());
    }
    jwt = verify_id_token_signature(id_token, **keys, checks);
    if (!jwt && jwt.error().code == ErrorCode::kNotFound) {
      co_return rp_refused(
          *impl,
          make_error(ErrorCode::kUnauthenticated, "id_token: kid unknown after a JWKS refetch"));
    }
  }
  if (!jwt) {
    co_return rp_refused(*impl, jwt.error());
  }
  if (auto st = check_id_token_claims(jwt->payload, jwt->alg, checks); !st) {
    co_return rp_refused(*impl, st.error());
  }
  auto identity = map_identity(jwt->payload, impl->config.claims);
  if (!identity) {
    co_return rp_refused(*impl, identity.error());
  }
  co_return identity;
}

asio::awaitable<Result<LoginRedirect>> rp_begin_login(std::shared_ptr<Impl> impl,
                                                      LoginOptions options) {
  if (options.browser_key.empty()) {
    co_return invalid_argument("a sign-in needs the browser session it belongs to");
  }
  Result<std::shared_ptr<const ProviderMetadata>> metadata = co_await impl->discovery->get();
  if (!metadata) {
    co_return metadata.error();
  }
  MCPGATE_CO_TRY(effective_id_token_algs(impl->config, **metadata));
  PendingLogin pending;
  pending.browser_key = options.browser_key;
  pending.nonce = crypto::random_token(32);
  pending.code_verifier = new_pkce_verifier();
  pending.redirect_uri = impl->config.redirect_uri;
  pending.max_age = options.max_age;
  pending.return_to = options.return_to;

  AuthorizationRequest request;
  request.authorization_endpoint = (*metadata)->authorization_endpoint;
  request.client_id = impl->config.client_id;
  request.redirect_uri = impl->config.redirect_uri;
  request.scopes = impl->config.scopes;
  request.nonce = pending.nonce;
  request.code_challenge = pkce_s256(pending.code_verifier);
  request.prompt = options.prompt;
  request.login_hint = options.login_hint;
  request.max_age = options.max_age;
  request.state = "-";  // checked first with a placeholder, so a bad option stores nothing
  MCPGATE_CO_TRY(authorization_url(request));

  const std::int64_t now = impl->now();
  LoginRedirect out;
  out.state = impl->logins.create(std::move(pending), now, impl->options.login_ttl.count());
  request.state = out.state;
  MCPGATE_CO_ASSIGN_OR_RETURN(out.url, authorization_url(request));
  co_return out;
}

asio::awaitable<Result<SignIn>> rp_complete_login(std::shared_ptr<Impl> impl,
                                                  CallbackParams params,
                                                  std::string browser_key) {
  if (!params.state || params.state->empty()) {
    co_return rp_refused(*impl, invalid_argument("the callback has no state"));
  }
  // Taken first, whatever follows: a state is good for one callback only.
  auto pending = impl->logins.take(*params.state, browser_key, impl->now());
  if (!pending) {
    co_return rp_refused(*impl, pending.error());
  }
  Result<std::shared_ptr<const ProviderMetadata>> metadata = co_await impl->discovery->get();
  if (!metadata) {
    co_return metadata.error();
  }
  if (auto st = check_callback_issuer(params, **metadata); !st) {
    co_return rp_refused(*impl, st.error());
  }
  if (params.error) {
    co_return rp_refused(*impl,
                         make_error(ErrorCode::kPermissionDenied,
                                    "the identity provider answered with error "
                                        + sanitized_error_code(*params.error)));
  }
  if (!params.code || params.code->empty()) {
    co_return rp_refused(*impl, invalid_argument("the callback has no code"));
  }
  const std::string code = *params.code;
  MCPGATE_CO_ASSIGN_OR_RETURN(auto request,
                              token_request(impl->config,
                                            **metadata,
                                            code,
                                            pending->code_verifier,
                                            pending->redirect_uri,
                                            impl->now()));
  MCPGATE_CO_ASSIGN_OR_RETURN(auto client, rp_client(impl->client));
  http::ClientRequest post;
  post.method = http::bhttp::verb::post;
  post.url = std::move(request.url);
  post.headers = std::move(request.headers);
  post.body = std::move(request.body);
  post.options.timeout = impl->options.fetch_timeout;
  post.options.max_body_bytes = std::size_t{256} * 1024;
  post.options.follow_redirects = false;
  post.options.address_policy = impl->config.address_policy;
  Result<http::ClientResponse> answer = co_await client->fetch(std::move(post));
  if (!answer) {
    log::warn("sso_token_request_failed",
              {{"issuer", impl->config.issuer}, {"reason", answer.error().message}});
    co_return answer.error();
  }
  auto tokens = parse_token_response(
      answer->status(), answer->header(http::Field::content_type), answer->message.body());
  if (!tokens) {
    co_return rp_refused(*impl, tokens.error());
  }
  IdTokenContext context;
  context.nonce = pending->nonce;
  context.max_age = pending->max_age;
  context.access_token = std::move(tokens->access_token);
  context.code = code;
  Result<Identity> identity =
      co_await rp_validate_id_token(impl, std::move(tokens->id_token), std::move(context));
  if (!identity) {
    co_return identity.error();
  }
  SignIn out;
  out.identity = std::move(identity).value();
  out.return_to = std::move(pending->return_to);
  co_return out;
}

}  // namespace

Result<RelyingParty> RelyingParty::create(ProviderConfig config, RelyingPartyOptions options) {
  MCPGATE_TRY(validate_provider_config(config));
  auto impl = std::make_shared<Impl>();
  impl->config = std::move(config);
  impl->options = std::move(options);
  impl->client = impl->options.http_client;
  if (impl->config.allow_loopback_http) {
    log::warn("sso_loopback_http_enabled",
              {{"issuer", impl->config.issuer},
               {"detail", "http:// on loopback is accepted for this provider: tests only"}});
  }
  std::function<std::int64_t()> clock = impl->options.now;
  if (!clock) {
    clock = [] {
      return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    };
  }
  FetchOptions fetch;
  fetch.timeout = impl->options.fetch_timeout;
  fetch.address_policy = impl->config.address_policy;
  // The fetchers capture values, never the Impl: the caches live inside it.
  auto fetch_metadata = [config = impl->config, client = impl->client, fetch]() {
    return rp_fetch_metadata(config, client, fetch);
  };
  impl->discovery.emplace(
      std::move(fetch_metadata), impl->options.discovery_cache, clock, "discovery document");
  auto fetch_keys =
      [discovery = *impl->discovery, issuer = impl->config.issuer, client = impl->client, fetch]() {
        return rp_fetch_jwks(discovery, issuer, client, fetch);
      };
  impl->jwks.emplace(std::move(fetch_keys), impl->options.jwks_cache, clock, "JWKS");
  return RelyingParty(std::move(impl));
}

const ProviderConfig& RelyingParty::config() const {
  return impl_->config;
}

asio::awaitable<Result<std::shared_ptr<const ProviderMetadata>>> RelyingParty::metadata() const {
  return impl_->discovery->get();
}

asio::awaitable<Result<LoginRedirect>> RelyingParty::begin_login(LoginOptions options) const {
  return rp_begin_login(impl_, std::move(options));
}

asio::awaitable<Result<SignIn>> RelyingParty::complete_login(CallbackParams params,
                                                             std::string browser_key) const {
  return rp_complete_login(impl_, std::move(params), std::move(browser_key));
}

asio::awaitable<Result<Identity>> RelyingParty::validate_id_token(std::string id_token,
                                                                  IdTokenContext context) const {
  return rp_validate_id_token(impl_, std::move(id_token), std::move(context));
}

std::size_t RelyingParty::pending_logins() const {
  return impl_->logins.size();
}

std::size_t RelyingParty::discovery_fetches() const {
  return impl_->discovery->fetch_count();
}

std::size_t RelyingParty::jwks_fetches() const {
  return impl_->jwks->fetch_count();
}

}  // namespace mcpgate::identity
