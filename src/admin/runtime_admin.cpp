#include "admin/runtime_admin.hpp"

#include <chrono>
#include <memory>
#include <utility>

#include "audit/cli.hpp"
#include "core/log.hpp"

namespace mcpgate::admin {
namespace {

Json runtime_definition(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

std::string runtime_pin_key(const store::ToolPin& p) { return p.upstream + "/" + p.tool; }

Result<Json> list_upstreams(const RuntimeSources& src) {
  Json items = src.upstreams ? src.upstreams() : Json::array();
  return Json{{"items", std::move(items)}, {"next_cursor", nullptr}};
}

Result<Json> list_tool_pins(const RuntimeSources& src, const AdminCall& call) {
  MCPGATE_ASSIGN_OR_RETURN(const auto pins, src.store->list_tool_pins(call.arg("upstream")));
  const auto pending = call.args.find("pending_only");
  const bool pending_only = pending != call.args.end() && pending->is_boolean() && pending->get<bool>();
  Json items = Json::array();
  std::string last;
  bool more = false;
  for (const auto& p : pins) {  // ordered by (upstream, tool)
    std::string key = runtime_pin_key(p);
    if ((!call.page.after.empty() && key <= call.page.after) ||
        (pending_only && p.pending_hash.empty())) {
      continue;
    }
    if (items.size() == call.page.limit) {
      more = true;
      break;
    }
    items.push_back(tool_pin_json(p));
    last = std::move(key);
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more) {
    out["next_cursor"] = cursor_after(last);
  }
  return out;
}

Result<Json> approve_tool_pin(const RuntimeSources& src, const AdminCall& call) {
  const std::string upstream = call.arg("upstream");
  const std::string tool = call.arg("tool");
  const std::int64_t now = src.clock ? src.clock()
                                     : std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
  const std::string hash = call.arg("hash");
  if (hash.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "hash must name the pending definition");
  }
  // Only the definition the operator was shown: the store compares the pending hash inside its
  // UPDATE, so a definition that changed again meanwhile is never approved (409 naming it).
  MCPGATE_TRY(src.store->approve_tool_pin(upstream, tool, hash, now));
  log::info("tool_pin_approved", {{"upstream", upstream},
                                  {"tool", tool},
                                  {"hash", hash},
                                  {"user", call.caller.subject},
                                  {"channel", call.channel}});
  if (src.pin_approved) {
    src.pin_approved(upstream);
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto pins, src.store->list_tool_pins(upstream));
  for (const auto& p : pins) {
    if (p.tool == tool) {
      return tool_pin_json(p);
    }
  }
  return make_error(ErrorCode::kNotFound, "no such tool pin");
}

Json runtime_list(Json items) { return Json{{"items", std::move(items)}, {"next_cursor", nullptr}}; }

// kNotFound unless `user_id` is a user of the caller's organization.
Status runtime_user_in_org(const RuntimeSources& src, const AdminCall& call,
                           const std::string& user_id) {
  auto user = src.store->find_user(user_id);
  if (!user) {
    return user.error().code == ErrorCode::kNotFound
               ? make_error(ErrorCode::kNotFound, "no such user")
               : user.error();
  }
  if (user->org_id != call.org()) {
    return make_error(ErrorCode::kNotFound, "no such user");
  }
  return Status();
}

// Pages through the organization's users (keyset, in the store's order) and their connections:
// the cursor is "<user id>\n<connector>" of the last item shown.
Result<Json> list_connections(const RuntimeSources& src, const AdminCall& call) {
  Json items = Json::array();
  bool more = false;
  std::string last;
  const auto add_user = [&](const std::string& user_id, const std::string& after_connector) -> Status {
    MCPGATE_ASSIGN_OR_RETURN(const Json conns, src.user_connections(user_id));
    for (const auto& c : conns) {
      const std::string connector = c.value("connector", "");
      if (!after_connector.empty() && connector <= after_connector) {
        continue;
      }
      if (items.size() == call.page.limit) {
        more = true;
        return Status();
      }
      Json item = c;
      item["user_id"] = user_id;
      items.push_back(std::move(item));
      last = user_id + "\n" + connector;
    }
    return Status();
  };
  std::string after_user = call.page.after;
  std::string after_connector;
  if (const auto nl = after_user.find('\n'); nl != std::string::npos) {
    after_connector = after_user.substr(nl + 1);
    after_user.resize(nl);
  } else if (!after_user.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "cursor is not valid");
  }
  const std::string only = call.arg("user_id");
  if (!only.empty()) {
    MCPGATE_TRY(runtime_user_in_org(src, call, only));  // 404 for a stranger, vault or not
  }
  if (!src.user_connections) {
    return runtime_list(Json::array());
  }
  if (!only.empty()) {
    if (!after_user.empty() && after_user != only) {
      return make_error(ErrorCode::kInvalidArgument, "cursor is not valid");
    }
    MCPGATE_TRY(add_user(only, after_connector));
  } else {
    if (!after_user.empty()) {
      MCPGATE_TRY(runtime_user_in_org(src, call, after_user));
      MCPGATE_TRY(add_user(after_user, after_connector));
    }
    constexpr std::size_t kBatch = 100;
    std::string from = after_user;
    while (!more) {
      MCPGATE_ASSIGN_OR_RETURN(const auto users, src.store->list_org_users(call.org(), from, kBatch));
      for (const auto& u : users) {
        MCPGATE_TRY(add_user(u.id, ""));
        if (more) {
          break;
        }
      }
      if (users.size() < kBatch) {
        break;
      }
      from = users.back().id;
    }
  }
  Json out = runtime_list(std::move(items));
  if (more) {
    out["next_cursor"] = cursor_after(last);
  }
  return out;
}

Result<Json> revoke_connection(const RuntimeSources& src, const AdminCall& call) {
  const std::string user_id = call.arg("user_id");
  const std::string connector = call.arg("connector");
  MCPGATE_TRY(runtime_user_in_org(src, call, user_id));
  if (!src.revoke_connection) {
    return make_error(ErrorCode::kNotFound, "no such connection");
  }
  const Status st = src.revoke_connection(user_id, connector);
  if (!st) {
    return st.error().code == ErrorCode::kNotFound
               ? make_error(ErrorCode::kNotFound, "no such connection")
               : st.error();
  }
  log::info("vault_connection_revoked", {{"org_id", call.org()},
                                         {"user_id", user_id},
                                         {"connector", connector},
                                         {"by", call.caller.subject},
                                         {"channel", call.channel}});
  return Json{{"user_id", user_id}, {"connector", connector}, {"revoked", true}};
}

}  // namespace

Json tool_pin_json(const store::ToolPin& p) {
  Json out = {{"upstream", p.upstream},
              {"tool", p.tool},
              {"hash", p.hash},
              {"definition", runtime_definition(p.definition)},
              {"approved_at", p.approved_at},
              {"approved_by", p.approved_by},
              {"pending", nullptr}};
  if (!p.pending_hash.empty()) {
    out["pending"] = Json{{"hash", p.pending_hash},
                          {"since", p.pending_since},
                          {"definition", runtime_definition(p.pending_definition)},
                          {"changed_fields", audit::changed_fields(p.definition, p.pending_definition)}};
  }
  return out;
}

void bind_runtime_operations(OperationHandlers& handlers, RuntimeSources sources) {
  auto src = std::make_shared<const RuntimeSources>(std::move(sources));
  handlers.add("listUpstreams", [src](const AdminCall&) { return list_upstreams(*src); });
  handlers.add("listToolPins", [src](const AdminCall& c) { return list_tool_pins(*src, c); });
  handlers.add("approveToolPin", [src](const AdminCall& c) { return approve_tool_pin(*src, c); });
  handlers.add("getStatus", [src](const AdminCall&) -> Result<Json> {
    if (!src->status) {
      return make_error(ErrorCode::kUnavailable, "status is not available");
    }
    return src->status();
  });
  handlers.add("listConnectors", [src](const AdminCall&) -> Result<Json> {
    return runtime_list(src->connectors ? src->connectors() : Json::array());
  });
  handlers.add("listConnections", [src](const AdminCall& c) { return list_connections(*src, c); });
  handlers.add("revokeConnection", [src](const AdminCall& c) { return revoke_connection(*src, c); });
  handlers.add("rotateVaultKey", [src](const AdminCall& c) -> Result<Json> {
    if (!src->rotate_vault_key) {
      return make_error(ErrorCode::kFailedPrecondition, "this gate runs no token vault");
    }
    MCPGATE_ASSIGN_OR_RETURN(Json report, src->rotate_vault_key());
    log::info("vault_master_key_rotated", {{"by", c.caller.subject},
                                           {"channel", c.channel},
                                           {"rewrapped", report.value("rewrapped", 0)}});
    return report;
  });
  handlers.add("getQuotas", [src](const AdminCall&) -> Result<Json> {
    return runtime_list(src->quotas ? src->quotas() : Json::array());
  });
}

}  // namespace mcpgate::admin
