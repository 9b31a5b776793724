#pragma once
// The web console (issue 9 item 3) at /admin/console: server-rendered pages over the admin
// operations for people in a browser.
//
// Sign-in is the authorization server's own browser sign-in (oauth::AuthorizationServer::
// signed_in / sign_in_redirect): the same login page, the same __Host- cookie, the same
// deprovisioning checks on every request. A request without a session is sent to the login
// page (GET) or refused (POST, 401).
//
// Authorization is exactly the API's: every page read and every action is one
// admin::OperationRunner::run with channel "console" and the signed-in user as the caller
// (their organization from the session). The console user holds admin:read and admin:write as
// scopes — a browser session has no token scopes to narrow them — so what a viewer may do is
// decided by the operation's permission on organization:<org> alone (the policy's roles:
// admin, helpdesk, auditor). Pages render only the actions runner.authorize() allows.
//
// Every response carries the login pages' security headers (oauth::page_response:
// X-Frame-Options DENY, CSP with frame-ancestors 'none', default-src 'none' — the console has
// no script). Every POST needs the form's csrf token (an HMAC of this browser's sign-in under
// a key of this process) and, when the browser sends an Origin other than "null", the gate's own
// origin (the login pages' rule); it answers
// 303 to the page it came from.

#include <memory>
#include <string>

#include "admin/runner.hpp"
#include "console/pages.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "oauth/authorization_server.hpp"
#include "store/executor.hpp"

namespace mcpgate::console {

struct ConsoleOptions {
  std::string logout_url;  // the authorization server's /logout (the header's "Sign out")
  std::string origin;      // the gate's origin: what a form POST's Origin must be
};

// The signed-in browser of one request.
struct Visitor {
  std::string user_id;
  std::string username;
  std::string org_id;
  std::string browser_key;  // hash of the sign-in cookie: the CSRF token is bound to it
};

class Console {
 public:
  // `as` may be null for tests of answer() (serve() needs it). `executor` must outlive it.
  Console(oauth::AuthorizationServer* as, std::shared_ptr<const admin::OperationRunner> runner,
          store::Executor& executor, ConsoleOptions options);

  static asio::awaitable<void> serve(std::shared_ptr<const Console> console, http::Exchange& ex);

  // A signed-in visitor's request (blocking: the store). The whole page or action.
  http::Response answer(const Visitor& visitor, const http::Request& request) const;

  // The form token of a sign-in.
  std::string csrf_for(std::string_view browser_key) const;
  // The caller the runner sees for a visitor.
  static mcp::Caller caller_of(const Visitor& visitor);

 private:
  http::Response not_signed_in(const http::Request& request) const;
  Viewer viewer_of(const Visitor& visitor, const mcp::Caller& caller) const;
  http::Response get(const Viewer& viewer, const mcp::Caller& caller, std::string_view rest,
                     const http::Request& request) const;
  http::Response post(const Viewer& viewer, const mcp::Caller& caller, std::string_view rest,
                      const http::Request& request) const;
  // Runs one operation for the console. `args` as the operation takes them.
  Result<Json> run(const mcp::Caller& caller, std::string_view operation_id, Json args) const;
  http::Response page(const Viewer& viewer, http::StatusCode status, std::string_view active,
                      std::string_view title, const std::string& body) const;
  http::Response failure(const Viewer& viewer, const Error& error) const;

  oauth::AuthorizationServer* as_;
  std::shared_ptr<const admin::OperationRunner> runner_;
  store::Executor& executor_;
  ConsoleOptions options_;
  const std::string csrf_key_;
};

// Routes /admin/console and /admin/console/... to `console`.
void mount_console(http::Router& router, std::shared_ptr<const Console> console);

}  // namespace mcpgate::console
