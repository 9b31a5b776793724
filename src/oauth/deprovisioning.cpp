#include "oauth/deprovisioning.hpp"

#include <utility>

#include "core/log.hpp"

namespace mcpgate::oauth {

UserDeprovisioning::UserDeprovisioning(store::Store& store, Clock clock)
    : store_(store), clock_(clock ? std::move(clock) : Clock(system_now)) {}

void UserDeprovisioning::on_revoked(RevokedListener fn) {
  std::lock_guard lock(mu_);
  revoked_listeners_.push_back(std::move(fn));
}

void UserDeprovisioning::on_user_changed(UserListener fn) {
  std::lock_guard lock(mu_);
  user_listeners_.push_back(std::move(fn));
}

void UserDeprovisioning::tell(const std::string& user_id,
                              const std::vector<store::RevokedToken>* revoked) {
  std::vector<RevokedListener> on_revoked;
  std::vector<UserListener> on_user;
  {
    std::lock_guard lock(mu_);
    on_revoked = revoked_listeners_;
    on_user = user_listeners_;
  }
  if (revoked != nullptr && !revoked->empty()) {
    for (const auto& fn : on_revoked) {
      fn(*revoked);
    }
  }
  for (const auto& fn : on_user) {
    fn(user_id);
  }
}

Result<store::DeprovisionReport> UserDeprovisioning::run(std::string_view user_id,
                                                         store::DeprovisionMode mode) {
  const bool deleting = mode == store::DeprovisionMode::kDelete;
  auto report = store_.deprovision_user(user_id, mode, clock_());
  if (!report) {
    log::warn("user_deprovision_failed", {{"user_id", std::string(user_id)},
                                          {"mode", deleting ? "delete" : "disable"},
                                          {"error", report.error().message}});
    return report.error();
  }
  tell(report->user_id, &report->revoked);
  log::info("user_deprovisioned", {{"user_id", report->user_id},
                                   {"mode", deleting ? "delete" : "disable"},
                                   {"was_disabled", report->was_disabled},
                                   {"grants_revoked", report->grant_ids.size()},
                                   {"access_tokens_revoked", report->revoked.size()},
                                   {"vault_suspended", report->vault_suspended},
                                   {"vault_deleted", report->vault_deleted}});
  return report;
}

Result<store::DeprovisionReport> UserDeprovisioning::deactivate(std::string_view user_id) {
  return run(user_id, store::DeprovisionMode::kDisable);
}

Result<store::DeprovisionReport> UserDeprovisioning::remove(std::string_view user_id) {
  return run(user_id, store::DeprovisionMode::kDelete);
}

Result<store::ReactivationReport> UserDeprovisioning::reactivate(std::string_view user_id) {
  auto report = store_.reactivate_user(user_id);
  if (!report) {
    log::warn("user_reactivate_failed",
              {{"user_id", std::string(user_id)}, {"error", report.error().message}});
    return report.error();
  }
  tell(report->user_id, nullptr);
  log::info("user_reactivated", {{"user_id", report->user_id},
                                 {"was_disabled", report->was_disabled},
                                 {"vault_resumed", report->vault_resumed}});
  return report;
}

bool session_survives(const store::User& user, std::int64_t session_epoch) {
  return !user.disabled && session_epoch == user.session_epoch;
}

}  // namespace mcpgate::oauth
