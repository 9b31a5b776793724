#include "console/console.hpp"

#include <charconv>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "admin/errors.hpp"
#include "admin/operations.hpp"
#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "oauth/form.hpp"
#include "oauth/http_util.hpp"
#include "oauth/login_pages.hpp"

namespace mcpgate::console {
namespace {

namespace bhttp = boost::beast::http;
using http::StatusCode;

// The console's own client id in admin_call lines (not a registered client: the browser
// session is the credential).
constexpr std::string_view kConsoleClient = "mcpgate-console";

http::Response console_redirect(const std::string& location) {
  http::Response res{StatusCode::see_other, 11};
  res.set(http::Field::location, location);
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

// "/admin/console/users/bob" -> {"users", "bob"}; "" segments (a doubled or trailing slash) are
// kept, so they match nothing.
std::vector<std::string_view> console_segments(std::string_view rest) {
  std::vector<std::string_view> out;
  if (rest.empty() || rest == "/") {
    return out;
  }
  rest.remove_prefix(1);
  while (true) {
    const auto slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      return out;
    }
    rest.remove_prefix(slash + 1);
  }
}

// A console path to come back to after signing in: only our own paths made of plain
// characters (it becomes a Location header).
std::string console_return_path(std::string_view path) {
  if (path.substr(0, kBase.size()) != kBase || path.size() > 512) {
    return std::string(kBase);
  }
  for (const char c : path) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || c == '@' ||
                       c == '+' || c == '=';
    if (!plain) {
      return std::string(kBase);
    }
  }
  return std::string(path);
}

int console_hours(const oauth::Params& query) {
  const std::string v = query.value("hours");
  int n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 1 || n > 168) {
    return 24;
  }
  return n;
}

}  // namespace

Console::Console(oauth::AuthorizationServer* as,
                 std::shared_ptr<const admin::OperationRunner> runner, store::Executor& executor,
                 ConsoleOptions options)
    : as_(as),
      runner_(std::move(runner)),
      executor_(executor),
      options_(std::move(options)),
      csrf_key_(crypto::random_bytes(32)) {}

std::string Console::csrf_for(std::string_view browser_key) const {
  return crypto::base64url_encode(
      crypto::hmac_sha256(csrf_key_, "console:" + std::string(browser_key)));
}

mcp::Caller Console::caller_of(const Visitor& visitor) {
  mcp::Caller c;
  c.subject = visitor.user_id;
  c.client_id = std::string(kConsoleClient);
  c.scopes = {std::string(admin::kReadScope), std::string(admin::kWriteScope)};
  c.org_id = visitor.org_id;
  return c;
}

Viewer Console::viewer_of(const Visitor& visitor, const mcp::Caller& caller) const {
  Viewer v;
  v.user_id = visitor.user_id;
  v.username = visitor.username;
  v.org_id = visitor.org_id;
  v.csrf = csrf_for(visitor.browser_key);
  v.logout_url = options_.logout_url;
  for (const auto& op : admin::operations()) {
    if (runner_->authorize(caller, op)) {
      v.may.insert(std::string(op.operation_id));
    }
  }
  return v;
}

Result<Json> Console::run(const mcp::Caller& caller, std::string_view operation_id,
                          Json args) const {
  const admin::Operation* op = admin::find_operation(operation_id);
  if (op == nullptr) {
    return make_error(ErrorCode::kInternal, "the console names an unknown operation");
  }
  const auto arguments = [&]() -> Result<Json> { return std::move(args); };
  return runner_->run(caller, *op, arguments, "console");
}

http::Response Console::page(const Viewer& viewer, StatusCode status, std::string_view active,
                             std::string_view title, const std::string& body) const {
  return oauth::page_response(status, render_page(viewer, active, title, body));
}

http::Response Console::failure(const Viewer& viewer, const Error& error) const {
  const int status = admin::admin_error_status(error);
  // Internal errors keep their message in the log (the runner's admin_call line has it).
  const std::string text =
      status >= 500 ? std::string("The operation failed; try again.") : error.message;
  const char* title = status == 403 ? "Not permitted" : status == 404 ? "Not found" : "Error";
  return page(viewer, static_cast<StatusCode>(status), "", title, message_body(title, text));
}

http::Response Console::not_signed_in(const http::Request& req) const {
  if (req.method() == bhttp::verb::get || req.method() == bhttp::verb::head) {
    const std::string back = console_return_path(http::target_path(req.target()));
    return as_->sign_in_redirect(req, back, "the admin console");
  }
  return oauth::page_response(StatusCode::unauthorized,
                              oauth::render_message_page("Not signed in",
                                                         "Sign in first: open /admin/console."));
}

http::Response Console::answer(const Visitor& visitor, const http::Request& req) const {
  const mcp::Caller caller = caller_of(visitor);
  const Viewer viewer = viewer_of(visitor, caller);
  const std::string_view path = http::target_path(req.target());
  const std::string_view rest = path.substr(std::min(path.size(), kBase.size()));
  if (req.method() == bhttp::verb::get || req.method() == bhttp::verb::head) {
    return get(viewer, caller, rest, req);
  }
  if (req.method() == bhttp::verb::post) {
    return post(viewer, caller, rest, req);
  }
  http::Response res = page(viewer, StatusCode::method_not_allowed, "", "Invalid request",
                            message_body("Invalid request", "Use GET or POST."));
  res.set(http::Field::allow, "GET, HEAD, POST");
  return res;
}

http::Response Console::get(const Viewer& viewer, const mcp::Caller& caller,
                            std::string_view rest, const http::Request& req) const {
  auto query = oauth::parse_form(oauth::query_of(req.target()));
  if (!query) {
    return page(viewer, StatusCode::bad_request, "", "Invalid request",
                message_body("Invalid request", "The query is malformed."));
  }
  const auto seg = console_segments(rest);
  if (seg.empty()) {
    const int hours = console_hours(*query);
    std::optional<Json> stats;
    if (viewer.can("getCallStats")) {
      auto r = run(caller, "getCallStats", Json{{"hours", hours}});
      if (!r) {
        return failure(viewer, r.error());
      }
      stats = std::move(*r);
    }
    return page(viewer, StatusCode::ok, "overview", "Overview",
                overview_body(viewer, stats ? &*stats : nullptr, hours));
  }
  if (seg[0] == "users" && seg.size() == 1) {
    Json args = Json::object();
    if (query->has("cursor")) {
      args["cursor"] = query->value("cursor");
    }
    auto r = run(caller, "listUsers", std::move(args));
    if (!r) {
      return failure(viewer, r.error());
    }
    return page(viewer, StatusCode::ok, "users", "Users", users_body(viewer, *r));
  }
  if (seg[0] == "users" && seg.size() == 2) {
    const std::string id(seg[1]);
    auto user = run(caller, "getUser", Json{{"user_id", id}});
    if (!user) {
      return failure(viewer, user.error());
    }
    std::optional<Json> grants;
    if (viewer.can("listUserGrants")) {
      auto g = run(caller, "listUserGrants", Json{{"user_id", id}});
      if (!g) {
        return failure(viewer, g.error());
      }
      grants = std::move(*g);
    }
    return page(viewer, StatusCode::ok, "users", "User", user_body(viewer, *user, grants ? &*grants : nullptr));
  }
  if (seg[0] == "clients" && seg.size() == 1) {
    Json args = Json::object();
    if (query->has("cursor")) {
      args["cursor"] = query->value("cursor");
    }
    auto r = run(caller, "listClients", std::move(args));
    if (!r) {
      return failure(viewer, r.error());
    }
    return page(viewer, StatusCode::ok, "clients", "Clients", clients_body(viewer, *r));
  }
  if (seg[0] == "access" && seg.size() == 1) {
    const std::string user_id = query->value("user_id");
    const std::string client_id = query->value("client_id");
    if (user_id.empty()) {
      return page(viewer, StatusCode::ok, "access", "Agent access",
                  access_body(viewer, user_id, client_id, nullptr, ""));
    }
    Json args = {{"user_id", user_id}};
    if (!client_id.empty()) {
      args["client_id"] = client_id;
    }
    auto r = run(caller, "getAgentAccess", std::move(args));
    if (!r) {
      const int status = admin::admin_error_status(r.error());
      if (status == 400 || status == 404) {  // a mistyped id: keep the form
        return page(viewer, static_cast<StatusCode>(status), "access", "Agent access",
                    access_body(viewer, user_id, client_id, nullptr, r.error().message));
      }
      return failure(viewer, r.error());
    }
    return page(viewer, StatusCode::ok, "access", "Agent access",
                access_body(viewer, user_id, client_id, &*r, ""));
  }
  if (seg[0] == "sessions" && seg.size() == 1 && admin::find_operation("listSessions") != nullptr) {
    const std::string user_id = query->value("user_id");
    const std::string client_id = query->value("client_id");
    Json args = Json::object();
    for (const char* name : {"user_id", "client_id", "cursor"}) {
      if (!query->value(name).empty()) {
        args[name] = query->value(name);
      }
    }
    auto r = run(caller, "listSessions", std::move(args));
    if (!r) {
      return failure(viewer, r.error());
    }
    return page(viewer, StatusCode::ok, "sessions", "Sessions",
                sessions_body(viewer, *r, user_id, client_id));
  }
  if (seg[0] == "audit" && seg.size() == 1 && admin::find_operation("searchAudit") != nullptr) {
    AuditFilters f{query->value("user_id"), query->value("client_id"), query->value("tool"),
                   query->value("decision")};
    Json args = Json::object();
    for (const char* name : {"user_id", "client_id", "tool", "decision", "cursor"}) {
      if (!query->value(name).empty()) {
        args[name] = query->value(name);
      }
    }
    auto r = run(caller, "searchAudit", std::move(args));
    if (!r) {
      return failure(viewer, r.error());
    }
    std::optional<Json> status;
    if (viewer.can("getAuditStatus")) {
      auto st = run(caller, "getAuditStatus", Json::object());
      if (!st) {
        return failure(viewer, st.error());
      }
      status = std::move(*st);
    }
    return page(viewer, StatusCode::ok, "audit", "Audit log",
                audit_body(viewer, &*r, status ? &*status : nullptr, f));
  }
  if (seg[0] == "tools" && seg.size() == 1 && admin::find_operation("listToolPins") != nullptr) {
    Json args = Json::object();
    if (!query->value("cursor").empty()) {
      args["cursor"] = query->value("cursor");
    }
    auto pins = run(caller, "listToolPins", std::move(args));
    if (!pins) {
      return failure(viewer, pins.error());
    }
    std::optional<Json> upstreams;
    if (viewer.can("listUpstreams")) {
      auto u = run(caller, "listUpstreams", Json::object());
      if (!u) {
        return failure(viewer, u.error());
      }
      upstreams = std::move(*u);
    }
    return page(viewer, StatusCode::ok, "tools", "Tools",
                tools_body(viewer, upstreams ? &*upstreams : nullptr, *pins));
  }
  if (seg[0] == "connectors" && seg.size() == 1 &&
      admin::find_operation("listConnectors") != nullptr) {
    auto connectors = run(caller, "listConnectors", Json::object());
    if (!connectors) {
      return failure(viewer, connectors.error());
    }
    std::optional<Json> connections;
    if (viewer.can("listConnections")) {
      Json args = Json::object();
      if (!query->value("cursor").empty()) {
        args["cursor"] = query->value("cursor");
      }
      auto c = run(caller, "listConnections", std::move(args));
      if (!c) {
        return failure(viewer, c.error());
      }
      connections = std::move(*c);
    }
    return page(viewer, StatusCode::ok, "connectors", "Connectors",
                connectors_body(viewer, &*connectors, connections ? &*connections : nullptr));
  }
  return page(viewer, StatusCode::not_found, "", "Not found",
              message_body("Not found", "No such console page."));
}

http::Response Console::post(const Viewer& viewer, const mcp::Caller& caller,
                             std::string_view rest, const http::Request& req) const {
  if (!oauth::form_origin_allowed(req, options_.origin)) {
    log::warn("console_post_refused", {{"reason", "cross-origin"}, {"user", viewer.user_id}});
    return page(viewer, StatusCode::forbidden, "", "Invalid request",
                message_body("Invalid request", "The form was submitted from another site."));
  }
  auto form = oauth::parse_form(req.body());
  if (!form || !crypto::constant_time_equal(form->value("csrf"), viewer.csrf)) {
    log::warn("console_post_refused", {{"reason", "csrf token"}, {"user", viewer.user_id}});
    return page(viewer, StatusCode::forbidden, "", "Invalid request",
                message_body("Invalid request",
                             "The form has expired or did not come from this console. Reload the "
                             "page and try again."));
  }
  const auto seg = console_segments(rest);
  Json args = Json::object();
  std::string op;
  std::string back;
  if (seg.size() == 5 && seg[0] == "users" && seg[2] == "grants" && seg[4] == "revoke") {
    op = "revokeUserGrant";
    args = {{"user_id", std::string(seg[1])}, {"grant_id", std::string(seg[3])}};
  } else if (seg.size() == 3 && seg[0] == "users" && (seg[2] == "deactivate" || seg[2] == "reactivate")) {
    op = seg[2] == "deactivate" ? "deactivateUser" : "reactivateUser";
    args = {{"user_id", std::string(seg[1])}, {"reason", "web console"}};
  } else if (seg.size() == 3 && seg[0] == "sessions" && seg[2] == "revoke") {
    op = "revokeSession";
    args = {{"session_id", std::string(seg[1])}};
    back = std::string(kBase) + "/sessions";
  } else if (seg.size() == 2 && seg[0] == "clients" && (seg[1] == "disable" || seg[1] == "enable")) {
    op = seg[1] == "disable" ? "disableClient" : "enableClient";
    args = {{"client_id", form->value("client_id")}, {"reason", "web console"}};
    back = std::string(kBase) + "/clients";
  } else if (seg.size() == 4 && seg[0] == "tools" && seg[3] == "approve") {
    op = "approveToolPin";
    args = {{"upstream", std::string(seg[1])},
            {"tool", std::string(seg[2])},
            {"hash", form->value("hash")},
            {"reason", "web console"}};
    back = std::string(kBase) + "/tools";
  } else if (seg.size() == 4 && seg[0] == "connections" && seg[3] == "revoke") {
    op = "revokeConnection";
    args = {{"user_id", std::string(seg[1])},
            {"connector", std::string(seg[2])},
            {"reason", "web console"}};
    back = std::string(kBase) + "/connectors";
  } else {
    return page(viewer, StatusCode::not_found, "", "Not found",
                message_body("Not found", "No such console action."));
  }
  if (admin::find_operation(op) == nullptr) {
    return page(viewer, StatusCode::not_found, "", "Not found",
                message_body("Not found", "No such console action."));
  }
  if (back.empty()) {
    back = std::string(kBase) + "/users/" + path_segment(seg[1]);
  }
  auto r = run(caller, op, std::move(args));
  if (!r) {
    return failure(viewer, r.error());
  }
  return console_redirect(back);
}

// Outside the anonymous namespace: the lambda handed to Executor::run must have a type with
// linkage (g++ -Wsubobject-linkage in unity builds).
asio::awaitable<void> Console::serve(std::shared_ptr<const Console> console, http::Exchange& ex) {
  const http::Request& req = ex.request();
  http::Response res;
  try {
    std::optional<oauth::AuthorizationServer::SignedIn> who =
        co_await console->as_->signed_in(req);
    if (!who) {
      res = console->not_signed_in(req);
    } else {
      const Visitor visitor{who->user_id, who->username, who->org_id, who->browser_key};
      // [&]: this coroutine stays suspended until the task returns (coroutine rules).
      auto task = [&] { return console->answer(visitor, req); };
      res = co_await console->executor_.run(std::move(task));
    }
  } catch (const std::exception& e) {
    log::error("console_exception", {{"error", e.what()}});
    res = oauth::page_response(StatusCode::internal_server_error,
                               oauth::render_message_page("Error", "The console failed."));
  }
  co_await ex.respond(std::move(res));
}

void mount_console(http::Router& router, std::shared_ptr<const Console> console) {
  http::Handler handler = [console](http::Exchange& ex) { return Console::serve(console, ex); };
  router.add(std::string(kBase), handler);
  router.add_prefix(std::string(kBase) + "/", handler);
}

}  // namespace mcpgate::console
