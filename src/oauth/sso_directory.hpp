#pragma once
// The organizations that sign in through an identity provider, each with its
// identity::RelyingParty, as the login page and the /sso routes look them up:
//
//   all()             for the "Continue with <display_name>" buttons
//   find(org_id)      /sso/start?org=...
//   for_identifier()  home-realm discovery: "alice@acme.example" -> the organization that
//                     lists acme.example among its domains (exact, case-insensitive match of
//                     the part after the last '@'; no suffix matching: sub.acme.example is
//                     another domain)
//
// Built once at start; immutable afterwards, so any thread may read it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "identity/relying_party.hpp"
#include "oauth/sso_options.hpp"

namespace mcpgate::oauth {

struct SsoConnection {
  std::string org_id;
  std::string display_name;
  std::vector<std::string> domains;
  bool jit = false;
  bool password_login = true;
  std::string username_claim;
  identity::RelyingParty rp;
};

class SsoDirectory {
 public:
  // Reads every organization's secret or key and validates its provider configuration;
  // `redirect_uri` is the gate's /sso/callback URL. The first failure names its organization.
  static Result<std::shared_ptr<const SsoDirectory>> create(
      const std::vector<SsoOrganization>& orgs, const std::string& redirect_uri,
      const identity::RelyingPartyOptions& rp_options = {});

  const std::vector<SsoConnection>& all() const { return connections_; }
  bool empty() const { return connections_.empty(); }
  const SsoConnection* find(std::string_view org_id) const;
  const SsoConnection* for_identifier(std::string_view identifier) const;

 private:
  std::vector<SsoConnection> connections_;
};

}  // namespace mcpgate::oauth
