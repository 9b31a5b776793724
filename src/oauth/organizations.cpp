#include "oauth/organizations.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace mcpgate::oauth {
namespace {

bool org_settings_flag(const nlohmann::json& object, const char* name, bool fallback) {
  const auto it = object.find(name);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::vector<std::string> org_settings_strings(const nlohmann::json& object, const char* name) {
  std::vector<std::string> out;
  const auto it = object.find(name);
  if (it == object.end() || !it->is_array()) {
    return out;
  }
  for (const auto& v : *it) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

OrganizationOptions default_org_options() {
  OrganizationOptions d;
  d.id = store::kDefaultOrgId;
  d.name = "Default";
  return d;
}

}  // namespace

nlohmann::json organization_settings(const OrganizationOptions& org) {
  nlohmann::json clients = {{"allow_dcr", org.clients.allow_dcr},
                            {"allow_cimd", org.clients.allow_cimd}};
  if (org.clients.restrict_static) {
    clients["allowed"] = org.clients.allowed;
  }
  return {{"domains", org.domains},
          {"password_login", org.password_login},
          {"jit", org.jit},
          {"clients", std::move(clients)}};
}

OrganizationOptions organization_from_store(const store::Organization& row) {
  OrganizationOptions o;
  o.id = row.id;
  o.name = row.name;
  const nlohmann::json& s = row.settings;
  if (!s.is_object()) {
    return o;
  }
  o.domains = org_settings_strings(s, "domains");
  o.password_login = org_settings_flag(s, "password_login", true);
  o.jit = org_settings_flag(s, "jit", false);
  if (const auto c = s.find("clients"); c != s.end() && c->is_object()) {
    o.clients.allow_dcr = org_settings_flag(*c, "allow_dcr", true);
    o.clients.allow_cimd = org_settings_flag(*c, "allow_cimd", true);
    if (const auto a = c->find("allowed"); a != c->end() && a->is_array()) {
      o.clients.restrict_static = true;
      o.clients.allowed = org_settings_strings(*c, "allowed");
    }
  }
  return o;
}

Status sync_organizations(store::Store& store, const AuthOptions& options, std::int64_t now) {
  const OrganizationDirectory directory(options.organizations);
  for (const auto& org : directory.all()) {
    store::Organization row;
    row.id = org.id;
    row.name = org.name.empty() ? org.id : org.name;
    row.settings = organization_settings(org);
    row.created_at = now;
    MCPGATE_TRY(store.upsert_organization(row));
  }
  return {};
}

std::string identifier_domain(std::string_view identifier) {
  const auto at = identifier.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == identifier.size()) {
    return {};
  }
  return ascii::to_lower(identifier.substr(at + 1));
}

OrganizationDirectory::OrganizationDirectory(const std::vector<OrganizationOptions>& organizations) {
  const auto listed = std::find_if(organizations.begin(), organizations.end(), [](const auto& o) {
    return o.id == store::kDefaultOrgId;
  });
  organizations_.push_back(listed != organizations.end() ? *listed : default_org_options());
  for (const auto& o : organizations) {
    if (o.id != store::kDefaultOrgId) {
      organizations_.push_back(o);
    }
  }
}

const OrganizationOptions& OrganizationDirectory::resolve_identifier(
    std::string_view identifier) const {
  const std::string domain = identifier_domain(identifier);
  if (!domain.empty()) {
    for (const auto& o : organizations_) {
      if (std::find(o.domains.begin(), o.domains.end(), domain) != o.domains.end()) {
        return o;
      }
    }
  }
  return organizations_.front();
}

const OrganizationOptions* OrganizationDirectory::find(std::string_view org_id) const {
  for (const auto& o : organizations_) {
    if (o.id == org_id) {
      return &o;
    }
  }
  return nullptr;
}

const OrganizationOptions& OrganizationDirectory::default_organization() const {
  return organizations_.front();
}

bool organization_allows_client(const OrganizationOptions& org, std::string_view client_id,
                                ClientOrigin origin) {
  const auto& p = org.clients;
  if (std::find(p.allowed.begin(), p.allowed.end(), client_id) != p.allowed.end()) {
    return true;
  }
  switch (origin) {
    case ClientOrigin::kDcr:
      return p.allow_dcr;
    case ClientOrigin::kCimd:
      return p.allow_cimd;
    case ClientOrigin::kStatic:
      return !p.restrict_static;
  }
  return false;
}

}  // namespace mcpgate::oauth
