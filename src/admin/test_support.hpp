#pragma once
// Test-only helpers shared by the admin module's tests.

#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "http/message.hpp"
#include "mcp/access.hpp"

namespace mcpgate::admin::testing {

// "Bearer <user>|<org>|<scope scope>" → that caller of client `client_id`; anything else → 401
// with a challenge. Stands in for the admin bearer guard, so the tests name callers directly.
class HeaderAccess final : public mcp::AccessPolicy {
 public:
  explicit HeaderAccess(std::string client_id) : client_id_(std::move(client_id)) {}

  std::variant<mcp::Caller, http::Response> authenticate(const http::Request& req) const override {
    const std::string value(http::header(req, "authorization"));
    if (value.rfind("Bearer ", 0) != 0) {
      http::Response r = http::make_json_error(http::StatusCode::unauthorized, "x", "y");
      r.set(http::Field::www_authenticate, "Bearer resource_metadata=\"https://gate/prm\"");
      return r;
    }
    std::vector<std::string> parts;
    std::stringstream in(value.substr(7));
    for (std::string p; std::getline(in, p, '|');) {
      parts.push_back(p);
    }
    parts.resize(3);
    mcp::Caller c;
    c.subject = parts[0];
    c.org_id = parts[1];
    c.client_id = client_id_;
    std::stringstream scopes(parts[2]);
    for (std::string s; scopes >> s;) {
      c.scopes.push_back(s);
    }
    return c;
  }
  bool may_call(const mcp::Caller&, std::string_view) const override { return true; }
  http::Response forbid_tool(const mcp::Caller&, std::string_view) const override { return {}; }

 private:
  std::string client_id_;
};

}  // namespace mcpgate::admin::testing
