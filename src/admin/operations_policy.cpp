// The policy rows of the operation table (issue 9): the caller's organization's authorization
// store — its models and its tuples — the same store the OpenFGA-compatible API manages.
#include "admin/operations.hpp"

namespace mcpgate::admin {
namespace {

using http::bhttp::verb;

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
  const Param model_id = query_param("model_id", ParamType::kId, 0,
                                     "An authorization model id (default: the current model)");
  const Param dsl = body_param(
      "dsl", ParamType::kText, 60 * 1024, true,
      "The model in OpenFGA's DSL (schema 1.1), as `mcpgate policy` and `fga` read it");
  const Param object = query_param("object", ParamType::kString, 256,
                                   "Only tuples of this object (type:id) or type (type:)");
  const Param relation =
      query_param("relation", ParamType::kString, 50, "Only tuples of this relation");
  const Param user = query_param(
      "user", ParamType::kString, 512,
      "Only tuples of this user (type:id, type:* or type:id#relation); needs object");
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
