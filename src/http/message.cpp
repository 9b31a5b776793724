#include "http/message.hpp"

#include <boost/beast/core/string.hpp>
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

std::optional<std::string_view> find_header(const Request& req, std::string_view name) {
  // A request carries a handful of fields: a scan that rejects on length first is several
  // times cheaper than Beast's find(), which maps the name to a known field and then walks its
  // tree comparing names case-insensitively. With a repeated field, the first one counts.
  for (const auto& field : req) {
    const std::string_view n = field.name_string();
    if (n.size() == name.size() && boost::beast::iequals(n, name)) {
      return field.value();
    }
  }
  return std::nullopt;
}

std::string_view header(const Request& req, std::string_view name) {
  return find_header(req, name).value_or(std::string_view{});
}

}  // namespace mcpgate::http
