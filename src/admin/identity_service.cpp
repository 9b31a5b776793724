#include "admin/identity_service.hpp"

#include <charconv>
#include <utility>

#include "oauth/key_manager.hpp"
#include "oauth/organizations.hpp"

namespace mcpgate::admin {
namespace {

Json key_time(std::optional<store::Timestamp> t) { return t ? Json(*t) : Json(nullptr); }

Result<Json> identity_not_found(const Error& e, const char* what) {
  if (e.code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, std::string("no such ") + what);
  }
  return e;
}

Json group_json(const store::ScimResource& g) {
  Json members = Json::array();
  for (const auto& m : g.members) {
    members.push_back(Json{{"user_id", m.user_id}, {"username", m.user_name}});
  }
  return Json{{"id", g.id},
              {"display_name", g.name},
              {"external_id", g.external_id.empty() ? Json(nullptr) : Json(g.external_id)},
              {"created_at", g.created_at},
              {"last_modified", g.last_modified},
              {"members", std::move(members)}};
}

// The groups cursor is a position (see identity_service.hpp): digits only, within bounds.
Result<std::int64_t> group_offset(const std::string& after) {
  if (after.empty()) {
    return std::int64_t{0};
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(after.data(), after.data() + after.size(), n);
  if (ec != std::errc() || end != after.data() + after.size() || n < 0 || n > 1'000'000'000) {
    return make_error(ErrorCode::kInvalidArgument, "cursor is not one of ours");
  }
  return n;
}

}  // namespace

IdentityService::IdentityService(store::Store& store, IdentityServiceOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.admin.clock) {
    options_.admin.clock = oauth::system_now;
  }
}

Result<Json> IdentityService::get_organization(std::string_view org) {
  auto row = store_.find_organization(org);
  if (!row) {
    return identity_not_found(row.error(), "organization");
  }
  return organization_json(*row);
}

Result<Json> IdentityService::organization_json(const store::Organization& row) {
  const oauth::OrganizationOptions settings = oauth::organization_from_store(row);
  MCPGATE_ASSIGN_OR_RETURN(const auto counts, store_.count_organization(row.id));
  Json out = {{"id", row.id},
              {"name", row.name},
              {"domains", settings.domains},
              {"password_login", settings.password_login},
              {"jit", settings.jit},
              {"sso_configured", options_.sso_configured ? options_.sso_configured(row.id) : false},
              {"created_at", row.created_at}};
  out["counts"] = Json{{"users", counts.users},
                       {"disabled_users", counts.disabled_users},
                       {"live_sessions", counts.live_sessions},
                       {"groups", counts.groups}};
  return out;
}

Result<Json> IdentityService::list_organizations(const Page& page) {
  MCPGATE_ASSIGN_OR_RETURN(const auto all, store_.list_organizations());
  Json items = Json::array();
  std::string last;
  bool more = false;
  for (const auto& org : all) {
    if (!page.after.empty() && org.id <= page.after) {
      continue;
    }
    if (items.size() == page.limit) {
      more = true;
      break;
    }
    MCPGATE_ASSIGN_OR_RETURN(auto one, organization_json(org));
    items.push_back(std::move(one));
    last = org.id;
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more) {
    out["next_cursor"] = cursor_after(last);
  }
  return out;
}

Result<Json> IdentityService::list_groups(std::string_view org, const Page& page) {
  MCPGATE_ASSIGN_OR_RETURN(const std::int64_t offset, group_offset(page.after));
  store::ScimListQuery q;
  q.org_id = std::string(org);
  q.kind = store::ScimKind::kGroup;
  q.offset = offset;
  q.limit = static_cast<std::int64_t>(page.limit);
  MCPGATE_ASSIGN_OR_RETURN(const auto found, store_.list_scim_resources(q));
  Json items = Json::array();
  for (const auto& g : found.resources) {
    items.push_back(group_json(g));
  }
  const std::int64_t next = offset + static_cast<std::int64_t>(found.resources.size());
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}, {"total", found.total}};
  if (!found.resources.empty() && next < found.total) {
    out["next_cursor"] = cursor_after(std::to_string(next));
  }
  return out;
}

Result<Json> IdentityService::get_group(std::string_view org, std::string_view group_id) {
  auto g = store_.find_scim_resource(store::ScimKind::kGroup, org, group_id);
  if (!g) {
    return identity_not_found(g.error(), "group");
  }
  return group_json(*g);
}

Result<Json> IdentityService::get_client(std::string_view client_id) {
  auto c = store_.find_client(client_id);
  if (!c) {
    return identity_not_found(c.error(), "client");
  }
  Json out = AdminService::client_json(*c);
  // Registration facts, never the secret or token themselves (nor their hashes).
  out["client_secret_expires_at"] = c->secret_hash.empty() ? Json(nullptr) : Json(c->secret_expires_at);
  out["registration_management"] = !c->registration_token_hash.empty();
  out["cimd"] = nullptr;
  if (c->kind == store::ClientKind::kCimd) {
    Json cimd = {{"document_url", c->client_id}, {"fetched_at", nullptr}, {"expires_at", nullptr}};
    if (auto doc = store_.find_cimd_document(c->client_id)) {
      cimd["fetched_at"] = doc->fetched_at;
      cimd["expires_at"] = doc->expires_at;
    } else if (doc.error().code != ErrorCode::kNotFound) {
      return doc.error();
    }
    out["cimd"] = std::move(cimd);
  }
  return out;
}

Result<Json> IdentityService::set_client_disabled(std::string_view client_id, bool disabled) {
  auto before = store_.find_client(client_id);
  if (!before) {
    return identity_not_found(before.error(), "client");
  }
  auto revoked = store_.set_client_disabled(client_id, disabled, options_.admin.clock());
  if (!revoked) {
    return identity_not_found(revoked.error(), "client");
  }
  if (options_.admin.on_revoked && !revoked->empty()) {
    options_.admin.on_revoked(*revoked);
  }
  Json out = {{"client_id", std::string(client_id)},
              {"disabled", disabled},
              {"was_disabled", before->disabled},
              {"tokens_revoked", revoked->size()}};
  return out;
}

Result<Json> IdentityService::list_signing_keys() {
  MCPGATE_ASSIGN_OR_RETURN(const auto keys, store_.list_signing_keys());
  Json items = Json::array();
  for (const auto& k : keys) {
    // The public half only: private_pem never leaves this function.
    items.push_back(Json{{"kid", k.kid},
                         {"alg", k.alg},
                         {"state", store::key_state_name(k.state)},
                         {"created_at", k.created_at},
                         {"activated_at", key_time(k.activated_at)},
                         {"retired_at", key_time(k.retired_at)},
                         {"public_jwk", k.public_jwk}});
  }
  return Json{{"items", std::move(items)}};
}

Result<Json> IdentityService::rotate_signing_key() {
  MCPGATE_ASSIGN_OR_RETURN(const std::string kid,
                           oauth::rotate_signing_keys(store_, options_.admin.clock()));
  bool reloaded = false;
  if (options_.on_keys_rotated) {
    // The rotation is stored: a failed reload here is caught up by the next periodic refresh.
    reloaded = options_.on_keys_rotated().ok();
  }
  return Json{{"active_kid", kid}, {"reloaded", reloaded}};
}

void bind_identity_operations(OperationHandlers& handlers,
                              std::shared_ptr<IdentityService> service) {
  IdentityService* s = service.get();
  const auto bind = [&](std::string_view id, auto fn) {
    handlers.add(id, [service, s, fn](const AdminCall& call) { return fn(*s, call); });
  };
  bind("getOrganization", [](IdentityService& svc, const AdminCall& c) {
    return svc.get_organization(c.org());
  });
  bind("listOrganizations", [](IdentityService& svc, const AdminCall& c) {
    return svc.list_organizations(c.page);
  });
  bind("listGroups", [](IdentityService& svc, const AdminCall& c) {
    return svc.list_groups(c.org(), c.page);
  });
  bind("getGroup", [](IdentityService& svc, const AdminCall& c) {
    return svc.get_group(c.org(), c.arg("group_id"));
  });
  bind("getClient", [](IdentityService& svc, const AdminCall& c) {
    return svc.get_client(c.arg("client_id"));
  });
  bind("disableClient", [](IdentityService& svc, const AdminCall& c) {
    return svc.set_client_disabled(c.arg("client_id"), true);
  });
  bind("enableClient", [](IdentityService& svc, const AdminCall& c) {
    return svc.set_client_disabled(c.arg("client_id"), false);
  });
  bind("listSigningKeys", [](IdentityService& svc, const AdminCall&) {
    return svc.list_signing_keys();
  });
  bind("rotateSigningKey", [](IdentityService& svc, const AdminCall&) {
    return svc.rotate_signing_key();
  });
}

}  // namespace mcpgate::admin
