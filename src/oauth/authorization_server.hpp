#pragma once
// AuthorizationServer: the OAuth 2.1 authorization server of mcpgate (notes/oauth-contract.md).
// It owns the endpoints and their shared state and mounts them on a router:
//
//   /.well-known/oauth-authorization-server[/<issuer path>]   RFC 8414 metadata
//   /.well-known/openid-configuration[/<issuer path>], <issuer path>/.well-known/openid-configuration
//   /.well-known/oauth-protected-resource[/<resource path>]  RFC 9728 metadata per resource
//   <issuer path>/authorize | /login | /consent | /logout    browser flow (authorize_endpoint.hpp)
//   <issuer path>/sso/start | /sso/callback                  SSO sign-in (sso_endpoint.hpp), when
//                                                            an organization has an IdP
//   <issuer path>/token                                      token_endpoint.hpp
//   <issuer path>/introspect | /revoke                       introspection.hpp, revocation.hpp
//   <issuer path>/register, /register/{client_id}            registration.hpp (when dcr.enabled)
//   <issuer path>/jwks.json                                  public signing keys
//
// Life cycle:
//   auto as = AuthorizationServer::create(options, store, executor, &cimd, clock);  // blocking
//   as.value()->register_routes(router);
//   asio::co_spawn(ioc, as.value()->run_maintenance(), detached-with-logging);
// create() validates the options, seeds the configured users (when absent) and static clients,
// and loads the signing keys (generating an active and a next key on first start).
// run_maintenance() re-reads the signing keys every minute (so `mcpgate keys rotate` in another
// process takes effect), deletes keys past retirement and purges expired store rows and
// in-memory sessions.
//
// For the resource-server guard (bearer_guard.*): issuer(), resources(), scopes(),
// verification_keys() (kid -> public key, a fresh snapshot on each call) and
// set_revocation_listener() (entries revoked by this process, delivered at once). Revocations
// made by other processes come from store::Store::revoked_since(), which the guard polls.
//
// Thread-safety: after create(), every method may be called from any thread. The store,
// executor and resolver must outlive the server, and the server must outlive the router.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "crypto/jwk.hpp"
#include "http/router.hpp"
#include "oauth/cimd.hpp"
#include "oauth/deprovisioning.hpp"
#include "oauth/options.hpp"
#include "oauth/scopes.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

struct ServerContext;
class ClientAuthenticator;
class AuthorizeEndpoint;
class TokenEndpoint;
class IntrospectionEndpoint;
class RevocationEndpoint;
class RegistrationEndpoint;
class SsoDirectory;
class SsoEndpoint;

class AuthorizationServer {
 public:
  // `cimd` may be null (CIMD clients are then unknown). `clock` defaults to system_now.
  // Errors: kInvalidArgument for bad options (every problem listed), store errors otherwise
  // (kFailedPrecondition: stored signing keys do not open with this master key).
  static Result<std::unique_ptr<AuthorizationServer>> create(AuthOptions options,
                                                             store::Store& store,
                                                             store::Executor& executor,
                                                             CimdResolver* cimd,
                                                             Clock clock = {});
  ~AuthorizationServer();
  AuthorizationServer(const AuthorizationServer&) = delete;
  AuthorizationServer& operator=(const AuthorizationServer&) = delete;

  // Mounts every endpoint listed above.
  void register_routes(http::Router& router);

  // --- for the resource-server guard ---------------------------------------------------------
  const std::string& issuer() const;
  // Canonical resource identifiers (a token's aud is exactly one of them).
  const std::vector<std::string>& resources() const;
  const ScopeSet& scopes() const;
  // The public keys tokens may be signed with (active, next, retired-until-expiry).
  std::shared_ptr<const crypto::JwkSet> verification_keys() const;
  // Called (from any thread, possibly a store-executor thread) with every access-token jti this
  // process puts on the revocation list. Must be quick and thread-safe.
  void set_revocation_listener(std::function<void(const std::vector<store::RevokedToken>&)> fn);

  // --- for other gate pages that need the user signed in (the connect pages) ----------------
  struct SignedIn {
    std::string user_id;
    std::string username;
    std::string browser_key;  // binds state to this browser's sign-in (hash of the cookie)
    std::string org_id;       // the user's organization
  };
  // The signed-in user of the request's browser, or nullopt: no session, or one whose user has
  // been deactivated or deleted since (read from the store at every call, so a user
  // deprovisioned through another replica is refused here too; a store error also gives
  // nullopt: fail closed). Await it at once (`req` is a reference).
  asio::awaitable<std::optional<SignedIn>> signed_in(const http::Request& req) const;
  // The 303 to the login page that comes back to `return_to` (a local path) once signed in.
  http::Response sign_in_redirect(const http::Request& req, const std::string& return_to,
                                  const std::string& purpose) const;
  // The issuer's origin (scheme://host[:port]): what a same-site form POST's Origin must be.
  const std::string& origin() const;

  // --- deprovisioning (SCIM, `mcpgate user disable|enable`) ----------------------------------
  // The one way to deactivate, delete or reactivate a user (oauth/deprovisioning.hpp); its
  // effects in this process (bearer guard, browser sessions) are wired already, and callers may
  // add listeners (the vault's cache) before serving.
  UserDeprovisioning& deprovisioning();

  // --- upkeep -------------------------------------------------------------------------------
  // Blocking: refresh keys, purge expired rows and sessions.
  Status maintain_once();
  // Blocking: re-reads the signing keys only (another replica rotated them).
  Status reload_signing_keys();
  // Runs maintain_once() through the executor every `period` until stop().
  asio::awaitable<void> run_maintenance(std::chrono::seconds period = std::chrono::seconds(60));
  void stop();

 private:
  AuthorizationServer(std::unique_ptr<ServerContext> ctx, std::shared_ptr<const SsoDirectory> sso);

  std::unique_ptr<ServerContext> ctx_;
  std::unique_ptr<ClientAuthenticator> authenticator_;
  std::unique_ptr<SsoEndpoint> sso_;  // null without organizations that use SSO
  std::unique_ptr<AuthorizeEndpoint> authorize_;
  std::unique_ptr<TokenEndpoint> token_;
  std::unique_ptr<IntrospectionEndpoint> introspection_;
  std::unique_ptr<RevocationEndpoint> revocation_;
  std::unique_ptr<RegistrationEndpoint> registration_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> maintenance_runs_{0};
};

}  // namespace mcpgate::oauth
