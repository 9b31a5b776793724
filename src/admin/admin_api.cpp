#include "admin/admin_api.hpp"

#include <charconv>
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

http::Response json_ok(const Json& body) {
  http::Response res = http::make_response(http::StatusCode::ok, mcp::dump_json(body),
                                           "application/json");
  res.set(http::Field::cache_control, "no-store");
  return res;
}

const Param* declared(const Operation& op, std::string_view name, ParamIn in) {
  for (const auto& p : op.params) {
    if (p.name == name && p.in == in) {
      return &p;
    }
  }
  return nullptr;
}

// A query value as its parameter's type; a value that is not of it stays a string and
// check_arguments names the type.
Json query_value(const Param& p, const std::string& value) {
  if (p.type == ParamType::kInteger && !value.empty() && value.size() <= 18) {
    std::int64_t n = 0;
    const char* end = value.data() + value.size();
    const auto parsed = std::from_chars(value.data(), end, n);
    if (parsed.ec == std::errc() && parsed.ptr == end) {
      return n;
    }
  }
  if (p.type == ParamType::kBoolean && (value == "true" || value == "false")) {
    return value == "true";
  }
  return value;
}

// The call's arguments from the route's ids, the query and the JSON body.
Result<Json> http_arguments(const http::Request& req, const Operation& op,
                            const std::vector<std::string>& path_values,
                            std::size_t max_body_bytes) {
  Json args = Json::object();
  std::size_t i = 0;
  for (const auto& p : op.params) {
    if (p.in == ParamIn::kPath && i < path_values.size()) {
      args[std::string(p.name)] = path_values[i++];
    }
  }
  auto query = oauth::parse_form(oauth::query_of(req.target()));
  if (!query) {
    return make_error(ErrorCode::kInvalidArgument, "the query is malformed");
  }
  if (query->first_repeated()) {
    return make_error(ErrorCode::kInvalidArgument, "a query parameter is repeated");
  }
  for (const auto& [name, value] : query->items()) {
    const Param* p = declared(op, name, ParamIn::kQuery);
    if (p == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "unknown query parameter");
    }
    args[name] = query_value(*p, value);
  }
  const std::string& body = req.body();
  if (body.empty()) {
    return args;
  }
  if (!op.has_body()) {
    return make_error(ErrorCode::kInvalidArgument, "this operation takes no body");
  }
  if (body.size() > max_body_bytes) {
    return http_error(413, "payload_too_large",
                      "the body is larger than " + std::to_string(max_body_bytes) + " bytes");
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
  for (auto& [name, value] : parsed->items()) {
    if (declared(op, name, ParamIn::kBody) == nullptr) {
      return make_error(ErrorCode::kInvalidArgument, "unknown member in the body");
    }
    args[name] = std::move(value);
  }
  return args;
}

}  // namespace

AdminApi::AdminApi(std::shared_ptr<const mcp::AccessPolicy> access,
                   std::shared_ptr<const OperationRunner> runner, store::Executor& executor,
                   AdminApiOptions options)
    : access_(std::move(access)),
      runner_(std::move(runner)),
      executor_(executor),
      options_(std::move(options)),
      openapi_(openapi_document(options_, runner_->page_rules().max_page_size)) {}

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
  const std::string_view path = http::target_path(req.target());
  Result<Json> result = make_error(ErrorCode::kNotFound, "no such route");
  RouteMatch m;
  if (path.size() > kApiBase.size() && path.substr(0, kApiBase.size()) == kApiBase &&
      path[kApiBase.size()] == '/') {
    m = match_route(req.method(), path.substr(kApiBase.size()));
  }
  if (m.op != nullptr) {
    const auto arguments = [&]() {
      return http_arguments(req, *m.op, m.params, options_.max_body_bytes);
    };
    result = runner_->run(caller, *m.op, arguments, "api");
  } else {
    if (m.path_known) {
      result = method_not_allowed(m.allow);
    }
    CallRecord record;
    record.channel = "api";
    record.operation = "-";
    record.status = admin_error_status(result.error());
    record.reason = m.path_known ? "method not allowed" : "no such route";
    log_admin_call(&caller, record);
  }
  if (!result) {
    return admin_error_response(result.error());
  }
  return json_ok(*result);
}

namespace {

// A request refused before it reached answer() (no valid token): its admin_call line. A plain
// function, so the JSON is not built inside the coroutine (coroutine rules).
void log_refused(unsigned status, const char* reason) {
  CallRecord record;
  record.channel = "api";
  record.operation = "-";
  record.status = static_cast<int>(status);
  record.reason = reason;
  log_admin_call(nullptr, record);
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
