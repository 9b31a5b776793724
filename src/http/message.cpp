#include "http/message.hpp"

#include <nlohmann/json.hpp>

namespace mcpgate::http {

Response make_response(StatusCode status, std::string body, std::string_view content_type) {
  Response res{status, 11};
  res.set(Field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response make_json_error(StatusCode status, std::string_view code, std::string_view description) {
  nlohmann::json body = {{"error", code}, {"error_description", description}};
  // Descriptions may quote client input: invalid UTF-8 becomes U+FFFD instead of throwing.
  Response res = make_response(status,
                               body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                               "application/json");
  res.set(Field::cache_control, "no-store");
  return res;
}

std::string_view trim_ows(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  return value;
}

std::string_view header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) {
    return {};
  }
  return it->value();
}

}  // namespace mcpgate::http
