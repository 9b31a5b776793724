#pragma once
// HTTP message types shared by the transport (src/http) and the modules that answer requests.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using StatusCode = bhttp::status;  // not `Status`: that name is mcpgate::Status (Result<void>)
using Field = bhttp::field;

// A response with a body and content type; Content-Length is set by the transport.
Response make_response(StatusCode status, std::string body, std::string_view content_type);

// A JSON error body {"error": code, "error_description": description} with no-store caching.
Response make_json_error(StatusCode status, std::string_view code, std::string_view description);

// The value of the first field named `name` (case-insensitive), or nullopt when there is none.
std::optional<std::string_view> find_header(const Request& req, std::string_view name);

// Header value (the first field's) or empty view when absent.
std::string_view header(const Request& req, std::string_view name);

// `value` without the optional whitespace (spaces and tabs, RFC 9110 §5.6.3) around it: header
// fields, list elements, parameters.
std::string_view trim_ows(std::string_view value);

}  // namespace mcpgate::http
