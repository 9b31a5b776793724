// POST /admin/bootstrap: the HTTP side of the bootstrap admin credential (bootstrap.hpp).
#include <exception>
#include <utility>

#include "admin/bootstrap.hpp"
#include "admin/errors.hpp"
#include "core/log.hpp"
#include "mcp/json_io.hpp"

namespace mcpgate::admin {
namespace {

http::Response bootstrap_refusal(const Error& e) {
  log::warn("admin_bootstrap_refused", {{"reason", e.message}});
  if (e.code == ErrorCode::kUnauthenticated) {
    return admin_error_response(http_error_with_challenge(
        401, "invalid_token", "a valid bootstrap credential is required", "Bearer"));
  }
  return admin_error_response(e);
}

}  // namespace

http::Response answer_bootstrap(BootstrapCredential& credential, store::Store& store,
                                const http::Request& req) {
  if (req.method() != http::bhttp::verb::post) {
    return admin_error_response(method_not_allowed("POST"));
  }
  const std::string_view auth = http::header(req, "authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (auth.size() <= kScheme.size() || auth.substr(0, kScheme.size()) != kScheme) {
    return bootstrap_refusal(make_error(ErrorCode::kUnauthenticated, "no bearer credential"));
  }
  const std::string_view token = auth.substr(kScheme.size());
  if (req.body().size() > kBootstrapMaxBody) {
    return admin_error_response(http_error(413, "payload_too_large", "the body is too large"));
  }
  const std::string_view type = http::header(req, "content-type");
  if (type.substr(0, type.find(';')) != "application/json") {
    return admin_error_response(
        http_error(415, "unsupported_media_type", "the body must be application/json"));
  }
  // Unreadable JSON is passed on as discarded: grant_first_admin checks the token first (401
  // for a wrong one whatever the body), then refuses the body (400).
  const auto body = nlohmann::json::parse(req.body(), nullptr, false);
  auto granted = credential.grant_first_admin(token, body, store);
  if (!granted) {
    return bootstrap_refusal(granted.error());
  }
  http::Response res = http::make_response(http::StatusCode::ok, mcp::dump_json(*granted),
                                           "application/json");
  res.set(http::Field::cache_control, "no-store");
  return res;
}

// Outside the anonymous namespace: the lambda handed to Executor::run must have a type with
// linkage (g++ -Wsubobject-linkage in unity builds).
asio::awaitable<void> serve_bootstrap(std::shared_ptr<BootstrapCredential> credential,
                                      store::Store* store, store::Executor* executor,
                                      http::Exchange& ex) {
  http::Response res;
  try {
    // [&]: this coroutine stays suspended until the task returns (coroutine rules).
    auto task = [&] { return answer_bootstrap(*credential, *store, ex.request()); };
    res = co_await executor->run(std::move(task));
  } catch (const std::exception& e) {
    log::error("admin_bootstrap_exception", {{"error", e.what()}});
    res = admin_error_response(make_error(ErrorCode::kInternal, e.what()));
  }
  co_await ex.respond(std::move(res));
}

void mount_bootstrap(http::Router& router, std::shared_ptr<BootstrapCredential> credential,
                     store::Store& store, store::Executor& executor) {
  store::Store* s = &store;
  store::Executor* e = &executor;
  router.add(std::string(kBootstrapPath), [credential, s, e](http::Exchange& ex) {
    return serve_bootstrap(credential, s, e, ex);
  });
}

}  // namespace mcpgate::admin
