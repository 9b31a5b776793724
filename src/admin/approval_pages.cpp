// The approval pages of destructive admin calls (approvals.hpp): a human signed in to the gate
// as the user whose agent asked approves or denies the exact call.

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "admin/approvals.hpp"
#include "core/log.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/form.hpp"
#include "oauth/http_util.hpp"
#include "oauth/login_pages.hpp"

namespace mcpgate::admin {
namespace {

using http::StatusCode;
namespace bhttp = http::bhttp;

std::int64_t approval_pages_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string approval_page_html(std::string_view title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         oauth::html_escape(title) +
         "</title><style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 "
         "1rem}td,th{padding:.3rem .6rem;text-align:left;vertical-align:top}pre{white-space:"
         "pre-wrap;word-break:break-all}</style></head><body>\n<h1>" +
         oauth::html_escape(title) + "</h1>\n" + body + "</body></html>\n";
}

http::Response approval_message(StatusCode status, std::string_view title,
                                 std::string_view message) {
  return oauth::page_response(
      status, approval_page_html(title, "<p id=\"message\">" + oauth::html_escape(message) + "</p>\n"));
}

http::Response no_such_approval() {
  // The same page for a missing approval and another user's: ids reveal nothing.
  return approval_message(StatusCode::not_found, "No such approval",
                          "There is no approval request with this link for you. Links are "
                          "personal: sign in as the user whose agent asked.");
}

std::string approval_time_text(std::int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// Whether the stored row still says what its binding was computed from (a row whose shown
// arguments differ from what it approves is never approved).
bool approval_consistent(const store::AdminApproval& a, const Operation& op) {
  auto args = nlohmann::json::parse(a.arguments, nullptr, false);
  if (args.is_discarded()) {
    return false;
  }
  mcp::Caller asker;
  asker.org_id = a.org_id;
  asker.subject = a.user_id;
  asker.client_id = a.client_id;
  return crypto::constant_time_equal(approval_binding(asker, op, args), a.binding);
}

std::string pretty_arguments(const std::string& canonical) {
  auto args = nlohmann::json::parse(canonical, nullptr, false);
  return args.is_discarded() ? canonical
                             : args.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct ApprovalView {
  const store::AdminApproval* approval = nullptr;
  const Operation* op = nullptr;
  std::string username;
  std::string csrf;
  bool expired = false;
  bool permitted = false;
  std::string permission_note;
};

std::string render_approval(const ApprovalView& v) {
  using oauth::html_escape;
  const store::AdminApproval& a = *v.approval;
  std::string body = "<p>Signed in as <strong>" + html_escape(v.username) + "</strong>.</p>\n";
  body += "<p>Your agent asked to run a <strong>destructive</strong> admin operation. It runs "
          "only if you approve it here, once, with exactly the arguments below.</p>\n<table>\n";
  body += "<tr><th>Operation</th><td id=\"operation\">" + html_escape(snake_case(a.operation)) +
          " (" + html_escape(a.operation) + ")<br>" + html_escape(v.op->summary) + "</td></tr>\n";
  body += "<tr><th>Agent (client)</th><td id=\"client\">" + html_escape(a.client_id) + "</td></tr>\n";
  body += "<tr><th>Organization</th><td>" + html_escape(a.org_id) + "</td></tr>\n";
  body += "<tr><th>Arguments</th><td><pre id=\"arguments\">" +
          html_escape(pretty_arguments(a.arguments)) + "</pre></td></tr>\n";
  body += "<tr><th>Asked</th><td>" + approval_time_text(a.created_at) + "</td></tr>\n";
  body += "<tr><th>Expires</th><td>" + approval_time_text(a.expires_at) + "</td></tr>\n";
  std::string state = a.state;
  if (a.state == "pending" && v.expired) {
    state = "expired";
  }
  body += "<tr><th>State</th><td id=\"state\">" + html_escape(state) + "</td></tr>\n</table>\n";
  if (state != "pending") {
    return approval_page_html("Approve an admin operation", body);
  }
  if (!v.permitted) {
    body += "<p id=\"not-permitted\">" + html_escape(v.permission_note) + "</p>\n";
    return approval_page_html("Approve an admin operation", body);
  }
  const std::string action = std::string(kApprovalsPath) + html_escape(a.id);
  body += "<form method=\"post\" action=\"" + action +
          "\"><input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(v.csrf) +
          "\"><button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">"
          "Approve</button> <button type=\"submit\" name=\"decision\" value=\"deny\" "
          "id=\"deny\">Deny</button></form>\n";
  return approval_page_html("Approve an admin operation", body);
}

class ApprovalPages : public std::enable_shared_from_this<ApprovalPages> {
 public:
  explicit ApprovalPages(ApprovalPagesDeps deps)
      : deps_(std::move(deps)), csrf_key_(crypto::random_bytes(32)) {
    if (!deps_.clock) {
      deps_.clock = approval_pages_now;
    }
  }

  asio::awaitable<void> serve(http::Exchange& ex) {
    const http::Request& req = ex.request();
    http::Response res;
    const std::string path(http::target_path(req.target()));
    const std::string id = path.substr(kApprovalsPath.size());
    if (id.empty() || !valid_id(id)) {
      res = no_such_approval();
    } else if (req.method() == bhttp::verb::get || req.method() == bhttp::verb::head) {
      res = co_await show(req, id);
    } else if (req.method() == bhttp::verb::post) {
      res = co_await decide(req, id);
    } else {
      res = approval_message(StatusCode::method_not_allowed, "Invalid request", "Use GET or POST.");
      res.set(http::Field::allow, "GET, HEAD, POST");
    }
    co_await ex.respond(std::move(res));
  }

 private:
  // Per browser sign-in and approval, so a token of one page is no good for another.
  std::string csrf_for(const std::string& browser_key, const std::string& id) const {
    return crypto::base64url_encode(
        crypto::hmac_sha256(csrf_key_, "admin-approval:" + browser_key + ":" + id));
  }

  // The approval when it exists and was asked by `user` of `org`.
  Result<store::AdminApproval> load(const std::string& id, const std::string& user,
                                    const std::string& org) const {
    MCPGATE_ASSIGN_OR_RETURN(store::AdminApproval a, deps_.store->find_admin_approval(id));
    if (a.user_id != user || a.org_id != org) {
      return make_error(ErrorCode::kNotFound, "another user's approval");
    }
    return a;
  }

  // The viewer's right to approve: the operation's permission, as the runner checks it.
  bool permitted(const std::string& user, const std::string& org, const Operation& op,
                 std::string& note) const {
    mcp::Caller viewer;
    viewer.subject = user;
    viewer.org_id = org;
    const AdminDecision d = deps_.authorizer->check(viewer, op.permission);
    if (!d.allowed) {
      note = "You cannot approve this: " + snake_case(op.operation_id) + " needs " +
             std::string(op.permission) + " on organization:" + org + ".";
    }
    return d.allowed;
  }

  asio::awaitable<http::Response> show(const http::Request& req, std::string id) {
    auto user = co_await deps_.auth->signed_in(req);
    if (!user) {
      co_return deps_.auth->sign_in_redirect(req, std::string(kApprovalsPath) + id,
                                             "approve an admin operation");
    }
    const std::string user_id = user->user_id;
    const std::string org = user->org_id;
    auto task = [&] { return load(id, user_id, org); };
    const Result<store::AdminApproval> a = co_await deps_.executor->run(std::move(task));
    if (!a) {
      co_return a.error().code == ErrorCode::kNotFound
          ? no_such_approval()
          : approval_message(StatusCode::service_unavailable, "Error",
                             "The approval could not be read. Try again.");
    }
    const Operation* op = find_operation(a->operation);
    if (op == nullptr) {
      co_return no_such_approval();
    }
    ApprovalView v;
    v.approval = &*a;
    v.op = op;
    v.username = user->username;
    v.csrf = csrf_for(user->browser_key, id);
    v.expired = a->expires_at <= deps_.clock();
    v.permitted = permitted(user_id, org, *op, v.permission_note);
    co_return oauth::page_response(StatusCode::ok, render_approval(v));
  }

  asio::awaitable<http::Response> decide(const http::Request& req, std::string id) {
    if (!oauth::form_origin_allowed(req, deps_.auth->origin())) {
      co_return approval_message(StatusCode::forbidden, "Invalid request",
                                 "The form was submitted from another site.");
    }
    auto user = co_await deps_.auth->signed_in(req);
    if (!user) {
      co_return approval_message(StatusCode::unauthorized, "Not signed in",
                                 "Sign in first: open the approval link again.");
    }
    auto form = oauth::parse_form(req.body());
    if (!form || !crypto::constant_time_equal(form->value("csrf"),
                                              csrf_for(user->browser_key, id))) {
      co_return approval_message(StatusCode::forbidden, "Invalid request",
                                 "The form has expired. Open the approval link again.");
    }
    const std::string decision = form->value("decision");
    if (decision != "approve" && decision != "deny") {
      co_return approval_message(StatusCode::bad_request, "Invalid request",
                                 "Choose approve or deny.");
    }
    const bool approve = decision == "approve";
    const std::string user_id = user->user_id;
    const std::string org = user->org_id;
    std::string note;
    auto task = [&]() -> Status {
      MCPGATE_ASSIGN_OR_RETURN(const store::AdminApproval a, load(id, user_id, org));
      const Operation* op = find_operation(a.operation);
      if (op == nullptr || !approval_consistent(a, *op)) {
        return make_error(ErrorCode::kNotFound, "approval row inconsistent");
      }
      if (approve && !permitted(user_id, org, *op, note)) {
        return make_error(ErrorCode::kPermissionDenied, note);
      }
      return deps_.store->decide_admin_approval(id, user_id, approve, deps_.clock());
    };
    const Status st = co_await deps_.executor->run(std::move(task));
    if (!st) {
      switch (st.error().code) {
        case ErrorCode::kNotFound:
          co_return no_such_approval();
        case ErrorCode::kPermissionDenied:
          co_return approval_message(StatusCode::forbidden, "Not permitted", st.error().message);
        case ErrorCode::kFailedPrecondition:
          co_return approval_message(StatusCode::conflict, "Already decided",
                                     "This approval was already decided or has expired.");
        default:
          log::error("admin_approval_failed", {{"error", st.error().message}});
          co_return approval_message(StatusCode::service_unavailable, "Error",
                                     "The decision could not be saved. Try again.");
      }
    }
    log::info("admin_approval_decided",
              {{"approval", id}, {"user", user_id}, {"decision", decision}});
    if (approve) {
      co_return approval_message(StatusCode::ok, "Approved",
                                 "Approved. Go back to your agent: the same call with the same "
                                 "arguments now runs, once, until the approval expires.");
    }
    co_return approval_message(StatusCode::ok, "Denied",
                               "Denied. The call will not run with this approval.");
  }

  ApprovalPagesDeps deps_;
  const std::string csrf_key_;
};

}  // namespace

void mount_approval_pages(http::Router& router, ApprovalPagesDeps deps) {
  auto pages = std::make_shared<ApprovalPages>(std::move(deps));
  router.add_prefix(std::string(kApprovalsPath),
                    [pages](http::Exchange& ex) { return pages->serve(ex); });
}

}  // namespace mcpgate::admin
