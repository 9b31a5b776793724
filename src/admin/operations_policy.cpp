// The policy rows of the operation table (issue 9): the caller's organization's authorization
// store — its models and its tuples — the same store the OpenFGA-compatible API manages.
#include "admin/operations.hpp"

namespace mcpgate::admin {
namespace {

using http::bhttp::verb;

Param policy_filter(std::string_view name, std::size_t max_length, std::string_view description) {
  Param p;
  p.name = name;
  p.in = ParamIn::kQuery;
  p.type = ParamType::kString;
  p.max_length = max_length;
  p.description = description;
  return p;
}

Param policy_tuples_param(std::string_view description) {
  Param p;
  p.name = "tuples";
  p.in = ParamIn::kBody;
  p.type = ParamType::kObjectArray;
  p.required = true;
  p.max_items = 100;  // OpenFGA's maxTuplesPerWrite
  p.max_length = 60 * 1024;
  p.description = description;
  return p;
}

}  // namespace

std::vector<Operation> policy_operations() {
  Param model_id;
  model_id.name = "model_id";
  model_id.in = ParamIn::kQuery;
  model_id.type = ParamType::kId;
  model_id.description = "An authorization model id (default: the current model)";
  Param dsl;
  dsl.name = "dsl";
  dsl.in = ParamIn::kBody;
  dsl.type = ParamType::kText;
  dsl.required = true;
  dsl.max_length = 60 * 1024;
  dsl.description = "The model in OpenFGA's DSL (schema 1.1), as `mcpgate policy` and `fga` read it";
  const Param object = policy_filter("object", 256, "Only tuples of this object (type:id) or type (type:)");
  const Param relation = policy_filter("relation", 50, "Only tuples of this relation");
  const Param user = policy_filter("user", 512, "Only tuples of this user (type:id, type:* or type:id#relation); needs object");
  return {
      {"getAuthorizationModel", verb::get, "/policy/model", kReadScope, "can_read_policy",
       "The organization's current authorization model (or the one named), as DSL and JSON",
       "AuthorizationModel", {model_id}, false, false},
      {"listAuthorizationModels", verb::get, "/policy/models", kReadScope, "can_read_policy",
       "The organization's authorization models, newest first", "AuthorizationModelList", {},
       true, false},
      {"writeAuthorizationModel", verb::post, "/policy/models", kWriteScope, "can_manage_policy",
       "Validate and activate a new authorization model (earlier models stay listed)",
       "ModelWriteResult", {dsl, reason_param()}, false, false},
      {"readTuples", verb::get, "/policy/tuples", kReadScope, "can_read_policy",
       "The organization's relationship tuples, filtered by object, relation and user",
       "TupleList", {object, relation, user}, true, false},
      {"writeTuples", verb::post, "/policy/tuples", kWriteScope, "can_manage_policy",
       "Write relationship tuples (all or none; a tuple that exists fails the call)",
       "TupleWriteResult",
       {policy_tuples_param("Tuples to write: {user, relation, object, condition?: {name, context?}}"),
        reason_param()},
       false, true},
      {"deleteTuples", verb::post, "/policy/tuples/delete", kWriteScope, "can_manage_policy",
       "Delete relationship tuples (all or none; a missing tuple fails the call)",
       "TupleWriteResult",
       {policy_tuples_param("Tuples to delete: {user, relation, object}"), reason_param()}, false,
       true},
  };
}

}  // namespace mcpgate::admin
