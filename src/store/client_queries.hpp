#pragma once
// The checks of a presented client credential against the clients table, written once for both
// backends like admin_approval_queries.hpp: templates over the connection, run inside the
// backend's read transaction.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/hash.hpp"
#include "store/store.hpp"

namespace mcpgate::store::queries {

template <class Connection>
Status verify_client_secret(Connection& c,
                            std::string_view client_id,
                            std::string_view secret_hash,
                            Timestamp now) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare(
          "SELECT secret_hash, secret_expires_at, disabled FROM clients WHERE client_id = ?"));
  s.bind(client_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  const bool stored = row && !s.is_null(0);
  const std::string stored_hash = stored ? s.blob(0) : std::string();
  if (!client_secret_accepted(stored ? std::optional<std::string_view>(stored_hash) : std::nullopt,
                              row && s.integer(2) != 0,
                              row ? s.integer(1) : 0,
                              secret_hash,
                              now)) {
    return make_error(ErrorCode::kUnauthenticated, "store: client authentication failed");
  }
  return {};
}

template <class Connection>
Status verify_registration_token(Connection& c,
                                 std::string_view client_id,
                                 std::string_view token_hash) {
  MCPGATE_ASSIGN_OR_RETURN(
      auto s,
      c.prepare("SELECT registration_token_hash, disabled FROM clients WHERE client_id = ?"));
  s.bind(client_id);
  MCPGATE_ASSIGN_OR_RETURN(const bool row, s.step());
  // Compared even when there is nothing to compare with, so every path does the same work.
  const std::string stored = row ? s.blob(0) : std::string(32, '\0');
  const bool match = crypto::constant_time_equal(stored, token_hash);
  if (!row || s.is_null(0) || !match || s.integer(1) != 0) {
    return make_error(ErrorCode::kUnauthenticated,
                      "store: registration access token does not match");
  }
  return {};
}

}  // namespace mcpgate::store::queries
