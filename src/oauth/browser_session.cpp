#include "oauth/browser_session.hpp"

#include <limits>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "http/message.hpp"

namespace mcpgate::oauth {

BrowserSessions::BrowserSessions(Options options)
    : options_(options),
      cookie_name_(options.secure_cookie ? "__Host-mcpgate_session" : "mcpgate_session"),
      sessions_(options.max_sessions),
      flows_(options.max_flows) {}

std::string BrowserSessions::cookie_value(const http::Request& req) const {
  std::string found;
  int seen = 0;
  for (auto it = req.find(http::Field::cookie); it != req.end() && it->name() == http::Field::cookie;
       ++it) {
    std::string_view header = it->value();
    while (!header.empty()) {
      const std::size_t semi = header.find(';');
      const std::string_view pair = http::trim_ows(header.substr(0, semi));
      header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || http::trim_ows(pair.substr(0, eq)) != cookie_name_) {
        continue;
      }
      ++seen;
      found = std::string(http::trim_ows(pair.substr(eq + 1)));
    }
  }
  // Only the 43-character tokens we issue are accepted.
  if (seen != 1 || found.size() != 43) {
    return {};
  }
  return found;
}

std::string BrowserSessions::browser_key(std::string_view cookie_value) {
  if (cookie_value.empty()) {
    return {};
  }
  return crypto::hex_encode(crypto::sha256(cookie_value));
}

std::string BrowserSessions::new_cookie_value() { return crypto::random_token(32); }

std::string BrowserSessions::new_token() { return crypto::random_token(32); }

std::string BrowserSessions::set_cookie(std::string_view value) const {
  std::string out = cookie_name_ + "=" + std::string(value) +
                    "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                    std::to_string(options_.session_ttl_s);
  if (options_.secure_cookie) {
    out += "; Secure";
  }
  return out;
}

std::string BrowserSessions::clear_cookie() const {
  std::string out = cookie_name_ + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
  if (options_.secure_cookie) {
    out += "; Secure";
  }
  return out;
}

std::optional<BrowserSession> BrowserSessions::find_session(std::string_view cookie_value,
                                                            std::int64_t now) const {
  if (cookie_value.empty()) {
    return std::nullopt;
  }
  return sessions_.get(browser_key(cookie_value), now);
}

std::string BrowserSessions::sign_in(std::string_view old_cookie_value, const store::User& user,
                                     std::int64_t now) {
  // Grants issued through the browser's previous sign-in move to the new one, so signing out
  // still revokes them.
  std::vector<std::string> carried;
  if (!old_cookie_value.empty()) {
    using Action = ExpiringMap<BrowserSession>::Action;
    sessions_.modify(browser_key(old_cookie_value), now, [&](BrowserSession& s) {
      carried = std::move(s.grant_ids);
      return Action::kErase;
    });
    sessions_.erase(browser_key(old_cookie_value));
  }
  std::string value = new_cookie_value();
  BrowserSession session{user.id,  user.username,      user.org_id,        now,
                         now + options_.session_ttl_s, user.session_epoch, std::move(carried)};
  sessions_.put(browser_key(value), session, session.expires_at, now);
  return value;
}

std::vector<std::string> BrowserSessions::sign_out(std::string_view cookie_value) {
  std::vector<std::string> grants;
  if (cookie_value.empty()) {
    return grants;
  }
  using Action = ExpiringMap<BrowserSession>::Action;
  // Expired sessions are not found by modify(); their grants outlive them (a session expiring
  // is not a sign-out).
  sessions_.modify(browser_key(cookie_value), std::numeric_limits<std::int64_t>::min(),
                   [&](BrowserSession& s) {
                     grants = std::move(s.grant_ids);
                     return Action::kErase;
                   });
  sessions_.erase(browser_key(cookie_value));
  return grants;
}

std::size_t BrowserSessions::drop_user(std::string_view user_id) {
  return sessions_.erase_if([&](const BrowserSession& s) { return s.user_id == user_id; });
}

bool BrowserSessions::add_grant(const std::string& key, const std::string& grant_id,
                                std::int64_t now) {
  using Action = ExpiringMap<BrowserSession>::Action;
  bool added = false;
  sessions_.modify(key, now, [&](BrowserSession& s) {
    if (s.grant_ids.size() < kMaxGrantsPerSession) {
      s.grant_ids.push_back(grant_id);
      added = true;
    }
    return Action::kKeep;
  });
  return added;
}

PendingAuthorization BrowserSessions::add_flow(PendingAuthorization flow, std::int64_t now) {
  flow.id = new_token();
  flow.csrf = new_token();
  flow.expires_at = now + options_.flow_ttl_s;
  flows_.put(flow.id, flow, flow.expires_at, now);
  return flow;
}

std::optional<PendingAuthorization> BrowserSessions::find_flow(const std::string& id,
                                                               const std::string& browser_key,
                                                               std::int64_t now) const {
  auto flow = flows_.get(id, now);
  if (!flow || browser_key.empty() ||
      !crypto::constant_time_equal(flow->browser_key, browser_key)) {
    return std::nullopt;
  }
  return flow;
}

bool BrowserSessions::csrf_matches(const PendingAuthorization& flow, const std::string& browser_key,
                                   std::string_view csrf) const {
  // Both checks always run: the time taken does not say which one failed.
  const bool browser_ok =
      !browser_key.empty() && crypto::constant_time_equal(flow.browser_key, browser_key);
  const bool csrf_ok = !csrf.empty() && crypto::constant_time_equal(flow.csrf, csrf);
  return browser_ok && csrf_ok;
}

void BrowserSessions::remove_flow(const std::string& id) { flows_.erase(id); }

}  // namespace mcpgate::oauth
