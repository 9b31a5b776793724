#include "admin/policy_admin.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "authz/dsl.hpp"
#include "authz/engine.hpp"
#include "authz/model.hpp"
#include "core/log.hpp"
#include "policy/tuple_json.hpp"

namespace mcpgate::admin {
namespace {

constexpr std::size_t kPolicyContextBytes = 32 * 1024;  // as the OpenFGA-compatible API

Result<std::shared_ptr<policy::PolicyService>> policy_store_of(const policy::OrgStores& stores,
                                                               const AdminCall& call) {
  const policy::OrgStore* s = policy::find_org_store(stores, call.org());
  if (s == nullptr) {
    return make_error(ErrorCode::kNotFound, "the organization has no authorization store");
  }
  return s->service;
}

Json policy_model_summary(const policy::StoredModel& m, const std::string& current) {
  return Json{{"id", m.id},
              {"created_at", m.created_at},
              {"current", m.id == current},
              {"type_count", m.model.types.size()},
              {"condition_count", m.model.conditions.size()}};
}

// The sort and cursor key of a tuple (the condition is not part of a tuple's identity).
std::string policy_tuple_key(const authz::TupleRecord& t) {
  std::string k;
  k.append(t.object).append("#").append(t.relation).append("@").append(t.user);
  return k;
}

// Would the caller still hold can_manage_policy with `model` over `tuples`? Evaluated on a
// scratch engine without a decision cache; any error counts as "no" (fail closed).
Result<bool> policy_keeps_manager(const authz::AuthorizationModel& model,
                                  const std::vector<authz::TupleRecord>& tuples,
                                  const AdminCall& call) {
  authz::EngineOptions options;
  options.decision_cache_slots = 0;
  MCPGATE_ASSIGN_OR_RETURN(auto engine, authz::Engine::create(model, options));
  MCPGATE_TRY(engine->load(tuples, 1));
  authz::CheckRequest check;
  check.object = "organization:" + call.org();
  check.relation = std::string(kManagePolicy);
  check.user = "user:" + call.caller.subject;
  const authz::CheckResult r = engine->check(check);
  return r.allowed && r.error.ok();
}

Error policy_lockout_error() {
  return make_error(ErrorCode::kFailedPrecondition,
                    "the change would remove your own can_manage_policy on your organization; "
                    "grant it to you another way first (or let another administrator do it)");
}

// The current model of the store as the engine enforces it.
Result<policy::StoredModel> policy_current_model(const policy::PolicyService& svc) {
  const std::string id = svc.current_model_id();
  if (id.empty()) {
    return make_error(ErrorCode::kNotFound, "the organization's store has no authorization model");
  }
  return svc.find_model(id);
}

Result<std::vector<authz::TupleRecord>> policy_tuples_arg(const AdminCall& call, bool conditions) {
  std::vector<authz::TupleRecord> out;
  const Json& list = call.args.at("tuples");
  if (list.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "tuples must not be empty");
  }
  policy::TupleKeyRules rules;
  rules.allow_condition = conditions;
  for (std::size_t i = 0; i < list.size(); ++i) {
    authz::TupleRecord t;
    MCPGATE_TRY(policy::parse_tuple_key(list[i], t, rules, kPolicyContextBytes,
                                        "tuples[" + std::to_string(i) + "]"));
    out.push_back(std::move(t));
  }
  return out;
}

// The engine's verdict on a write as the Admin API's error: a tuple that exists (write) or
// does not (delete) contradicts the current state (409); the rest is the request's fault.
Error policy_write_error(const authz::FgaError& e) {
  if (e.code == authz::FgaErrorCode::kInvalidWriteInput) {
    return make_error(ErrorCode::kFailedPrecondition, e.message);
  }
  if (e.code == authz::FgaErrorCode::kInternal) {
    return make_error(ErrorCode::kInternal, e.message);
  }
  return make_error(ErrorCode::kInvalidArgument, e.message);
}

Result<Json> get_authorization_model(const policy::OrgStores& stores, const AdminCall& call) {
  MCPGATE_ASSIGN_OR_RETURN(const auto svc, policy_store_of(stores, call));
  const std::string wanted = call.arg("model_id");
  const std::string current = svc->current_model_id();
  Result<policy::StoredModel> m = wanted.empty() ? policy_current_model(*svc)
                                                 : svc->find_model(wanted);
  if (!m) {
    return make_error(ErrorCode::kNotFound, wanted.empty() ? m.error().message
                                                           : std::string("no such authorization model"));
  }
  Json out = policy_model_summary(*m, current);
  out["dsl"] = authz::model_to_dsl(m->model);
  out["json"] = authz::model_to_json(m->model);
  return out;
}

Result<Json> list_authorization_models(const policy::OrgStores& stores, const AdminCall& call) {
  MCPGATE_ASSIGN_OR_RETURN(const auto svc, policy_store_of(stores, call));
  const auto models = svc->models();  // newest first
  const std::string current = svc->current_model_id();
  std::size_t start = 0;
  if (!call.page.after.empty()) {
    const auto it = std::find_if(models.begin(), models.end(), [&](const policy::StoredModel& m) {
      return m.id == call.page.after;
    });
    if (it == models.end()) {
      return make_error(ErrorCode::kInvalidArgument, "cursor is not valid");
    }
    start = static_cast<std::size_t>(it - models.begin()) + 1;
  }
  Json items = Json::array();
  std::size_t i = start;
  for (; i < models.size() && items.size() < call.page.limit; ++i) {
    items.push_back(policy_model_summary(models[i], current));
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (i < models.size() && i > start) {
    out["next_cursor"] = cursor_after(models[i - 1].id);
  }
  return out;
}

Result<Json> write_authorization_model(const policy::OrgStores& stores, const AdminCall& call) {
  MCPGATE_ASSIGN_OR_RETURN(const auto svc, policy_store_of(stores, call));
  MCPGATE_ASSIGN_OR_RETURN(const auto model, authz::parse_dsl(call.arg("dsl")));
  MCPGATE_TRY(authz::validate_model(model));
  const std::string previous = svc->current_model_id();
  MCPGATE_ASSIGN_OR_RETURN(const bool keeps,
                           policy_keeps_manager(model, svc->engine().read({}, 0), call));
  if (!keeps) {
    return policy_lockout_error();
  }
  MCPGATE_ASSIGN_OR_RETURN(const std::string id, svc->write_model(model));
  log::info("admin_policy_model_written",
            {{"org_id", call.org()}, {"model_id", id}, {"user", call.caller.subject}});
  return Json{{"id", id}, {"previous_id", previous.empty() ? Json(nullptr) : Json(previous)}};
}

Result<Json> read_tuples(const policy::OrgStores& stores, const AdminCall& call) {
  MCPGATE_ASSIGN_OR_RETURN(const auto svc, policy_store_of(stores, call));
  authz::ReadFilter filter{call.arg("object"), call.arg("relation"), call.arg("user")};
  for (const auto* s : {&filter.object, &filter.relation, &filter.user}) {
    if (policy::tuple_text_has_space(*s)) {
      return make_error(ErrorCode::kInvalidArgument, "filters must not contain whitespace");
    }
  }
  if (!filter.object.empty() && filter.object.find(':') == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "object must be 'type:id' or 'type:'");
  }
  if (filter.object.empty() && !filter.user.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "user needs object (at least 'type:')");
  }
  if (!filter.relation.empty() && !policy::valid_tuple_relation(filter.relation)) {
    return make_error(ErrorCode::kInvalidArgument, "relation must not contain ':', '#' or '@'");
  }
  auto tuples = svc->engine().read(filter, 0);
  std::sort(tuples.begin(), tuples.end(), [](const authz::TupleRecord& a, const authz::TupleRecord& b) {
    return policy_tuple_key(a) < policy_tuple_key(b);
  });
  Json items = Json::array();
  std::string last;
  bool more = false;
  for (const auto& t : tuples) {
    std::string key = policy_tuple_key(t);
    if (!call.page.after.empty() && key <= call.page.after) {
      continue;
    }
    if (items.size() == call.page.limit) {
      more = true;
      break;
    }
    items.push_back(policy::tuple_key_to_json(t));
    last = std::move(key);
  }
  Json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (more) {
    out["next_cursor"] = cursor_after(last);
  }
  return out;
}

// writeTuples and deleteTuples: validated by the engine, checked for lock-out, then written.
Result<Json> change_tuples(const policy::OrgStores& stores, const AdminCall& call, bool remove) {
  MCPGATE_ASSIGN_OR_RETURN(const auto svc, policy_store_of(stores, call));
  MCPGATE_ASSIGN_OR_RETURN(auto tuples, policy_tuples_arg(call, !remove));
  authz::WriteRequest request;
  (remove ? request.deletes : request.writes) = std::move(tuples);
  if (const authz::FgaError e = svc->engine().validate_write(request); !e.ok()) {
    return policy_write_error(e);
  }
  // A tuple that exists (write) or does not (delete) contradicts the store: 409 now, so the
  // lock-out check below sees a well-formed change.
  for (const auto& t : remove ? request.deletes : request.writes) {
    const bool exists = !svc->engine().read({t.object, t.relation, t.user}, 1).empty();
    if (exists != remove) {
      return make_error(ErrorCode::kFailedPrecondition,
                        remove ? "cannot delete a tuple which does not exist: " + authz::to_string(t)
                               : "cannot write a tuple which already exists: " + authz::to_string(t));
    }
  }
  MCPGATE_ASSIGN_OR_RETURN(const auto model, policy_current_model(*svc));
  std::vector<authz::TupleRecord> after = svc->engine().read({}, 0);
  if (remove) {
    std::erase_if(after, [&](const authz::TupleRecord& t) {
      return std::any_of(request.deletes.begin(), request.deletes.end(),
                         [&](const authz::TupleRecord& d) {
                           return d.object == t.object && d.relation == t.relation && d.user == t.user;
                         });
    });
  } else {
    after.insert(after.end(), request.writes.begin(), request.writes.end());
  }
  MCPGATE_ASSIGN_OR_RETURN(const bool keeps, policy_keeps_manager(model.model, after, call));
  if (!keeps) {
    return policy_lockout_error();
  }
  MCPGATE_ASSIGN_OR_RETURN(const authz::WriteResult written, svc->write_tuples(request));
  if (!written.error.ok()) {
    return policy_write_error(written.error);
  }
  const std::size_t n = remove ? request.deletes.size() : request.writes.size();
  log::info("admin_policy_tuples_written", {{"org_id", call.org()},
                                            {"user", call.caller.subject},
                                            {remove ? "deletes" : "writes", n},
                                            {"revision", written.revision}});
  return Json{{remove ? "deleted" : "written", n}, {"revision", written.revision}};
}

}  // namespace

void bind_policy_operations(OperationHandlers& handlers, policy::OrgStores stores) {
  auto shared = std::make_shared<const policy::OrgStores>(std::move(stores));
  const auto bind = [&](std::string_view id, auto fn) {
    handlers.add(id, [shared, fn](const AdminCall& call) { return fn(*shared, call); });
  };
  bind("getAuthorizationModel", get_authorization_model);
  bind("listAuthorizationModels", list_authorization_models);
  bind("writeAuthorizationModel", write_authorization_model);
  bind("readTuples", read_tuples);
  bind("writeTuples", [](const policy::OrgStores& s, const AdminCall& c) {
    return change_tuples(s, c, false);
  });
  bind("deleteTuples", [](const policy::OrgStores& s, const AdminCall& c) {
    return change_tuples(s, c, true);
  });
}

}  // namespace mcpgate::admin
