#include "provision/scim_routes.hpp"

#include <charconv>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/ascii.hpp"
#include "core/log.hpp"
#include "mcp/json_io.hpp"
#include "oauth/form.hpp"
#include "scim/error.hpp"
#include "scim/schema.hpp"

namespace mcpgate::provision {
namespace {

using Json = nlohmann::json;
using scim::ScimType;
using store::ScimKind;

constexpr std::size_t kScimMaxJsonDepth = 32;
constexpr const char* kScimContentType = "application/scim+json";

http::Response scim_json(http::StatusCode status, const Json& body) {
  http::Response res = http::make_response(status, mcp::dump_json(body), kScimContentType);
  res.set(http::Field::cache_control, "no-store");
  return res;
}

http::Response with_status(int status, const Error& error) {
  Json body = scim::error_body(error);
  body["status"] = std::to_string(status);
  http::Response res = scim_json(static_cast<http::StatusCode>(status), body);
  if (status == 401) {
    res.set(http::Field::www_authenticate, "Bearer realm=\"scim\"");
  }
  return res;
}

// Errors of the transport itself, with statuses scim_status does not derive from a code. They
// carry a typed detail so the mapping point below recognises them.
struct ScimHttpStatus final : ErrorDetail {
  explicit ScimHttpStatus(int s) : status(s) {}
  int status;
};

Error transport_error(int status, std::string message) {
  Error e = make_error(ErrorCode::kInvalidArgument, std::move(message));
  e.detail = ErrorDetailPtr(std::make_shared<const ScimHttpStatus>(status));
  return e;
}

Error unsupported_media_type() {
  return transport_error(415, "Content-Type must be application/scim+json or application/json");
}

Json service_provider_config(const ScimService& service) {
  const std::string& base = service.options().base_url;
  Json config = {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
      {"patch", {{"supported", true}}},
      {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", {{"supported", true}, {"maxResults", service.options().max_results}}},
      {"changePassword", {{"supported", true}}},
      {"sort", {{"supported", false}}},
      {"etag", {{"supported", true}}},
      {"meta",
       {{"resourceType", "ServiceProviderConfig"}, {"location", base + "/ServiceProviderConfig"}}}};
  config["authenticationSchemes"] =
      Json::array({{{"type", "oauthbearertoken"},
                    {"name", "Directory token"},
                    {"description", "A bearer token made by `mcpgate scim token create`"},
                    {"primary", true}}});
  return config;
}

Json list_of(Json resources) {
  const auto n = static_cast<std::int64_t>(resources.size());
  Json out = {{"schemas", {std::string(scim::kListResponseMessageId)}},
              {"totalResults", n},
              {"startIndex", 1},
              {"itemsPerPage", n}};
  out["Resources"] = std::move(resources);
  return out;
}

// /Schemas, /Schemas/{id}, /ResourceTypes, /ResourceTypes/{id}.
http::Response discovery(const ScimService& service, std::string_view collection,
                         std::string_view id) {
  const std::string& base = service.options().base_url;
  Json all = Json::array();
  if (collection == "Schemas") {
    for (const auto* s : {&scim::user_schema(), &scim::group_schema(),
                          &scim::enterprise_user_schema()}) {
      all.push_back(scim::schema_to_json(*s, base));
    }
  } else {
    for (const auto* t : {&scim::user_resource_type(), &scim::group_resource_type()}) {
      all.push_back(scim::resource_type_to_json(*t, base));
    }
  }
  if (id.empty()) {
    return scim_json(http::StatusCode::ok, list_of(std::move(all)));
  }
  for (auto& item : all) {
    if (ascii::iequals(item.value("id", std::string()), id)) {
      return scim_json(http::StatusCode::ok, item);
    }
  }
  return scim_error_response(make_error(ErrorCode::kNotFound, "no such " + std::string(collection)));
}

std::optional<std::string> param(const oauth::Params& params, std::string_view name) {
  for (const auto& [key, value] : params.items()) {
    if (ascii::iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

// An integer query parameter; values beyond int64 saturate (a huge count is capped later).
Result<std::optional<std::int64_t>> integer_param(const oauth::Params& params,
                                                  std::string_view name) {
  const auto text = param(params, name);
  if (!text) {
    return std::optional<std::int64_t>();
  }
  std::string_view digits = *text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) {
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 64) {
    return scim::scim_error(ScimType::kInvalidValue, std::string(name) + " must be an integer");
  }
  for (const char c : digits) {
    if (!ascii::is_digit(c)) {
      return scim::scim_error(ScimType::kInvalidValue, std::string(name) + " must be an integer");
    }
  }
  std::int64_t value = 0;
  if (std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc()) {
    value = std::numeric_limits<std::int64_t>::max();
  }
  return std::optional<std::int64_t>(negative ? -value : value);
}

bool json_content_type(std::string_view value) {
  const auto semicolon = value.find(';');
  const std::string_view type = http::trim_ows(value.substr(0, semicolon));
  return ascii::iequals(type, "application/scim+json") || ascii::iequals(type, "application/json");
}

Result<Json> body_of(const http::Request& req) {
  if (!json_content_type(http::header(req, "content-type"))) {
    return unsupported_media_type();
  }
  auto parsed = mcp::parse_json(req.body(), kScimMaxJsonDepth);
  if (!parsed) {
    return scim::scim_error(ScimType::kInvalidSyntax, "the body is not valid JSON");
  }
  if (!parsed->is_object()) {
    return scim::scim_error(ScimType::kInvalidSyntax, "the body must be a JSON object");
  }
  return parsed;
}

std::string_view bearer_of(const http::Request& req) {
  const std::string_view value = http::trim_ows(http::header(req, "authorization"));
  if (value.size() < 7 || !ascii::iequals(value.substr(0, 7), "Bearer ")) {
    return {};
  }
  return http::trim_ows(value.substr(7));
}

http::Response resource_response(http::StatusCode status, const ScimReply& reply) {
  http::Response res = scim_json(status, reply.body);
  res.set(http::Field::etag, reply.etag);
  if (status == http::StatusCode::created) {
    res.set(http::Field::location, reply.location);
  }
  return res;
}

http::Response method_not_allowed() {
  return scim_error_response(transport_error(405, "method not allowed"));
}

// Users and Groups.
http::Response resources(ScimService& service, const ScimCaller& caller, ScimKind kind,
                         std::string_view id, const http::Request& req,
                         const oauth::Params& query) {
  const auto method = req.method();
  const auto text_param = [&](std::string_view name) { return param(query, name).value_or(""); };
  std::int64_t if_match = 0;
  if (const auto header = http::header(req, "if-match"); !header.empty()) {
    auto v = parse_if_match(header);
    if (!v) {
      return scim_error_response(v.error());
    }
    if_match = *v;
  }
  if (id.empty()) {
    if (method == http::bhttp::verb::get) {
      ScimListRequest list;
      list.filter = text_param("filter");
      list.attributes = text_param("attributes");
      list.excluded_attributes = text_param("excludedAttributes");
      auto start = integer_param(query, "startIndex");
      auto count = integer_param(query, "count");
      if (!start || !count) {
        return scim_error_response(!start ? start.error() : count.error());
      }
      list.start_index = *start;
      list.count = *count;
      auto page = service.list(caller, kind, list);
      return page ? scim_json(http::StatusCode::ok, *page) : scim_error_response(page.error());
    }
    if (method == http::bhttp::verb::post) {
      auto body = body_of(req);
      if (!body) {
        return scim_error_response(body.error());
      }
      auto made = service.create(caller, kind, *body);
      return made ? resource_response(http::StatusCode::created, *made)
                  : scim_error_response(made.error());
    }
    return method_not_allowed();
  }
  switch (method) {
    case http::bhttp::verb::get: {
      auto got = service.get(caller, kind, id, text_param("attributes"),
                             text_param("excludedAttributes"));
      return got ? resource_response(http::StatusCode::ok, *got) : scim_error_response(got.error());
    }
    case http::bhttp::verb::put:
    case http::bhttp::verb::patch: {
      auto body = body_of(req);
      if (!body) {
        return scim_error_response(body.error());
      }
      auto done = method == http::bhttp::verb::put
                      ? service.replace(caller, kind, id, *body, if_match)
                      : service.patch(caller, kind, id, *body, if_match);
      return done ? resource_response(http::StatusCode::ok, *done)
                  : scim_error_response(done.error());
    }
    case http::bhttp::verb::delete_: {
      auto done = service.remove(caller, kind, id, if_match);
      if (!done) {
        return scim_error_response(done.error());
      }
      http::Response res{http::StatusCode::no_content, 11};
      return res;
    }
    default:
      return method_not_allowed();
  }
}

}  // namespace

http::Response scim_error_response(const Error& error) {
  int status = scim::scim_status(error);
  if (const auto* http_status = dynamic_cast<const ScimHttpStatus*>(error.detail.get())) {
    status = http_status->status;
  }
  if (status >= 500) {
    // The store's or a library's words stay in the log; the client learns only the class.
    log::warn("scim_request_failed", {{"code", error_code_name(error.code)}, {"error", error.message}});
    return with_status(status, make_error(error.code, status == 503 ? "temporarily unavailable, retry"
                                                                   : "internal error"));
  }
  return with_status(status, error);
}

http::Response answer_scim_request(ScimService& service, const http::Request& req,
                                   const ScimRoutesOptions& options) {
  std::string_view path = http::target_path(req.target());
  path.remove_prefix(std::min(path.size(), std::string_view(kScimBasePath).size()));
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  const auto slash = path.find('/');
  const std::string_view collection = path.substr(0, slash);
  std::string_view id = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  if (!id.empty() && id.back() == '/') {
    id.remove_suffix(1);
  }
  auto caller = service.authenticate(bearer_of(req));
  if (!caller) {
    return scim_error_response(caller.error());
  }
  if (req.body().size() > options.max_body_bytes) {
    return scim_error_response(transport_error(413, "the request body is too large"));
  }
  if (id.find('/') != std::string_view::npos) {
    return scim_error_response(make_error(ErrorCode::kNotFound, "no such endpoint"));
  }
  // A filter may be 4096 bytes (scim::FilterLimits), more once percent-encoded: the query's own
  // limits sit above that so an oversized filter is reported as one (invalidFilter).
  oauth::FormLimits query_limits;
  query_limits.max_bytes = 64 * 1024;
  query_limits.max_value_bytes = 16 * 1024;
  auto query = oauth::parse_form(oauth::query_of(req.target()), query_limits);
  if (!query) {
    return scim_error_response(
        scim::scim_error(ScimType::kInvalidValue, "the query string is malformed or too large"));
  }
  if (collection == "Users" || collection == "Groups") {
    const ScimKind kind = collection == "Users" ? ScimKind::kUser : ScimKind::kGroup;
    return resources(service, *caller, kind, id, req, *query);
  }
  const bool discovery_path =
      collection == "ServiceProviderConfig" || collection == "Schemas" || collection == "ResourceTypes";
  if (!discovery_path) {
    return scim_error_response(make_error(ErrorCode::kNotFound, "no such endpoint"));
  }
  if (req.method() != http::bhttp::verb::get) {
    return method_not_allowed();
  }
  if (collection == "ServiceProviderConfig") {
    return id.empty() ? scim_json(http::StatusCode::ok, service_provider_config(service))
                      : scim_error_response(make_error(ErrorCode::kNotFound, "no such endpoint"));
  }
  return discovery(service, collection, id);
}

namespace {

class ScimHttp {
 public:
  ScimHttp(std::shared_ptr<ScimService> service, store::Executor& executor,
           ScimRoutesOptions options)
      : service_(std::move(service)), executor_(executor), options_(options) {}

  asio::awaitable<void> handle(http::Exchange& ex) {
    // The whole request runs on the executor: authentication, the store and Argon2id block.
    // The exchange (and its request) stays put while this coroutine is suspended.
    const http::Request& req = ex.request();
    http::Response res;
    try {
      res = co_await executor_.run([&] { return answer_scim_request(*service_, req, options_); });
    } catch (const std::exception& e) {
      log::error("scim_request_threw", {{"what", e.what()}});
      res = scim_error_response(make_error(ErrorCode::kInternal, "internal error"));
    }
    co_await ex.respond(std::move(res));
  }

 private:
  std::shared_ptr<ScimService> service_;
  store::Executor& executor_;
  ScimRoutesOptions options_;
};

}  // namespace

void mount_scim_routes(http::Router& router, std::shared_ptr<ScimService> service,
                       store::Executor& executor, ScimRoutesOptions options) {
  auto scim_http = std::make_shared<ScimHttp>(std::move(service), executor, options);
  http::Handler handler = [scim_http](http::Exchange& ex) { return scim_http->handle(ex); };
  router.add(kScimBasePath, handler);
  router.add_prefix(std::string(kScimBasePath) + "/", handler);
}

}  // namespace mcpgate::provision
