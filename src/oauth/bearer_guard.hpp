#pragma once
// BearerGuard: the OAuth resource-server side of the MCP endpoint (notes/oauth-contract.md,
// "Resource server"; ATTACKS rows 35-36, 101-109). It implements mcp::AccessPolicy:
//
//  * authenticate(): the credential comes only from `Authorization: Bearer <token>` (RFC 6750
//    §2.1; scheme case-insensitive, one or more spaces, one b64token). Two Authorization headers
//    or an `access_token` query parameter (even next to a valid header) -> 400 invalid_request
//    (RFC 6750 §2: one method per request; the query method is never accepted). No header or
//    another scheme (Basic, DPoP, ...) -> 401 `WWW-Authenticate: Bearer resource_metadata="..",
//    scope=".."` without an error. Anything else that fails -> 401 with the same challenge plus
//    error="invalid_token" and one fixed error_description: every forgery gets the same answer
//    (row 102), and nothing of the token is echoed.
//  * Verification (RFC 9068): JWS ES256 only, typ at+jwt (case-insensitive, "application/"
//    optional), kid present and in keys() (an unknown kid fetches keys() once more: the AS
//    rotates in-process), iss == issuer, aud == resource (row 103: a token for another resource
//    is refused), exp required, nbf and iat honoured with leeway_s, iat/sub/client_id/jti
//    required (sub, client_id, jti non-empty strings), org_id required and a valid
//    organization id, scope a string when present, jti not revoked.
//  * confirm() (organizations, once check_organizations() named the store): the token's
//    org_id must still be the organization of the user it names — a token claiming another
//    organization, or naming a user that no longer exists, gets 401 invalid_token. The answer
//    is cached per user for kUserOrgTtlS (1 s), so a busy caller costs one store read per
//    second, not one per request. When the store cannot answer (an outage), the signed claim
//    stands, as the token's other checks do without the database: a user's organization never
//    changes (no operation moves a user; one is created in its organization and stays there),
//    and a user who is deleted or deactivated has their tokens on the revocation list first,
//    which this guard holds in memory. A cached answer that contradicts the claim still refuses.
//  * Verified tokens are cached by SHA-256 of the token (the token itself is never stored):
//    the Caller, exp and jti. A hit still checks exp and the revocation set, so a revocation
//    takes effect at once, cached or not. The cache is sharded (one shared_mutex per shard),
//    bounded by cache_capacity (0 disables it); a full shard first drops expired entries, then
//    evicts arbitrary ones. Refused tokens are not cached (no negative cache): an invalid token
//    costs one signature check, the same as an attacker's fresh garbage would.
//  * Revocation set: jti -> expires_at, kept until expires_at + leeway_s (until then the exp
//    check alone would still accept the token). Fed by revoke() (the AS's revocation listener,
//    this process) and by polling store::Store::revoked_since() (other processes).
//  * may_call(): a tool that no configured scope mentions needs only a valid token; any other
//    tool needs a scope of the caller that permits it directly or through scope_implies.
//    Precomputed per configured scope, no allocation per call.
//  * forbid_tool(): 403 `WWW-Authenticate: Bearer error="insufficient_scope", scope="<the
//    caller's scopes + one that permits the tool>", resource_metadata=".."` (MCP step-up).
//
// Rejections are logged as "mcp_token_rejected" with a reason code only (never the token).
//
// Wiring (src/app/serve.cpp):
//   oauth::BearerGuardOptions go;
//   go.issuer = as->issuer();
//   go.resource = as->resources().front();          // the MCP endpoint's resource id
//   go.resource_metadata_url = <origin> + "/.well-known/oauth-protected-resource/mcp";
//   auto guard = std::make_shared<oauth::BearerGuard>(
//       go, [as = as.get()] { return as->verification_keys(); }, as->scopes());
//   as->set_revocation_listener(guard->revocation_listener());   // safe in any destroy order
//   guard->load_revocations(store);                              // blocking, at start
//   asio::co_spawn(ioc, guard->run_revocation_poll(store, executor, 1s), <log on error>);
//   ... EndpointOptions::access = guard;  at shutdown: guard->stop();
//
// Thread-safety: every method may be called from any thread at any time. authenticate() never
// blocks on I/O (keys() must be an in-memory snapshot). The guard must outlive a running
// run_revocation_poll() (it returns within `period` after stop()).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "crypto/jwk.hpp"
#include "http/asio.hpp"
#include "mcp/access.hpp"
#include "oauth/options.hpp"
#include "oauth/scopes.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

struct BearerGuardOptions {
  std::string issuer;                  // AuthorizationServer::issuer(): iss must equal it
  std::string resource;                // this endpoint's canonical resource id: aud must be it
  std::string resource_metadata_url;   // RFC 9728 metadata URL put in every challenge
  std::int64_t leeway_s = 30;          // clock skew allowed for exp, nbf, iat
  std::size_t cache_capacity = 65536;  // verified-token cache entries; 0 = no cache
};

// The verification keys, an in-memory snapshot (AuthorizationServer::verification_keys).
using KeySource = std::function<std::shared_ptr<const crypto::JwkSet>()>;

class BearerGuard final : public mcp::AccessPolicy {
 public:
  // `scopes` is copied. `clock` (unix seconds) defaults to system_now.
  BearerGuard(BearerGuardOptions options, KeySource keys, const ScopeSet& scopes, Clock clock = {});
  ~BearerGuard() override;
  BearerGuard(const BearerGuard&) = delete;
  BearerGuard& operator=(const BearerGuard&) = delete;

  // --- mcp::AccessPolicy ----------------------------------------------------------------------
  std::variant<mcp::Caller, http::Response> authenticate(
      const http::Request& request) const override;
  bool may_call(const mcp::Caller& caller, std::string_view tool) const override;
  http::Response forbid_tool(const mcp::Caller& caller, std::string_view tool) const override;
  asio::awaitable<std::optional<http::Response>> confirm(const mcp::Caller& caller) const override;

  // --- organizations ----------------------------------------------------------------------------
  // Turns on confirm()'s check of the caller's organization against `store` (read through
  // `executor`). Call once before serving; both must outlive the guard's use.
  void check_organizations(store::Store& store, store::Executor& executor);
  // confirm()'s answer when it needs no store read: nullopt when the store must be asked (no
  // fresh cached answer for the user; `stale_org`, when given, then receives an expired one),
  // else confirm()'s result — nothing (confirmed, or no check configured) or the 401. Never
  // blocks; for a caller that wants to skip the coroutine on the common path.
  std::optional<std::optional<http::Response>> confirm_cached(
      const mcp::Caller& caller, std::optional<std::string>* stale_org = nullptr) const;
  static constexpr std::int64_t kUserOrgTtlS = 1;
  static constexpr std::size_t kMaxUserOrgEntries = 65536;

  // --- revocation -------------------------------------------------------------------------------
  // Puts jtis on the revocation set (expired entries are ignored). Any thread.
  void revoke(const std::vector<store::RevokedToken>& entries);
  // A callable for AuthorizationServer::set_revocation_listener. It holds the revocation set
  // weakly, so it stays safe to call after the guard is gone.
  std::function<void(const std::vector<store::RevokedToken>&)> revocation_listener() const;
  bool is_revoked(std::string_view jti) const;

  // Blocking: reads every revocation entry with seq above the highest seen so far (all of them
  // on the first call). load_revocations() is meant for start-up; poll_revocations_once() is
  // what run_revocation_poll() runs through the executor.
  Status load_revocations(store::Store& store);
  Status poll_revocations_once(store::Store& store);
  // Polls poll_revocations_once() through `executor` every `period` until stop(). Store errors
  // are logged and retried at the next period.
  asio::awaitable<void> run_revocation_poll(store::Store& store,
                                            store::Executor& executor,
                                            std::chrono::milliseconds period);
  void stop();

  // --- introspection for tests and metrics ----------------------------------------------------
  std::size_t cache_size() const;     // verified tokens currently cached
  std::size_t revoked_count() const;  // entries in the revocation set

  std::int64_t last_revocation_seq() const { return last_seq_.load(); }

  // The WWW-Authenticate value of a 401 without error (exposed for the endpoint's tests).
  const std::string& basic_challenge() const { return challenge_; }

 private:
  struct CacheShard;
  struct RevocationSet;
  struct Verified;

  struct StringHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name

    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
  template <class V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  // The full verification of an uncached token: a Caller, or a reason code for the log.
  std::variant<Verified, std::string_view> verify(std::string_view token, std::int64_t now) const;
  std::variant<mcp::Caller, std::string_view> check(std::string_view token) const;
  http::Response invalid_token(std::string_view reason) const;
  http::Response invalid_request(std::string_view description) const;
  http::Response missing_token() const;
  void cache_put(const std::string& digest, Verified verified, std::int64_t now) const;

  BearerGuardOptions options_;
  KeySource keys_;
  ScopeSet scopes_;
  Clock clock_;
  std::string challenge_;  // Bearer resource_metadata="..", scope=".."
  // The tools some scope mentions (others need only a valid token).
  StringSet listed_tools_;
  // configured scope -> every tool it permits, directly or through implied scopes.
  StringMap<StringSet> scope_tools_;
  // tool -> the first configured scope (config order) that permits it directly.
  StringMap<std::string> tool_scope_;

  std::vector<std::unique_ptr<CacheShard>> shards_;
  std::size_t shard_capacity_ = 0;
  std::shared_ptr<RevocationSet> revoked_;
  std::mutex poll_mu_;  // one poll at a time (last_seq_ read-modify-write)
  std::atomic<std::int64_t> last_seq_{0};
  std::atomic<bool> stopped_{false};

  // confirm(): user id -> (organization, valid until); null store: no check.
  struct UserOrg {
    std::string org_id;
    std::int64_t valid_until = 0;
  };
  store::Store* org_store_ = nullptr;
  store::Executor* org_executor_ = nullptr;
  mutable std::mutex user_org_mu_;
  mutable StringMap<UserOrg> user_orgs_;
  // When confirm() last logged that the store could not answer (one line per 10 s in an outage).
  mutable std::atomic<std::int64_t> org_unavailable_logged_at_{0};
};

}  // namespace mcpgate::oauth
