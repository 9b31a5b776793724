#pragma once
// Browser state of the authorization server: the sign-in cookie, the signed-in sessions, and
// the authorization requests waiting for the user (login, consent).
//
// Cookie (contract "Pages"): `__Host-mcpgate_session` with Secure, HttpOnly, SameSite=Lax and
// Path=/. When the issuer is plain http (loopback development) Secure cannot be used, and the
// `__Host-` prefix requires it, so the name is `mcpgate_session` then.
//
// The cookie value is a 256-bit random token. Every browser that reaches /authorize gets one;
// the server keeps state only for signed-in browsers (keyed by SHA-256 of the value, so the
// table never holds a usable cookie). A pending authorization request is bound to the browser
// that started it (the hash of its cookie): the login and consent POSTs must come with the same
// cookie, plus the request's CSRF token, which is single use (replaced after every POST; the
// consent decision consumes the whole request). Signing in replaces the cookie value (no
// session fixation) and moves the pending request along.
//
// Sessions and pending requests live in memory (bounded; see ExpiringMap): a restart signs
// everybody out, and several gateway processes do not share them. Because a replica cannot see
// another replica's sessions, a deprovisioned user's sessions are refused where they are used:
// every use of a session reads the user from the store (session_survives in
// oauth/deprovisioning.hpp): gone, disabled, or deprovisioned after the session signed in ->
// the session is dropped and the browser treated as signed out. drop_user() frees them at once
// in the process that deprovisioned the user.
//
// Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "oauth/expiring_map.hpp"
#include "store/types.hpp"

namespace mcpgate::oauth {

struct BrowserSession {
  std::string user_id;
  std::string username;
  std::string org_id;  // the organization the user signed in to
  std::int64_t authenticated_at = 0;
  std::int64_t expires_at = 0;
  // The user's store::User::session_epoch at sign-in: a deprovisioning since moves it on and
  // the session is refused (session_survives).
  std::int64_t session_epoch = 0;
  // Grants issued through this sign-in: signing out revokes them (ATTACKS row 32). Held in
  // memory like the session itself; bounded so one session cannot grow without limit.
  std::vector<std::string> grant_ids;
};

inline constexpr std::size_t kMaxGrantsPerSession = 1000;

// A validated authorization request waiting for the user.
struct PendingAuthorization {
  std::string id;           // random; the `flow` form field
  std::string browser_key;  // hash of the cookie of the browser it belongs to
  std::string csrf;         // single-use form token
  std::string client_id;
  std::string client_name;
  store::ClientKind client_kind = store::ClientKind::kStatic;
  std::string client_id_host;  // CIMD: host of the client_id URL
  std::string redirect_uri;
  std::string state;
  std::string code_challenge;
  std::vector<std::string> scopes;
  std::string resource;
  bool force_login = false;    // prompt=login: sign in again even with a session
  bool force_consent = false;  // prompt=consent: ask even when a stored consent covers it
  std::string login_error;     // shown on the next login page render
  std::string last_username;
  // A sign-in for a gate page rather than for a client (the connect pages): a local path to go
  // back to once signed in. Such a flow has no client, and no consent follows.
  std::string return_to;
  std::int64_t expires_at = 0;
};

class BrowserSessions {
 public:
  struct Options {
    bool secure_cookie = true;  // issuer is https
    std::int64_t session_ttl_s = 3600;
    std::int64_t flow_ttl_s = 600;
    std::size_t max_sessions = 100000;
    std::size_t max_flows = 100000;
  };
  explicit BrowserSessions(Options options);

  // "__Host-mcpgate_session" or "mcpgate_session".
  const std::string& cookie_name() const { return cookie_name_; }

  // The cookie value a request carries ("" when none). A request with several values for our
  // cookie gets "" (ambiguous: treated as no cookie).
  std::string cookie_value(const http::Request& req) const;
  // The binding key of a cookie value (hex SHA-256); "" for "".
  static std::string browser_key(std::string_view cookie_value);
  // A fresh cookie value.
  static std::string new_cookie_value();
  // The Set-Cookie header value that stores `value` (Max-Age = session TTL), and the one that
  // deletes the cookie.
  std::string set_cookie(std::string_view value) const;
  std::string clear_cookie() const;

  // --- signed-in sessions ---
  std::optional<BrowserSession> find_session(std::string_view cookie_value, std::int64_t now) const;
  // Signs a browser in: returns the NEW cookie value; the old session (if any) is gone.
  std::string sign_in(std::string_view old_cookie_value, const store::User& user, std::int64_t now);
  // Ends the session; returns the grants issued through it (for revocation).
  std::vector<std::string> sign_out(std::string_view cookie_value);
  // Ends every session of `user_id` (deprovisioning: its grants are revoked by the store).
  // Returns how many.
  std::size_t drop_user(std::string_view user_id);
  // Records a grant issued through the session of `browser_key`. Returns false when the session
  // is gone or already holds kMaxGrantsPerSession grants (the caller then revokes the oldest
  // one itself: see authorize_endpoint.cpp).
  bool add_grant(const std::string& browser_key, const std::string& grant_id, std::int64_t now);

  // --- pending authorization requests ---
  // Stores `flow` (id, csrf and expiry are assigned here) and returns it.
  PendingAuthorization add_flow(PendingAuthorization flow, std::int64_t now);
  // The flow when it exists, is live and belongs to `browser_key`.
  std::optional<PendingAuthorization> find_flow(const std::string& id, const std::string& browser_key,
                                                std::int64_t now) const;
  // Checks and consumes the CSRF token of a flow owned by `browser_key`. On success the flow's
  // token is replaced (returned with the new one), `update` has been applied, and the flow is
  // kept unless `consume` is set (then it is removed). nullopt when the flow is unknown, expired,
  // owned by another browser or the token does not match (the flow is then removed: a forged
  // post ends the request).
  template <class F>
  std::optional<PendingAuthorization> use_flow(const std::string& id, const std::string& browser_key,
                                               std::string_view csrf, bool consume, std::int64_t now,
                                               F&& update);
  // Applies fn(PendingAuthorization&) to a live flow; false when there is none.
  template <class F>
  bool update_flow(const std::string& id, std::int64_t now, F&& fn) {
    using Action = ExpiringMap<PendingAuthorization>::Action;
    return flows_.modify(id, now, [&](PendingAuthorization& flow) {
      fn(flow);
      return Action::kKeep;
    });
  }
  void remove_flow(const std::string& id);
  // Drops expired sessions and flows (they also go lazily).
  void purge(std::int64_t now) {
    sessions_.purge(now);
    flows_.purge(now);
  }

 private:
  bool csrf_matches(const PendingAuthorization& flow, const std::string& browser_key,
                    std::string_view csrf) const;
  static std::string new_token();

  Options options_;
  std::string cookie_name_;
  ExpiringMap<BrowserSession> sessions_;
  ExpiringMap<PendingAuthorization> flows_;
};

template <class F>
std::optional<PendingAuthorization> BrowserSessions::use_flow(const std::string& id,
                                                              const std::string& browser_key,
                                                              std::string_view csrf, bool consume,
                                                              std::int64_t now, F&& update) {
  std::optional<PendingAuthorization> out;
  using Action = ExpiringMap<PendingAuthorization>::Action;
  flows_.modify(id, now, [&](PendingAuthorization& flow) {
    if (!csrf_matches(flow, browser_key, csrf)) {
      return Action::kErase;
    }
    flow.csrf = new_token();
    update(flow);
    out = flow;
    return consume ? Action::kErase : Action::kKeep;
  });
  return out;
}

}  // namespace mcpgate::oauth
