#pragma once
// Deprovisioning: taking a user's access away, on every replica, at once (issue 8 item 4;
// ATTACKS rows 32 and 75). THE one way to deactivate, delete or reactivate a user: SCIM
// (`active: false`, DELETE, `active: true`), `mcpgate user disable|enable`, and anything later.
//
//   UserDeprovisioning& d = auth_server.deprovisioning();      // or one over a store (the CLI)
//   auto report = co_await executor.run([&] { return d.deactivate(user_id); });   // blocking
//
// deactivate() / remove() run Store::deprovision_user: ONE transaction that disables (or
// deletes) the user, revokes every grant with its refresh-token families and codes, puts the
// jti of every live access token on the revocation list, and suspends (or deletes) the user's
// vault connections. Then, in this process, the listeners run: the bearer guard learns the jtis
// (the next tool call is refused here at once), the browser sessions of the user are dropped,
// the vault forgets its cached copies. Other replicas need nothing from here — they learn it
// from the store within milliseconds:
//   * access tokens: the revocation list (PostgreSQL NOTIFY on `revocations` -> the guard's
//     poll runs at once; the periodic poll, store.poll_interval_ms, is the safety net);
//   * browser sessions: checked against the store at every use (session_survives below);
//   * refresh tokens, codes: refused by the store itself (grant revoked, user disabled);
//   * vault connections: refused by the store (suspended); the cached copies are dropped on the
//     `users` notification (PostgreSQL).
// reactivate() enables the user and lifts the vault suspension (connections usable at once,
// without a new consent). Revoked grants stay revoked, and browser sessions from before the
// deactivation stay dead (users.deprovisioned_at): the user signs in again.
//
// All three are idempotent (a repeated deactivation reports the same revocation entries, and the
// listeners run again, harmlessly); remove() of an unknown user is kNotFound.
//
// Why here (src/oauth): deprovisioning undoes what the authorization server granted — grants,
// tokens, sign-in sessions — and its in-process effects are the AS's and the guard's. The vault
// is reached only through the store and a listener (src/app wires vault::Vault::forget_user), so
// src/oauth keeps not depending on src/vault.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oauth/options.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

class UserDeprovisioning {
 public:
  using RevokedListener = std::function<void(const std::vector<store::RevokedToken>&)>;
  using UserListener = std::function<void(const std::string& user_id)>;

  // `clock` (unix seconds) defaults to system_now.
  explicit UserDeprovisioning(store::Store& store, Clock clock = {});

  // Listeners run after each successful call, on the calling thread; they must be quick and
  // thread-safe. Register them while wiring, before the first call.
  void on_revoked(RevokedListener fn);       // access tokens now on the revocation list
  void on_user_changed(UserListener fn);     // the user was deactivated, deleted or reactivated

  // Blocking (the store): on a server call them through store::Executor. kNotFound for an
  // unknown user; store errors (kUnavailable: retry) otherwise, in which case nothing changed.
  Result<store::DeprovisionReport> deactivate(std::string_view user_id);
  Result<store::DeprovisionReport> remove(std::string_view user_id);
  Result<store::ReactivationReport> reactivate(std::string_view user_id);

 private:
  Result<store::DeprovisionReport> run(std::string_view user_id, store::DeprovisionMode mode);
  void tell(const std::string& user_id, const std::vector<store::RevokedToken>* revoked);

  store::Store& store_;
  Clock clock_;
  std::mutex mu_;
  std::vector<RevokedListener> revoked_listeners_;
  std::vector<UserListener> user_listeners_;
};

// Whether a browser session that signed in under `session_epoch` (the user's
// store::User::session_epoch then) may still act for `user`: the user is enabled and was not
// deprovisioned since (a session from before a deactivation does not come back with a
// reactivation). A counter, not a time: a sign-in right after a reactivation works at once, and
// replicas whose clocks disagree cannot let an older session through.
bool session_survives(const store::User& user, std::int64_t session_epoch);

}  // namespace mcpgate::oauth
