#pragma once
// The Admin API's policy operations (issue 9): the caller's organization's authorization store
// (policy::OrgStores) — its models and tuples — read and changed through the same
// PolicyService as the OpenFGA-compatible API and the `mcpgate tuples` / `policy` CLI, so a
// change is validated, persisted and replicated the one way. Tuples are read and written in
// OpenFGA's TupleKey shape (policy/tuple_json.hpp).
//
// No silent lock-out: a model write or tuple change after which the caller would no longer hold
// `can_manage_policy` on their organization is refused (kFailedPrecondition, 409) before
// anything is written. The change is evaluated on a scratch engine (the new model or the
// changed tuples); a concurrent change by another administrator between that check and the
// write is not covered (each such change is checked against the state it saw).
//
// Blocking (the store persists): run on the store::Executor, as the runner does.

#include <memory>

#include "admin/handlers.hpp"
#include "policy/org_stores.hpp"

namespace mcpgate::admin {

// The permission a policy change must leave its caller with.
inline constexpr std::string_view kManagePolicy = "can_manage_policy";

// The handlers of getAuthorizationModel, listAuthorizationModels, writeAuthorizationModel,
// readTuples, writeTuples and deleteTuples.
void bind_policy_operations(OperationHandlers& handlers, policy::OrgStores stores);

}  // namespace mcpgate::admin
