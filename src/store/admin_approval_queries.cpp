#include "store/admin_approval_queries.hpp"

namespace mcpgate::store::queries {

Status check_new_admin_approval(const AdminApproval& a) {
  if (a.id.empty() || a.binding.empty() || a.user_id.empty() || a.operation.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: an approval needs its id, binding, user and operation");
  }
  if (a.state != "pending") {
    return make_error(ErrorCode::kInvalidArgument, "store: a new approval must be pending");
  }
  if (a.expires_at <= a.created_at) {
    return make_error(ErrorCode::kInvalidArgument, "store: an approval must expire after it starts");
  }
  return {};
}

}  // namespace mcpgate::store::queries
