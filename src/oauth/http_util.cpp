#include "oauth/http_util.hpp"

#include "http/client.hpp"

namespace mcpgate::oauth {

http::Response json_response(http::StatusCode status, const nlohmann::json& body, bool no_store,
                             int cache_max_age_s) {
  http::Response res = http::make_response(status, body.dump(), "application/json");
  if (no_store) {
    res.set(http::Field::cache_control, "no-store");
    res.set(http::Field::pragma, "no-cache");
  } else if (cache_max_age_s > 0) {
    res.set(http::Field::cache_control, "public, max-age=" + std::to_string(cache_max_age_s));
  } else {
    res.set(http::Field::cache_control, "no-cache");
  }
  return res;
}

void add_cors(http::Response& res) {
  res.set(http::Field::access_control_allow_origin, "*");
  res.set(http::Field::access_control_expose_headers, "WWW-Authenticate, Retry-After");
}

http::Response cors_preflight(std::string_view methods) {
  http::Response res{http::StatusCode::no_content, 11};
  add_cors(res);
  res.set(http::Field::access_control_allow_methods, methods);
  res.set(http::Field::access_control_allow_headers, "Authorization, Content-Type, Accept, DPoP");
  res.set(http::Field::access_control_max_age, "600");
  res.set(http::Field::allow, methods);
  return res;
}

http::Response method_not_allowed(std::string_view allow) {
  http::Response res = http::make_json_error(http::StatusCode::method_not_allowed, "invalid_request",
                                             "method not allowed");
  res.set(http::Field::allow, allow);
  return res;
}

std::string_view method_of(const http::Request& req) { return req.method_string(); }

bool has_form_body(const http::Request& req) {
  return media_type_is(http::header(req, "Content-Type"), "application/x-www-form-urlencoded");
}

bool form_origin_allowed(const http::Request& req, std::string_view own_origin) {
  const std::string_view origin = http::header(req, "Origin");
  return origin.empty() || origin == "null" || origin == own_origin;
}

std::string origin_of(std::string_view url) {
  auto parsed = http::parse_url(url);
  if (!parsed) {
    return {};
  }
  return parsed->scheme + "://" + parsed->authority();
}

std::string path_of(std::string_view url) {
  auto parsed = http::parse_url(url);
  if (!parsed) {
    return {};
  }
  std::string target = parsed->target;
  const std::size_t q = target.find('?');
  if (q != std::string::npos) {
    target.resize(q);
  }
  return target == "/" ? std::string() : target;
}

}  // namespace mcpgate::oauth
