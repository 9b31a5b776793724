#include "admin/errors.hpp"

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.hpp"

namespace mcpgate::admin {
namespace {

struct StatusAndCode {
  int status;
  const char* code;
};

StatusAndCode from_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return {400, "invalid_request"};
    case ErrorCode::kUnauthenticated:
      return {401, "invalid_token"};
    case ErrorCode::kPermissionDenied:
      return {403, "forbidden"};
    case ErrorCode::kNotFound:
      return {404, "not_found"};
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return {409, "conflict"};
    case ErrorCode::kResourceExhausted:
      return {429, "too_many_requests"};
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
      return {503, "unavailable"};
    case ErrorCode::kCancelled:
    case ErrorCode::kInternal:
      break;
  }
  return {500, "internal_error"};
}

const HttpErrorDetail* detail_of(const Error& error) {
  return dynamic_cast<const HttpErrorDetail*>(error.detail.get());
}

}  // namespace

Error http_error(int status, std::string code, std::string message) {
  Error e = make_error(ErrorCode::kInvalidArgument, std::move(message));
  e.detail = ErrorDetailPtr(std::make_shared<const HttpErrorDetail>(status, std::move(code)));
  return e;
}

Error http_error_with_challenge(int status, std::string code, std::string message,
                                std::string www_authenticate) {
  Error e = make_error(ErrorCode::kInvalidArgument, std::move(message));
  auto d = std::make_shared<HttpErrorDetail>(status, std::move(code));
  d->www_authenticate = std::move(www_authenticate);
  e.detail = ErrorDetailPtr(std::move(d));
  return e;
}

Error method_not_allowed(std::string allow) {
  Error e = make_error(ErrorCode::kInvalidArgument, "method not allowed");
  auto d = std::make_shared<HttpErrorDetail>(405, "method_not_allowed");
  d->allow = std::move(allow);
  e.detail = ErrorDetailPtr(std::move(d));
  return e;
}

int admin_error_status(const Error& error) {
  if (const auto* d = detail_of(error)) {
    return d->status;
  }
  return from_code(error.code).status;
}

http::Response admin_error_response(const Error& error) {
  int status = 0;
  std::string code;
  std::string message = error.message;
  const HttpErrorDetail* d = detail_of(error);
  if (d != nullptr) {
    status = d->status;
    code = d->code;
  } else {
    const StatusAndCode sc = from_code(error.code);
    status = sc.status;
    code = sc.code;
    if (status == 500) {
      // Server-side failures keep their message in the log, not on the wire.
      log::error("admin_api_internal_error", {{"error", error.message}});
      message = "internal error";
    } else if (status == 503) {
      message = "the store is unavailable; retry";
    }
  }
  const nlohmann::json body = {{"error", code}, {"error_description", message}};
  http::Response res = http::make_response(static_cast<http::StatusCode>(status), body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                           "application/json");
  res.set(http::Field::cache_control, "no-store");
  if (d != nullptr && !d->www_authenticate.empty()) {
    res.set(http::Field::www_authenticate, d->www_authenticate);
  }
  if (d != nullptr && !d->allow.empty()) {
    res.set(http::Field::allow, d->allow);
  }
  return res;
}

}  // namespace mcpgate::admin
