#pragma once
// SSO settings of an organization (`organizations[].sso` in the configuration) as the
// authorization server consumes them, and their translation into an identity::ProviderConfig.
//
// One organization = at most one identity provider. The settings name secrets by file or
// environment variable only; make_provider_config reads them (blocking: call at start).
//
// allow_insecure_loopback is a test switch: it lets the issuer, the IdP's endpoints and the
// gate's own redirect URI be plain http on a loopback host (oauth2-mock-server serves
// http://localhost:PORT) and lets the fetches reach loopback. It is refused for an issuer on
// any other host, so it cannot weaken a real deployment by accident, and it is logged as a
// warning at start.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "identity/provider.hpp"

namespace mcpgate::oauth {

struct SsoClaimOptions {
  std::string email = "email";
  std::string name = "name";
  std::string groups = "groups";
  // The claim a just-in-time user's username comes from (then the email's local part, then
  // the subject, when it is absent).
  std::string username = "preferred_username";
};

struct SsoOptions {
  std::string issuer;
  std::string client_id;
  std::string client_secret_file;  // client_secret_basic / client_secret_post
  std::string client_secret_env;
  std::string private_key_file;    // private_key_jwt: a PEM private key
  std::string private_key_alg = "RS256";
  // "" = private_key_jwt when private_key_file is set, client_secret_basic otherwise.
  std::string token_endpoint_auth_method;
  std::vector<std::string> scopes = {"openid", "email", "profile"};
  SsoClaimOptions claims;
  std::vector<std::string> algorithms;  // ID token algs; empty = RS256, PS256, ES256, EdDSA
  std::string display_name;             // "Continue with <display_name>"
  bool allow_insecure_loopback = false;  // tests only, see above
  // An ID token whose kid is not in the cached JWKS refetches it, at most this often (1-3600).
  int jwks_refetch_interval_s = 30;
};

// An organization that signs its people in through an IdP.
struct SsoOrganization {
  std::string org_id;
  std::string org_name;
  std::vector<std::string> domains;  // home-realm discovery: lower-case email domains
  bool jit = false;                  // create unknown (iss, sub) as new users of the org
  bool password_login = true;        // false: the password form refuses this org's users
  SsoOptions sso;
};

// Checks what can be checked without files or the network: issuer, client_id, a credential
// source for the auth method, alg names, claim paths, domains, allow_insecure_loopback only
// for a loopback issuer, unique org ids and domains. Each problem is appended to `problems`.
void validate_sso_organizations(const std::vector<SsoOrganization>& orgs,
                                std::vector<std::string>& problems);

// The provider configuration for one organization, with its secret or key read. kNotFound /
// kInvalidArgument when a secret file or variable is missing or empty, kInvalidArgument for
// an unusable key or configuration. Messages name the setting, never the value.
Result<identity::ProviderConfig> make_provider_config(const SsoOrganization& org,
                                                      const std::string& redirect_uri);

// True for a URL whose host is 127.0.0.0/8, ::1 or localhost.
bool is_loopback_url(std::string_view url);

}  // namespace mcpgate::oauth
