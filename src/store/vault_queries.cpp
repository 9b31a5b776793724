#include "store/vault_queries.hpp"

namespace mcpgate::store {

const char* vault_connection_status_name(VaultConnectionStatus status) {
  switch (status) {
    case VaultConnectionStatus::kActive:
      return "active";
    case VaultConnectionStatus::kNeedsReconsent:
      return "needs_reconsent";
  }
  return "active";
}

namespace queries {

Status check_vault_data_key(const VaultDataKey& key) {
  if (key.tenant.empty() || key.wrapped.empty() || key.version < 1 || key.master_key_version < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a vault data key needs a tenant, a version >= 1, a wrapped key and"
                      " a master key version >= 1");
  }
  return {};
}

Status check_vault_connection(const VaultConnection& c) {
  if (c.id.empty() || c.tenant.empty() || c.user_id.empty() || c.connector.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a vault connection needs an id, a tenant, a user and a connector");
  }
  // Even an absent token is sealed (the empty string), so an empty blob is never valid.
  if (c.access_token_sealed.empty() || c.refresh_token_sealed.empty() || c.data_key_version < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "store: a vault connection needs its sealed fields and data key version");
  }
  return {};
}

Result<VaultConnectionStatus> parse_vault_connection_status(const std::string& text) {
  if (text == "active") {
    return VaultConnectionStatus::kActive;
  }
  if (text == "needs_reconsent") {
    return VaultConnectionStatus::kNeedsReconsent;
  }
  return make_error(ErrorCode::kInternal, "store: unreadable vault connection row");
}

}  // namespace queries
}  // namespace mcpgate::store
