#include "policy/store_persistence.hpp"

#include <chrono>

namespace mcpgate::policy {
namespace {

store::AuthzTuple to_store(const authz::TupleRecord& t) {
  store::AuthzTuple out;
  out.object = t.object;
  out.relation = t.relation;
  out.user = t.user;
  out.condition_name = t.condition_name;
  if (t.condition_context.is_object() && !t.condition_context.empty()) {
    out.condition_context = t.condition_context.dump();
  }
  return out;
}

Result<authz::TupleRecord> from_store(const store::AuthzTuple& t) {
  authz::TupleRecord out;
  out.object = t.object;
  out.relation = t.relation;
  out.user = t.user;
  out.condition_name = t.condition_name;
  if (!t.condition_context.empty()) {
    out.condition_context = nlohmann::json::parse(t.condition_context, nullptr, false);
    if (!out.condition_context.is_object()) {
      return make_error(ErrorCode::kInternal, "stored tuple context is not a JSON object");
    }
  }
  return out;
}

store::Timestamp now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status StorePolicyPersistence::save_model(std::string_view store_id, const StoredModel& model) {
  store::AuthzModel m;
  m.id = model.id;
  m.store_id = std::string(store_id);
  m.created_at = model.created_at;
  m.model = authz::model_to_json(model.model).dump();
  return store_.write_authz_model(m);
}

Result<std::vector<StoredModel>> StorePolicyPersistence::load_models(std::string_view store_id) {
  std::vector<StoredModel> out;
  store::PageRequest page;
  page.limit = 1000;
  for (int guard = 0; guard < 1000; ++guard) {
    MCPGATE_ASSIGN_OR_RETURN(auto got, store_.list_authz_models(store_id, page));
    for (const auto& m : got.models) {
      auto json = nlohmann::json::parse(m.model, nullptr, false);
      if (json.is_discarded()) {
        return make_error(ErrorCode::kInternal, "stored model " + m.id + " is not JSON");
      }
      MCPGATE_ASSIGN_OR_RETURN(authz::AuthorizationModel model, authz::model_from_json(json));
      model.id = m.id;
      out.push_back(StoredModel{m.id, m.created_at, std::move(model)});
    }
    if (got.next_token.empty()) {
      break;
    }
    page.token = got.next_token;
  }
  std::reverse(out.begin(), out.end());  // oldest first, as PolicyService keeps them
  return out;
}

Result<std::uint64_t> StorePolicyPersistence::write_tuples(std::string_view store_id,
                                                           const authz::WriteRequest& request) {
  std::vector<store::AuthzTuple> writes;
  std::vector<store::AuthzTuple> deletes;
  writes.reserve(request.writes.size());
  deletes.reserve(request.deletes.size());
  for (const auto& t : request.writes) {
    writes.push_back(to_store(t));
  }
  for (const auto& t : request.deletes) {
    deletes.push_back(to_store(t));
  }
  MCPGATE_ASSIGN_OR_RETURN(const std::int64_t rev, store_.write_tuples(store_id, writes, deletes, now_seconds()));
  return static_cast<std::uint64_t>(rev);
}

Result<std::vector<authz::TupleRecord>> StorePolicyPersistence::load_tuples(std::string_view store_id,
                                                                            std::uint64_t& revision) {
  MCPGATE_ASSIGN_OR_RETURN(auto snapshot, store_.load_all_tuples(store_id));
  std::vector<authz::TupleRecord> out;
  out.reserve(snapshot.tuples.size());
  for (const auto& t : snapshot.tuples) {
    MCPGATE_ASSIGN_OR_RETURN(auto record, from_store(t.tuple));
    out.push_back(std::move(record));
  }
  revision = static_cast<std::uint64_t>(snapshot.revision);
  return out;
}

Result<std::vector<authz::TupleChange>> StorePolicyPersistence::changes_since(std::string_view store_id,
                                                                              std::uint64_t revision) {
  MCPGATE_ASSIGN_OR_RETURN(auto changes,
                           store_.tuple_changes_since(store_id, static_cast<std::int64_t>(revision), 1000));
  std::vector<authz::TupleChange> out;
  out.reserve(changes.size());
  for (const auto& c : changes) {
    authz::TupleChange tc;
    tc.op = c.op == store::TupleOp::kWrite ? authz::TupleChange::Op::kWrite : authz::TupleChange::Op::kDelete;
    MCPGATE_ASSIGN_OR_RETURN(tc.tuple, from_store(c.tuple));
    tc.revision = static_cast<std::uint64_t>(c.revision);
    tc.time = std::chrono::system_clock::time_point(std::chrono::seconds(c.changed_at));
    out.push_back(std::move(tc));
  }
  return out;
}

}  // namespace mcpgate::policy
