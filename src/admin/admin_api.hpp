#pragma once
// The Admin API over HTTP (issue 9 item 1): JSON under /admin/api/v1 (the operations of
// operations.hpp) and its OpenAPI 3.1 document at /admin/openapi.json.
//
// Life of a call (mount_admin_api's handler):
//   1. authenticate() — network thread, no I/O: the bearer guard of the admin resource
//      (public_url + "/admin", RFC 8707): an access token from the gate's own authorization
//      server whose audience is the admin API (a token for /mcp is refused here, and an admin
//      token at /mcp). 401 with the guard's WWW-Authenticate challenge otherwise.
//   2. confirm() — the guard's store check that the token's organization is still the user's.
//   3. answer() — on the store executor: route (404, 405 with Allow), then the runner
//      (runner.hpp: scope, least privilege, arguments, handler, record) with the arguments
//      gathered from the path, the query and the JSON body (400/413/415).
//
// Every error body is admin_error_response's (errors.hpp).

#include <cstddef>
#include <memory>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "admin/runner.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "mcp/access.hpp"
#include "store/executor.hpp"

namespace mcpgate::admin {

struct AdminApiOptions {
  std::size_t max_body_bytes = 64 * 1024;  // POST bodies (413 above)
  std::string public_url;                  // servers[0].url of the OpenAPI document
  std::string resource;                    // the admin API's resource id (documented)
  std::string issuer;                      // the authorization server (its /authorize, /token)
};

class AdminApi {
 public:
  // `access`: the admin resource's bearer guard; `executor` must outlive the API.
  AdminApi(std::shared_ptr<const mcp::AccessPolicy> access,
           std::shared_ptr<const OperationRunner> runner, store::Executor& executor,
           AdminApiOptions options);

  // One request (mount_admin_api's handler): keeps `api` alive until the response is sent.
  static asio::awaitable<void> serve(std::shared_ptr<const AdminApi> api, http::Exchange& ex);

  // The steps of serve(), for tests. answer() blocks (the store).
  std::variant<mcp::Caller, http::Response> authenticate(const http::Request& request) const;
  http::Response answer(const mcp::Caller& caller, const http::Request& request) const;

  const nlohmann::json& openapi() const { return openapi_; }
  const mcp::AccessPolicy& access() const { return *access_; }
  store::Executor& executor() const { return executor_; }

 private:
  std::shared_ptr<const mcp::AccessPolicy> access_;
  std::shared_ptr<const OperationRunner> runner_;
  store::Executor& executor_;
  AdminApiOptions options_;
  nlohmann::json openapi_;
};

// Routes /admin/openapi.json and /admin/api/v1/... to `api`.
void mount_admin_api(http::Router& router, std::shared_ptr<const AdminApi> api);

// The OpenAPI 3.1 document of operations() (openapi.cpp).
nlohmann::json openapi_document(const AdminApiOptions& options, std::size_t max_page_size);

}  // namespace mcpgate::admin
