#pragma once
// Small HTTP helpers shared by the authorization server's endpoints: JSON answers with the
// right caching headers, CORS for the endpoints that allow it (metadata, token, JWKS,
// registration; never /authorize: RFC 9700 §2.6, ATTACKS row 61), method checks, and reading
// a form body.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/message.hpp"
#include "oauth/form.hpp"

namespace mcpgate::oauth {

// A JSON response. `no_store`: Cache-Control: no-store + Pragma: no-cache (token-bearing and
// per-request answers); otherwise `cache_max_age_s` seconds of public caching (0: no-cache).
http::Response json_response(http::StatusCode status, const nlohmann::json& body, bool no_store,
                             int cache_max_age_s = 0);

// Access-Control-Allow-Origin: * (and the headers a browser client may read).
void add_cors(http::Response& res);

// The answer to a CORS preflight (OPTIONS) for `methods` ("GET, HEAD").
http::Response cors_preflight(std::string_view methods);

// 405 with Allow (JSON body).
http::Response method_not_allowed(std::string_view allow);

// The request method, upper-case as sent ("GET", "POST", ...).
std::string_view method_of(const http::Request& req);

// True when the request carries an application/x-www-form-urlencoded body.
bool has_form_body(const http::Request& req);

// Whether a form POST may come from where its Origin header says: absent (older clients),
// "null" (what Chromium sends for a form posted from a page with Referrer-Policy: no-referrer,
// as the gate's pages are) or exactly `own_origin`. Every other origin is another site. The
// CSRF token each form carries is the check that binds a POST to its page; this one refuses
// cross-site posts early and plainly.
bool form_origin_allowed(const http::Request& req, std::string_view own_origin);

// The origin of an absolute URL ("https://h:8443"); "" when it cannot be parsed.
std::string origin_of(std::string_view url);

// The path of an absolute URL ("https://h/a/b?x" -> "/a/b"; "" for none).
std::string path_of(std::string_view url);

}  // namespace mcpgate::oauth
