#include "admin/admin_service.hpp"

#include <algorithm>
#include <utility>

#include "core/ascii.hpp"
#include "oauth/scopes.hpp"

namespace mcpgate::admin {
namespace {

Json optional_time(store::Timestamp t) {
  return t == 0 ? Json(nullptr) : Json(t);
}

// A page's JSON: the first `limit` of `rows` (the store was asked for limit + 1, so a row more
// means there is a next page).
template <class T, class ToJson, class IdOf>
Json paged(std::vector<T> rows, std::size_t limit, ToJson to_json, IdOf id_of) {
  Json items = Json::array();
  const bool more = rows.size() > limit;
  if (more) {
    rows.resize(limit);
  }
  for (const auto& row : rows) {
    items.push_back(to_json(row));
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more && !rows.empty()) {
    out["next_cursor"] = cursor_after(id_of(rows.back()));
  }
  return out;
}

Json grant_json(const store::Grant& g) {
  return Json{{"id", g.id},
              {"client_id", g.client_id},
              {"scopes", oauth::split_scope(g.scope)},
              {"resources", oauth::split_scope(g.resource)},
              {"created_at", g.created_at}};
}

}  // namespace

AdminService::AdminService(store::Store& store, oauth::UserDeprovisioning& deprovisioning,
                           AdminServiceOptions options)
    : store_(store), deprovisioning_(deprovisioning), options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = oauth::system_now;
  }
}

Json AdminService::user_json(const store::User& u) {
  return Json{{"id", u.id},
              {"username", u.username},
              {"org_id", u.org_id},
              {"disabled", u.disabled},
              {"deprovisioned_at", optional_time(u.deprovisioned_at)},
              {"password_login", !u.password_hash.empty()},
              {"created_at", u.created_at}};
}

Json AdminService::client_json(const store::Client& c) {
  // RFC 7591 metadata as registered, minus anything secret-like (the store keeps secrets as
  // hashes in their own columns; this guards against a metadata document that carried one).
  Json metadata = Json::object();
  if (c.metadata.is_object()) {
    for (const auto& [key, value] : c.metadata.items()) {
      const std::string lower = ascii::to_lower(key);
      if (lower.find("secret") == std::string::npos &&
          lower.find("registration_access_token") == std::string::npos) {
        metadata[key] = value;
      }
    }
  }
  Json out = {{"client_id", c.client_id},
              {"kind", store::client_kind_name(c.kind)},
              {"client_name", metadata.value("client_name", c.client_id)},
              {"confidential", !c.secret_hash.empty()},
              {"disabled", c.disabled},
              {"created_at", c.created_at}};
  out["metadata"] = std::move(metadata);
  return out;
}

Result<store::User> AdminService::user_in(std::string_view org, std::string_view user_id) {
  auto user = store_.find_user(user_id);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "no such user");
    }
    return user.error();
  }
  if (user->org_id != org) {
    // Another organization's user answers exactly as a missing one.
    return make_error(ErrorCode::kNotFound, "no such user");
  }
  return user;
}

Result<Json> AdminService::list_users(std::string_view org, const Page& page) {
  MCPGATE_ASSIGN_OR_RETURN(auto rows, store_.list_org_users(org, page.after, page.limit + 1));
  return paged(std::move(rows), page.limit, user_json,
               [](const store::User& u) -> const std::string& { return u.id; });
}

Result<Json> AdminService::get_user(std::string_view org, std::string_view user_id) {
  MCPGATE_ASSIGN_OR_RETURN(const auto user, user_in(org, user_id));
  return user_json(user);
}

Result<Json> AdminService::deactivate_user(std::string_view org, std::string_view actor,
                                           std::string_view user_id) {
  MCPGATE_ASSIGN_OR_RETURN(const auto user, user_in(org, user_id));
  if (user.id == actor) {
    return make_error(ErrorCode::kFailedPrecondition, "an administrator cannot deactivate themselves");
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto report, deprovisioning_.deactivate(user.id));
  MCPGATE_ASSIGN_OR_RETURN(const auto after, user_in(org, user.id));
  Json out = {{"user", user_json(after)},
              {"grants_revoked", report.grant_ids.size()},
              {"tokens_revoked", report.revoked.size()},
              {"vault_connections_suspended", report.vault_suspended}};
  return out;
}

Result<Json> AdminService::reactivate_user(std::string_view org, std::string_view user_id) {
  MCPGATE_ASSIGN_OR_RETURN(const auto user, user_in(org, user_id));
  MCPGATE_ASSIGN_OR_RETURN(const auto report, deprovisioning_.reactivate(user.id));
  MCPGATE_ASSIGN_OR_RETURN(const auto after, user_in(org, user.id));
  Json out = {{"user", user_json(after)},
              {"was_disabled", report.was_disabled},
              {"vault_connections_resumed", report.vault_resumed}};
  return out;
}

Result<Json> AdminService::list_user_grants(std::string_view org, std::string_view user_id,
                                            const Page& page) {
  MCPGATE_ASSIGN_OR_RETURN(const auto user, user_in(org, user_id));
  MCPGATE_ASSIGN_OR_RETURN(auto grants, store_.list_user_grants(user.id));
  // A user's live grants are few (one per connected agent): page them in memory by id.
  std::sort(grants.begin(), grants.end(),
            [](const store::Grant& a, const store::Grant& b) { return a.id < b.id; });
  std::vector<store::Grant> rows;
  for (auto& g : grants) {
    if (g.id > page.after && rows.size() <= page.limit) {
      rows.push_back(std::move(g));
    }
  }
  return paged(std::move(rows), page.limit, grant_json,
               [](const store::Grant& g) -> const std::string& { return g.id; });
}

Result<Json> AdminService::revoke_user_grant(std::string_view org, std::string_view user_id,
                                             std::string_view grant_id) {
  MCPGATE_ASSIGN_OR_RETURN(const auto user, user_in(org, user_id));
  auto grant = store_.find_grant(grant_id);
  if (!grant) {
    if (grant.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "no such grant");
    }
    return grant.error();
  }
  if (grant->user_id != user.id) {
    return make_error(ErrorCode::kNotFound, "no such grant");
  }
  return revoke_grant_and_tell(store_, options_, *grant);
}

Result<Json> AdminService::list_clients(const Page& page) {
  MCPGATE_ASSIGN_OR_RETURN(auto rows, store_.list_clients(page.after, page.limit + 1));
  return paged(std::move(rows), page.limit, client_json,
               [](const store::Client& c) -> const std::string& { return c.client_id; });
}

Result<Json> revoke_grant_and_tell(store::Store& store, const AdminServiceOptions& options,
                                   const store::Grant& grant) {
  const bool already = grant.revoked_at.has_value();
  const auto now = options.clock ? options.clock() : oauth::system_now();
  MCPGATE_ASSIGN_OR_RETURN(const auto revoked, store.revoke_grant(grant.id, now));
  if (options.on_revoked && !revoked.empty()) {
    options.on_revoked(revoked);
  }
  Json out = {{"grant_id", grant.id},
              {"already_revoked", already},
              {"tokens_revoked", revoked.size()}};
  return out;
}

void bind_user_operations(OperationHandlers& handlers, std::shared_ptr<AdminService> service) {
  AdminService* s = service.get();
  // Each handler keeps the service alive.
  const auto bind = [&](std::string_view id, auto fn) {
    handlers.add(id, [service, s, fn](const AdminCall& call) { return fn(*s, call); });
  };
  bind("listUsers", [](AdminService& svc, const AdminCall& c) {
    return svc.list_users(c.org(), c.page);
  });
  bind("getUser", [](AdminService& svc, const AdminCall& c) {
    return svc.get_user(c.org(), c.arg("user_id"));
  });
  bind("deactivateUser", [](AdminService& svc, const AdminCall& c) {
    return svc.deactivate_user(c.org(), c.caller.subject, c.arg("user_id"));
  });
  bind("reactivateUser", [](AdminService& svc, const AdminCall& c) {
    return svc.reactivate_user(c.org(), c.arg("user_id"));
  });
  bind("listUserGrants", [](AdminService& svc, const AdminCall& c) {
    return svc.list_user_grants(c.org(), c.arg("user_id"), c.page);
  });
  bind("revokeUserGrant", [](AdminService& svc, const AdminCall& c) {
    return svc.revoke_user_grant(c.org(), c.arg("user_id"), c.arg("grant_id"));
  });
  bind("listClients", [](AdminService& svc, const AdminCall& c) {
    return svc.list_clients(c.page);
  });
}

}  // namespace mcpgate::admin
