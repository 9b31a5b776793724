#include "admin/session_service.hpp"

#include <map>
#include <utility>

#include "oauth/scopes.hpp"

namespace mcpgate::admin {
namespace {

Json session_time(store::Timestamp t) { return t == 0 ? Json(nullptr) : Json(t); }

Result<Json> session_not_found(const Error& e) {
  if (e.code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, "no such session");
  }
  return e;
}

}  // namespace

struct SessionService::Names {
  std::map<std::string, std::string, std::less<>> clients;
  std::map<std::string, std::string, std::less<>> users;
};

SessionService::SessionService(store::Store& store, AdminServiceOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = oauth::system_now;
  }
}

Json SessionService::session_json(const store::Session& s, Names& names) {
  const store::Grant& g = s.grant;
  auto client = names.clients.find(g.client_id);
  if (client == names.clients.end()) {
    // The display name from the registration's metadata (the client_id when it has none, or
    // when the lookup fails: a name is a convenience, never a reason to fail the listing).
    std::string name = g.client_id;
    if (auto c = store_.find_client(g.client_id); c && c->metadata.is_object()) {
      const auto it = c->metadata.find("client_name");
      if (it != c->metadata.end() && it->is_string()) {
        name = it->get<std::string>();
      }
    }
    client = names.clients.emplace(g.client_id, std::move(name)).first;
  }
  auto user = names.users.find(g.user_id);
  if (user == names.users.end()) {
    auto u = store_.find_user(g.user_id);
    user = names.users.emplace(g.user_id, u ? u->username : std::string()).first;
  }
  Json out = {{"id", g.id},
              {"user_id", g.user_id},
              {"username", user->second},
              {"client_id", g.client_id},
              {"client_name", client->second},
              {"scopes", oauth::split_scope(g.scope)},
              {"resources", oauth::split_scope(g.resource)},
              {"created_at", g.created_at},
              {"revoked_at", g.revoked_at ? Json(*g.revoked_at) : Json(nullptr)},
              {"last_refresh_at", session_time(s.last_refresh_at)},
              {"refresh_expires_at", session_time(s.refresh_expires_at)},
              {"last_token_at", session_time(s.last_token_at)},
              {"access_expires_at", session_time(s.access_expires_at)}};
  return out;
}

Result<Json> SessionService::list(std::string_view org, std::string_view user_id,
                                  std::string_view client_id, const Page& page) {
  store::SessionQuery q;
  q.org_id = std::string(org);
  q.user_id = std::string(user_id);
  q.client_id = std::string(client_id);
  q.after_id = page.after;
  q.limit = page.limit + 1;  // one more tells whether a next page exists
  MCPGATE_ASSIGN_OR_RETURN(auto rows, store_.list_sessions(q));
  const bool more = rows.size() > page.limit;
  if (more) {
    rows.resize(page.limit);
  }
  Names names;
  Json items = Json::array();
  for (const auto& row : rows) {
    items.push_back(session_json(row, names));
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more && !rows.empty()) {
    out["next_cursor"] = cursor_after(rows.back().grant.id);
  }
  return out;
}

Result<Json> SessionService::get(std::string_view org, std::string_view session_id) {
  auto s = store_.find_session(org, session_id);
  if (!s) {
    return session_not_found(s.error());
  }
  Names names;
  return session_json(*s, names);
}

Result<Json> SessionService::revoke(std::string_view org, std::string_view session_id) {
  // The organization check and the revocation are two steps; a grant never changes its user,
  // so the session found here is the one revoked.
  auto s = store_.find_session(org, session_id);
  if (!s) {
    return session_not_found(s.error());
  }
  return revoke_grant_and_tell(store_, options_, s->grant);
}

void bind_session_operations(OperationHandlers& handlers, std::shared_ptr<SessionService> service) {
  SessionService* s = service.get();
  handlers.add("listSessions", [service, s](const AdminCall& c) {
    return s->list(c.org(), c.arg("user_id"), c.arg("client_id"), c.page);
  });
  handlers.add("getSession", [service, s](const AdminCall& c) {
    return s->get(c.org(), c.arg("session_id"));
  });
  handlers.add("revokeSession", [service, s](const AdminCall& c) {
    return s->revoke(c.org(), c.arg("session_id"));
  });
}

}  // namespace mcpgate::admin
