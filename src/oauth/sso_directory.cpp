#include "oauth/sso_directory.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "http/client.hpp"

namespace mcpgate::oauth {
namespace {

// The lower-cased domain of an email-like identifier ("" when there is no '@' or nothing
// after it).
std::string sso_identifier_domain(std::string_view identifier) {
  const std::size_t at = identifier.rfind('@');
  if (at == std::string_view::npos || at + 1 >= identifier.size()) {
    return {};
  }
  return ascii::to_lower(identifier.substr(at + 1));
}

}  // namespace

Result<std::shared_ptr<const SsoDirectory>> SsoDirectory::create(
    const std::vector<SsoOrganization>& orgs, const std::string& redirect_uri,
    const identity::RelyingPartyOptions& rp_options) {
  auto dir = std::make_shared<SsoDirectory>();
  for (const auto& org : orgs) {
    auto config = make_provider_config(org, redirect_uri);
    if (!config) {
      return make_error(config.error().code,
                        "organization " + org.org_id + ": " + config.error().message);
    }
    if (org.sso.allow_insecure_loopback) {
      log::warn("sso_insecure_loopback",
                {{"org_id", org.org_id},
                 {"issuer", org.sso.issuer},
                 {"setting", "organizations[].sso.allow_insecure_loopback"},
                 {"effect", "plain http to a loopback identity provider is accepted: TESTS ONLY"}});
    }
    identity::RelyingPartyOptions options = rp_options;
    options.jwks_cache.min_refetch_interval = std::chrono::seconds(org.sso.jwks_refetch_interval_s);
    auto rp = identity::RelyingParty::create(std::move(config).value(), std::move(options));
    if (!rp) {
      return make_error(rp.error().code, "organization " + org.org_id + ": " + rp.error().message);
    }
    std::string display = org.sso.display_name;
    if (display.empty()) {
      display = org.org_name.empty() ? org.org_id : org.org_name;
    }
    std::vector<std::string> domains;
    for (const auto& d : org.domains) {
      domains.push_back(ascii::to_lower(d));
    }
    dir->connections_.push_back(SsoConnection{org.org_id, std::move(display), std::move(domains),
                                              org.jit, org.password_login,
                                              org.sso.claims.username, std::move(rp).value()});
  }
  return std::shared_ptr<const SsoDirectory>(std::move(dir));
}

const SsoConnection* SsoDirectory::find(std::string_view org_id) const {
  for (const auto& c : connections_) {
    if (c.org_id == org_id) {
      return &c;
    }
  }
  return nullptr;
}

const SsoConnection* SsoDirectory::for_identifier(std::string_view identifier) const {
  const std::string domain = sso_identifier_domain(identifier);
  if (domain.empty()) {
    return nullptr;
  }
  for (const auto& c : connections_) {
    if (std::find(c.domains.begin(), c.domains.end(), domain) != c.domains.end()) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace mcpgate::oauth
