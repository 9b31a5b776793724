#include "oauth/sso_options.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "core/ascii.hpp"
#include "core/secret.hpp"
#include "crypto/jwa.hpp"
#include "http/client.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::size_t kMaxSsoKeyFileBytes = 64 * 1024;

// RFC 1035 letters-digits-hyphen labels, at least two of them, lower case.
bool sso_domain_ok(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
    return false;
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      if (label == 0 || label > 63 || domain[i - 1] == '-' || domain[i - label] == '-') {
        return false;
      }
      label = 0;
      continue;
    }
    const char c = domain[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
    ++label;
  }
  return true;
}

Result<std::string> sso_read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound, "sso.private_key_file cannot be opened");
  }
  std::string text(kMaxSsoKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxSsoKeyFileBytes) {
    return invalid_argument("sso.private_key_file is larger than 64 KiB");
  }
  return text;
}

}  // namespace

bool is_loopback_url(std::string_view url) {
  const auto parsed = http::parse_url(url);
  if (!parsed) {
    return false;
  }
  return parsed->host == "127.0.0.1" || parsed->host == "::1" || parsed->host == "localhost";
}

void validate_sso_organizations(const std::vector<SsoOrganization>& orgs,
                                std::vector<std::string>& problems) {
  std::set<std::string> ids;
  std::set<std::string> domains;
  for (const auto& org : orgs) {
    const std::string where = "organizations[" + org.org_id + "].sso";
    const SsoOptions& s = org.sso;
    if (!ids.insert(org.org_id).second) {
      problems.push_back("organization " + org.org_id + " has SSO configured twice");
    }
    for (const auto& d : org.domains) {
      if (!sso_domain_ok(d)) {
        problems.push_back("organizations[" + org.org_id + "].domains: \"" + d
                           + "\" is not a lower-case domain name");
      } else if (!domains.insert(d).second) {
        problems.push_back("domain " + d + " belongs to two organizations with SSO");
      }
    }
    const auto url = http::parse_url(s.issuer);
    if (s.issuer.empty() || !url) {
      problems.push_back(where + ".issuer must be an absolute https URL");
    } else if (s.allow_insecure_loopback && !is_loopback_url(s.issuer)) {
      // The switch exists for a mock IdP on this machine; on any other host it could only
      // make a real deployment accept an unprotected provider.
      problems.push_back(where + ".allow_insecure_loopback is only allowed for an issuer on a"
                                 " loopback host (127.0.0.1, ::1, localhost), not " + url->host);
    } else if (!url->tls() && !s.allow_insecure_loopback) {
      problems.push_back(where + ".issuer must be https (http only on loopback with"
                                 " allow_insecure_loopback, for tests)");
    }
    if (s.client_id.empty()) {
      problems.push_back(where + ".client_id is required");
    }
    const std::string& method = s.token_endpoint_auth_method;
    const bool key_jwt = method == "private_key_jwt" || (method.empty() && !s.private_key_file.empty());
    if (!method.empty() && method != "client_secret_basic" && method != "client_secret_post"
        && method != "private_key_jwt") {
      problems.push_back(where + ".token_endpoint_auth_method must be client_secret_basic,"
                                 " client_secret_post or private_key_jwt");
    } else if (key_jwt) {
      if (s.private_key_file.empty()) {
        problems.push_back(where + ": private_key_jwt needs private_key_file");
      }
      if (!crypto::parse_jws_algorithm(s.private_key_alg)) {
        problems.push_back(where + ".private_key_alg must be ES256, RS256, PS256 or EdDSA");
      }
    } else if (s.client_secret_file.empty() == s.client_secret_env.empty()) {
      problems.push_back(where + " needs exactly one of client_secret_file and client_secret_env");
    }
    if (s.jwks_refetch_interval_s < 1 || s.jwks_refetch_interval_s > 3600) {
      problems.push_back(where + ".jwks_refetch_interval_s must be in 1..3600");
    }
    for (const auto& alg : s.algorithms) {
      if (!crypto::parse_jws_algorithm(alg)) {
        problems.push_back(where + ".algorithms: \"" + alg
                           + "\" is not accepted (ES256, RS256, PS256, EdDSA; never none or HS*)");
      }
    }
    for (const auto* path : {&s.claims.email, &s.claims.name, &s.claims.groups, &s.claims.username}) {
      if (auto ok = identity::validate_claim_path(*path); !ok) {
        problems.push_back(where + ".claims: " + ok.error().message);
      }
    }
  }
}

Result<identity::ProviderConfig> make_provider_config(const SsoOrganization& org,
                                                      const std::string& redirect_uri) {
  const SsoOptions& s = org.sso;
  identity::ProviderConfig c;
  c.issuer = s.issuer;
  c.client_id = s.client_id;
  c.redirect_uri = redirect_uri;
  c.scopes = s.scopes;
  c.claims.email = s.claims.email;
  c.claims.name = s.claims.name;
  c.claims.groups = s.claims.groups;
  if (!s.algorithms.empty()) {
    c.allowed_algs.clear();
    for (const auto& name : s.algorithms) {
      const auto alg = crypto::parse_jws_algorithm(name);
      if (!alg) {
        return invalid_argument("sso.algorithms: unsupported algorithm");
      }
      c.allowed_algs.push_back(*alg);
    }
  }
  const std::string& method = s.token_endpoint_auth_method;
  if (method == "private_key_jwt" || (method.empty() && !s.private_key_file.empty())) {
    c.auth_method = identity::ClientAuthMethod::kPrivateKeyJwt;
    const auto alg = crypto::parse_jws_algorithm(s.private_key_alg);
    if (!alg) {
      return invalid_argument("sso.private_key_alg: unsupported algorithm");
    }
    MCPGATE_ASSIGN_OR_RETURN(const std::string pem, sso_read_key_file(s.private_key_file));
    auto key = crypto::SigningKey::from_pem(pem, *alg);
    if (!key) {
      return invalid_argument("sso.private_key_file does not hold a " + s.private_key_alg
                              + " private key");
    }
    c.assertion_key = std::move(key).value();
  } else {
    c.auth_method = method == "client_secret_post" ? identity::ClientAuthMethod::kClientSecretPost
                                                   : identity::ClientAuthMethod::kClientSecretBasic;
    MCPGATE_ASSIGN_OR_RETURN(
        c.client_secret,
        read_secret(s.client_secret_file, s.client_secret_env,
                    s.client_secret_file.empty() ? "sso.client_secret_env" : "sso.client_secret_file"));
  }
  if (s.allow_insecure_loopback) {
    if (!is_loopback_url(s.issuer)) {  // validate_sso_organizations said so; never widen
      return invalid_argument("sso.allow_insecure_loopback needs a loopback issuer");
    }
    c.allow_loopback_http = true;
    c.address_policy = http::AddressPolicy::kAllowLoopback;
  }
  MCPGATE_TRY(identity::validate_provider_config(c));
  return c;
}

}  // namespace mcpgate::oauth
