#pragma once
// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP-SPEC §A2.6,
// §A2.b): a client_id that is an https URL names a JSON document, fetched by the authorization
// server, that holds the client's RFC 7591 metadata.
//
// validate_client_id_url() is the syntactic gate, applied before anything is fetched
// (ATTACKS row 51). CimdResolver fetches, validates, caches and coalesces (rows 52, 54, 56, 58).
//
// Every Error returned here maps to OAuth `invalid_client`; Error::message is written to be
// safe to show to the client (it never names resolved addresses or internal hosts). Codes:
//   kInvalidArgument    the URL or the document is unacceptable
//   kPermissionDenied   the host is not allowed (resolves to a non-public address)
//   kDeadlineExceeded   the fetch took longer than the timeout
//   kResourceExhausted  the document is larger than the cap
//   kUnavailable        the fetch failed (connection, TLS, non-200 status, redirect)
//
// Token endpoint authentication (ATTACKS row 58). A CIMD client cannot hold a shared secret,
// so the method is one of:
//   * `token_endpoint_auth_method` present: "none", or "private_key_jwt" with exactly one of
//     `jwks` / `jwks_uri`; client_secret_basic/post/jwt and anything else are refused.
//   * only `token_endpoint_auth_methods_supported` present (OpenID Connect RP Metadata Choices,
//     as ChatGPT publishes it): "none" when listed, otherwise "private_key_jwt" when listed (and
//     the keys are present), otherwise refused. "none" is preferred because that is how every
//     MCP client observed so far operates (PKCE without a client credential) and it asks
//     nothing of the document that it may not provide; a client that wants key-based
//     authentication says so with token_endpoint_auth_method.
//   * neither present: "none". RFC 7591's default (client_secret_basic) cannot apply to a
//     document that must not carry a secret, and the MCP examples all mean a public client.
// `client_secret` and `client_secret_expires_at` members are refused outright.
//
// Caching: successful results only (never failures, never invalid documents), keyed by the
// exact client_id. Lifetime from `Cache-Control` (no-store / no-cache: not cached; s-maxage, then
// max-age), else `Expires` (minus `Date` when present), else the default TTL; clamped to
// [min_cache_ttl, max_cache_ttl]. The cache is an LRU bounded by max_cache_entries.
//
// Coalescing: concurrent resolve() calls for a URL that is not cached share one fetch; every
// waiter resumes, on its own executor, with the same result (success or failure).
//
// Thread-safety: one CimdResolver may be shared by all connections (internally locked). It must
// outlive the resolve() calls in flight.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "http/client.hpp"

namespace mcpgate::oauth {

inline constexpr size_t kMaxClientIdUrlLength = 2048;

// The client_id URL rules (CIMD draft §3 plus the stricter Keycloak/oidc-provider practice):
// https scheme (lower case, as written); a host; a path other than "/"; no query, fragment or
// userinfo; no "." or ".." segment, including %2e/%2E spellings; no backslash, space, control
// or non-ASCII byte; valid %-escapes; at most kMaxClientIdUrlLength bytes. A host that is an IP
// literal must be public.
// allow_loopback_http (tests only) also admits http:// and https:// URLs whose host is
// 127.0.0.1, [::1] or localhost.
Status validate_client_id_url(std::string_view url, bool allow_loopback_http = false);

// The validated client metadata of one CIMD client.
struct ClientMetadata {
  std::string client_id;                   // the URL, exactly
  std::string client_name;                 // required
  std::vector<std::string> redirect_uris;  // non-empty; matched exactly by has_redirect_uri()
  std::string token_endpoint_auth_method;  // "none" | "private_key_jwt"
  bool auth_method_negotiated = false;     // chosen from token_endpoint_auth_methods_supported
  nlohmann::json jwks;                     // public JWK Set, or null
  std::string jwks_uri;                    // or ""
  std::string logo_uri;
  std::string client_uri;
  std::vector<std::string> grant_types;     // as published; default ["authorization_code"]
  std::vector<std::string> response_types;  // as published; default ["code"]
  std::string scope;                        // "" when absent
  std::string application_type;             // "web" | "native" | "" when absent
  std::string host;                         // host of the client_id URL, for the consent page
  std::string document;                     // the document as fetched (for persistence and audit)
  std::int64_t fetched_at = 0;              // unix seconds
  std::int64_t expires_at = 0;  // unix seconds; == fetched_at when the document is not cached

  // Exact, case-sensitive comparison with each redirect_uris entry. Loopback port relaxation
  // (RFC 8252 §7.3), if any, is the authorization endpoint's decision.
  bool has_redirect_uri(std::string_view uri) const;
};

// Validates a fetched document for `client_id` (the rules above and in the .cpp). Exposed so a
// document kept in the store can be re-validated, and for tests. `now` fills fetched_at; the
// caller sets expires_at.
struct DocumentLimits {
  size_t max_bytes = 5120;
  int max_depth = 8;
  bool allow_loopback_http = false;  // jwks_uri / logo_uri / client_uri on loopback http
};

Result<ClientMetadata> parse_cimd_document(std::string_view client_id,
                                           std::string_view body,
                                           const DocumentLimits& limits,
                                           std::int64_t now);

struct CimdResolverOptions {
  // Tests only: loopback http(s) client_id URLs and loopback addresses become fetchable.
  // The resolver logs a warning when constructed with it.
  bool allow_loopback_for_tests = false;
  // Unit tests only (no configuration reaches it): with allow_loopback_for_tests, also accept
  // plain http:// loopback client_id URLs, so tests can serve documents without TLS. The
  // configuration's test switch keeps https required (ATTACKS row 51).
  bool allow_plain_http_for_unit_tests = false;
  std::chrono::milliseconds timeout{5000};
  size_t max_document_bytes = 5120;
  int max_json_depth = 8;
  std::chrono::seconds min_cache_ttl{60};
  std::chrono::seconds max_cache_ttl{24 * 3600};
  std::chrono::seconds default_cache_ttl{300};  // no cache headers at all
  size_t max_cache_entries = 1000;
  // Unix seconds now; injected by tests (same shape as oauth's Clock).
  std::function<std::int64_t()> now;
  // The HTTP client to fetch with; empty: one trusting the system CA store.
  std::shared_ptr<const http::HttpClient> http_client;
};

class CimdResolver {
 public:
  explicit CimdResolver(CimdResolverOptions options);
  ~CimdResolver();
  CimdResolver(const CimdResolver&) = delete;
  CimdResolver& operator=(const CimdResolver&) = delete;

  // The metadata for `client_id`: from the cache, or fetched and validated. The URL is checked
  // with validate_client_id_url() first, so a bad one never reaches the network.
  asio::awaitable<Result<ClientMetadata>> resolve(std::string client_id);

  // Cached entries (expired ones included until they are evicted or looked up).
  size_t cache_size() const;
  void clear_cache();
  // Fetches performed (attempted) so far; for tests and metrics.
  size_t fetch_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpgate::oauth
