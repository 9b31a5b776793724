#pragma once
// One upstream OpenID Provider (Okta, Entra ID, Google, Keycloak, ...) as the gate, an OIDC
// relying party, is configured for it, and what the provider publishes about itself.
//
//   ProviderConfig          what the operator (later: the organization's SSO settings) says
//   ProviderMetadata        the discovery document (OpenID Connect Discovery 1.0 §3), validated
//   parse_provider_metadata `issuer` must equal the configured issuer exactly (Discovery §4.3:
//                           otherwise a compromised or confused document could make the gate
//                           accept another issuer's tokens); endpoints must be https
//   parse_jwks              the provider's signing keys (RFC 7517), size- and count-capped;
//                           keys for encryption or of a type we do not implement are skipped
//   fetch_provider_document GET through the SSRF-guarded outbound client: no redirects, a size
//                           cap, a deadline, the configured address policy
//
// Error codes: kInvalidArgument = a bad configuration or document; fetch errors keep the
// outbound client's codes (kPermissionDenied for a refused address, kDeadlineExceeded, ...),
// non-200 answers are kUnavailable. Messages may name the issuer and URLs, never secrets.
//
// Thread-safe (pure functions; ProviderConfig and ProviderMetadata are plain values).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "crypto/jwa.hpp"
#include "crypto/jwk.hpp"
#include "http/address_policy.hpp"
#include "http/asio.hpp"
#include "http/client.hpp"
#include "identity/identity.hpp"

namespace mcpgate::identity {

// How the gate authenticates to the provider's token endpoint (OIDC Core §9).
enum class ClientAuthMethod {
  kClientSecretBasic,  // HTTP Basic, id and secret form-encoded first (RFC 6749 §2.3.1)
  kClientSecretPost,   // client_id and client_secret in the form body
  kPrivateKeyJwt,      // RFC 7523 client assertion signed with ProviderConfig::assertion_key
};

// "client_secret_basic" | "client_secret_post" | "private_key_jwt"
std::string_view client_auth_method_name(ClientAuthMethod method);

// The `aud` of a private_key_jwt client assertion. OIDC Core §9 says the token endpoint URL,
// which Okta and Entra ID require; draft-ietf-oauth-rfc7523bis moves to the issuer identifier
// (Keycloak accepts both). Chosen per provider.
enum class AssertionAudience { kTokenEndpoint, kIssuer };

struct ProviderConfig {
  std::string issuer;  // exact, as the provider writes it in `iss` (https, no query/fragment)
  std::string client_id;
  ClientAuthMethod auth_method = ClientAuthMethod::kClientSecretBasic;
  std::string client_secret;                        // basic / post
  std::optional<crypto::SigningKey> assertion_key;  // private_key_jwt
  AssertionAudience assertion_audience = AssertionAudience::kTokenEndpoint;
  std::string redirect_uri;  // the gate's callback, registered at the provider
  std::vector<std::string> scopes = {"openid", "email", "profile"};
  // Accepted ID token algorithms, intersected with the provider's
  // id_token_signing_alg_values_supported. Never "none" or HS*: they have no JwsAlgorithm.
  std::vector<crypto::JwsAlgorithm> allowed_algs = {crypto::JwsAlgorithm::kRS256,
                                                    crypto::JwsAlgorithm::kPS256,
                                                    crypto::JwsAlgorithm::kES256,
                                                    crypto::JwsAlgorithm::kEdDSA};
  // Audiences besides client_id an ID token may carry (OIDC Core §3.1.3.7 step 3: others are
  // untrusted and refuse the token). azp must still be client_id.
  std::vector<std::string> trusted_audiences;
  ClaimMapping claims;
  std::chrono::seconds leeway{60};          // clock skew for exp, nbf, iat, auth_time
  std::chrono::seconds max_token_age{600};  // an ID token's iat may be at most this old
  // Which addresses the gate may reach for discovery, JWKS and token requests. Public-only by
  // default: an organization admin who configures SSO must not reach the gate's own network.
  // An operator's on-premises IdP needs kAny.
  http::AddressPolicy address_policy = http::AddressPolicy::kPublicOnly;
  // TESTS ONLY: http:// issuer and endpoints on a loopback host (127.0.0.1, ::1, localhost).
  bool allow_loopback_http = false;
};

// Checks the configuration alone (no network): issuer and redirect_uri URLs, a client_id, the
// credential the auth method needs, "openid" among well-formed scopes, a non-empty alg list,
// claim paths.
Status validate_provider_config(const ProviderConfig& config);

// Discovery §4: `<issuer without a trailing '/'>/.well-known/openid-configuration`.
std::string discovery_url(std::string_view issuer);

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;                                   // "" when absent
  std::string end_session_endpoint;                                // "" when absent
  std::vector<std::string> id_token_signing_alg_values_supported;  // ["RS256"] when absent
  std::vector<std::string> code_challenge_methods_supported;
  // Empty when the document did not list them (Discovery's default is client_secret_basic,
  // but a missing list is not treated as a refusal of the others).
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> token_endpoint_auth_signing_alg_values_supported;
  bool authorization_response_iss_parameter_supported = false;  // RFC 9207 §3
};

struct DocumentLimits {
  std::size_t max_bytes = std::size_t{64} * 1024;
  int max_depth = 10;
};

// Validates a discovery document for `config` (issuer equality, required members, endpoint
// schemes, member types). kInvalidArgument naming the first problem.
Result<ProviderMetadata> parse_provider_metadata(std::string_view body,
                                                 const ProviderConfig& config,
                                                 const DocumentLimits& limits = {});

// The ID token algorithms both sides accept, in the configuration's order. kFailedPrecondition
// when there is none.
Result<std::vector<crypto::JwsAlgorithm>> effective_id_token_algs(const ProviderConfig& config,
                                                                  const ProviderMetadata& metadata);

inline constexpr std::size_t kMaxJwksBytes = std::size_t{256} * 1024;
inline constexpr std::size_t kMaxJwksKeys = 100;

// A JWKS document: an object with a "keys" array of at most kMaxJwksKeys entries. Keys whose
// "use" is not "sig", whose kty/crv we do not implement, or that are malformed are skipped
// (RFC 7517 §5); a set with no usable key left is kInvalidArgument (so a cache keeps the keys
// it had).
Result<crypto::JwkSet> parse_jwks(std::string_view body, std::size_t max_bytes = kMaxJwksBytes);

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};
  std::size_t max_bytes = std::size_t{64} * 1024;
  http::AddressPolicy address_policy = http::AddressPolicy::kPublicOnly;
};

// GET `url` expecting a JSON document (media type application/json or */*+json) with status
// 200. Redirects are not followed.
asio::awaitable<Result<std::string>> fetch_provider_document(
    std::shared_ptr<const http::HttpClient> client, std::string url, FetchOptions options);

// True for a URL the configuration allows as an endpoint: https, or http on a loopback host
// when allow_loopback_http.
bool endpoint_url_allowed(std::string_view url, bool allow_loopback_http);

}  // namespace mcpgate::identity
