#include "admin/admin_api.hpp"

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "admin/errors.hpp"
#include "admin/operations.hpp"
#include "core/log.hpp"
#include "mcp/json_io.hpp"
#include "oauth/form.hpp"

namespace mcpgate::admin {
namespace {

constexpr std::size_t kMaxBodyDepth = 8;
constexpr std::size_t kMaxReasonBytes = 256;

// What one call did, for its `admin_call` line.
struct CallNote {
  std::string operation = "-";
  std::string target;    // the path's ids, joined with '/'
  std::string decision = "deny";
  std::string reason;    // why a denial, or the operator's stated reason
};

http::Response json_ok(const Json& body) {
  http::Response res = http::make_response(http::StatusCode::ok, mcp::dump_json(body),
                                           "application/json");
  res.set(http::Field::cache_control, "no-store");
  return res;
}

// The optional body of a change: {} or {"reason": "<at most 256 bytes>"}.
Result<std::string> reason_of(const http::Request& req, std::size_t max_body_bytes) {
  const std::string& body = req.body();
  if (body.empty()) {
    return std::string();
  }
  if (body.size() > max_body_bytes) {
    return http_error(413, "payload_too_large", "the body is larger than " +
                                                    std::to_string(max_body_bytes) + " bytes");
  }
  if (!oauth::media_type_is(http::header(req, "content-type"), "application/json")) {
    return http_error(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  auto parsed = mcp::parse_json(body, kMaxBodyDepth);
  if (!parsed) {
    return make_error(ErrorCode::kInvalidArgument, "the body is not valid JSON");
  }
  if (!parsed->is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  std::string reason;
  for (const auto& [key, value] : parsed->items()) {
    if (key != "reason") {
      return make_error(ErrorCode::kInvalidArgument, "unknown member in the body");
    }
    if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxReasonBytes) {
      return make_error(ErrorCode::kInvalidArgument,
                        "reason must be a string of at most 256 bytes");
    }
    reason = value.get<std::string>();
  }
  return reason;
}

// The query of a call: only limit and cursor, each at most once, and only on lists.
Result<oauth::Params> call_query(const http::Request& req, const Operation& op) {
  auto params = oauth::parse_form(oauth::query_of(req.target()));
  if (!params) {
    return make_error(ErrorCode::kInvalidArgument, "the query is malformed");
  }
  if (params->first_repeated()) {
    return make_error(ErrorCode::kInvalidArgument, "a query parameter is repeated");
  }
  for (const auto& [name, value] : params->items()) {
    if (!op.paged || (name != "limit" && name != "cursor")) {
      return make_error(ErrorCode::kInvalidArgument, "unknown query parameter");
    }
  }
  return params;
}

std::string insufficient_scope_challenge(std::string_view scope) {
  return "Bearer error=\"insufficient_scope\", scope=\"" + std::string(scope) + "\"";
}

}  // namespace

AdminApi::AdminApi(std::shared_ptr<const mcp::AccessPolicy> access, const oauth::ScopeSet& scopes,
                   std::shared_ptr<const AdminAuthorizer> authorizer,
                   std::shared_ptr<AdminService> service, store::Executor& executor,
                   AdminApiOptions options)
    : access_(std::move(access)),
      scopes_(scopes),
      authorizer_(std::move(authorizer)),
      service_(std::move(service)),
      executor_(executor),
      options_(std::move(options)),
      openapi_(openapi_document(options_, service_->options().max_page_size)) {}

std::variant<mcp::Caller, http::Response> AdminApi::authenticate(
    const http::Request& request) const {
  auto who = access_->authenticate(request);
  if (auto* caller = std::get_if<mcp::Caller>(&who)) {
    return std::move(*caller);
  }
  // The guard's refusal keeps its status and challenge; the body becomes the API's own.
  const http::Response& refused = std::get<http::Response>(who);
  const int status = static_cast<int>(refused.result_int());
  const std::string challenge(refused[http::Field::www_authenticate]);
  Error e = status == 400
                ? http_error(400, "invalid_request", "the credential is malformed or sent twice")
                : http_error_with_challenge(status, "invalid_token",
                                            "a valid access token for the admin API is required",
                                            challenge);
  return admin_error_response(e);
}

http::Response AdminApi::answer(const mcp::Caller& caller, const http::Request& req) const {
  CallNote note;
  const auto run = [&]() -> Result<Json> {
    const std::string_view path = http::target_path(req.target());
    if (path.size() <= kApiBase.size() || path.substr(0, kApiBase.size()) != kApiBase ||
        path[kApiBase.size()] != '/') {
      return make_error(ErrorCode::kNotFound, "no such route");
    }
    const RouteMatch m = match_route(req.method(), path.substr(kApiBase.size()));
    if (!m.path_known) {
      return make_error(ErrorCode::kNotFound, "no such route");
    }
    if (m.op == nullptr) {
      return method_not_allowed(m.allow);
    }
    const Operation& op = *m.op;
    note.operation = std::string(op.operation_id);
    for (const auto& p : m.params) {
      if (!note.target.empty()) {
        note.target += '/';
      }
      // A malformed id is not logged as given (it may be anything an attacker sent).
      note.target += valid_id(p) ? p : std::string("<invalid>");
    }
    // Least privilege before anything else about the request is looked at: a caller without
    // the right learns nothing from the shape of their input.
    if (!scopes_.covers(caller.scopes, {std::string(op.scope)})) {
      note.reason = "token lacks scope " + std::string(op.scope);
      return http_error_with_challenge(403, "insufficient_scope",
                                       "the access token lacks the " + std::string(op.scope) +
                                           " scope",
                                       insufficient_scope_challenge(op.scope));
    }
    const AdminDecision decision = authorizer_->check(caller, op.permission);
    if (!decision.allowed) {
      note.reason = decision.reason;
      return make_error(ErrorCode::kPermissionDenied,
                        std::string(op.operation_id) + " needs " + std::string(op.permission) +
                            " on organization:" + caller.org_id);
    }
    note.decision = "allow";
    if (m.bad_id) {
      return make_error(ErrorCode::kInvalidArgument, "an id in the path is not valid");
    }
    MCPGATE_ASSIGN_OR_RETURN(const auto query, call_query(req, op));
    if (!op.has_body && !req.body().empty()) {
      return make_error(ErrorCode::kInvalidArgument, "this operation takes no body");
    }
    MCPGATE_ASSIGN_OR_RETURN(note.reason, reason_of(req, options_.max_body_bytes));
    Page page;
    if (op.paged) {
      MCPGATE_ASSIGN_OR_RETURN(page, service_->page(query.get("cursor"), query.get("limit")));
    }
    const std::string& org = caller.org_id;
    switch (op.id) {
      case OpId::kListUsers:
        return service_->list_users(org, page);
      case OpId::kGetUser:
        return service_->get_user(org, m.params.at(0));
      case OpId::kDeactivateUser:
        return service_->deactivate_user(org, caller.subject, m.params.at(0));
      case OpId::kReactivateUser:
        return service_->reactivate_user(org, m.params.at(0));
      case OpId::kListUserGrants:
        return service_->list_user_grants(org, m.params.at(0), page);
      case OpId::kRevokeUserGrant:
        return service_->revoke_user_grant(org, m.params.at(0), m.params.at(1));
      case OpId::kListClients:
        return service_->list_clients(page);
    }
    return make_error(ErrorCode::kInternal, "operation without a handler");
  };
  Result<Json> result = run();
  const int status = result ? 200 : admin_error_status(result.error());
  log::info("admin_call", {{"org_id", caller.org_id},
                           {"user", caller.subject},
                           {"client_id", caller.client_id},
                           {"operation", note.operation},
                           {"target", note.target},
                           {"decision", note.decision},
                           {"status", status},
                           {"reason", note.reason}});
  if (!result) {
    return admin_error_response(result.error());
  }
  return json_ok(*result);
}

namespace {

// A request refused before it reached answer() (no valid token): its admin_call line. A plain
// function, so the JSON is not built inside the coroutine (coroutine rules).
void log_refused(unsigned status, const char* reason) {
  log::info("admin_call", {{"decision", "deny"}, {"status", status}, {"reason", reason}});
}

}  // namespace

// Outside the anonymous namespace: the lambda handed to Executor::run must have a type with
// linkage (g++ -Wsubobject-linkage in unity builds).
asio::awaitable<void> AdminApi::serve(std::shared_ptr<const AdminApi> api, http::Exchange& ex) {
  const http::Request& req = ex.request();
  http::Response res;
  try {
    const std::string_view path = http::target_path(req.target());
    if (path == kOpenApiPath) {
      const auto method = req.method();
      if (method == http::bhttp::verb::get || method == http::bhttp::verb::head) {
        res = json_ok(api->openapi());
        res.set(http::Field::cache_control, "public, max-age=300");
      } else {
        res = admin_error_response(method_not_allowed("GET, HEAD"));
      }
    } else {
      auto who = api->authenticate(req);
      if (auto* refused = std::get_if<http::Response>(&who)) {
        log_refused(refused->result_int(), "no valid access token");
        res = std::move(*refused);
      } else {
        const mcp::Caller caller = std::get<mcp::Caller>(std::move(who));
        std::optional<http::Response> unconfirmed = co_await api->access().confirm(caller);
        if (unconfirmed) {
          log_refused(unconfirmed->result_int(), "token organization not confirmed");
          res = admin_error_response(http_error_with_challenge(
              401, "invalid_token", "a valid access token for the admin API is required",
              std::string((*unconfirmed)[http::Field::www_authenticate])));
        } else {
          // The whole call runs on the store executor: the store blocks. [&]: this coroutine
          // stays suspended until the task returns (docs/ARCHITECTURE.md, coroutine rules).
          auto task = [&] { return api->answer(caller, req); };
          res = co_await api->executor().run(std::move(task));
        }
      }
    }
  } catch (const std::exception& e) {
    // Never let a request crash the connection's coroutine.
    log::error("admin_api_exception", {{"error", e.what()}});
    res = admin_error_response(make_error(ErrorCode::kInternal, e.what()));
  }
  co_await ex.respond(std::move(res));
}

void mount_admin_api(http::Router& router, std::shared_ptr<const AdminApi> api) {
  http::Handler handler = [api](http::Exchange& ex) { return AdminApi::serve(api, ex); };
  router.add(std::string(kOpenApiPath), handler);
  router.add_prefix("/admin/api/", handler);
}

}  // namespace mcpgate::admin
