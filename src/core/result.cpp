#include "core/result.hpp"

namespace mcpgate {

ErrorDetailPtr::ErrorDetailPtr() noexcept = default;
ErrorDetailPtr::ErrorDetailPtr(std::shared_ptr<const ErrorDetail> detail) noexcept
    : detail_(std::move(detail)) {}
ErrorDetailPtr::ErrorDetailPtr(const ErrorDetailPtr& other) noexcept = default;
ErrorDetailPtr::ErrorDetailPtr(ErrorDetailPtr&& other) noexcept = default;
ErrorDetailPtr& ErrorDetailPtr::operator=(const ErrorDetailPtr& other) noexcept = default;
ErrorDetailPtr& ErrorDetailPtr::operator=(ErrorDetailPtr&& other) noexcept = default;
ErrorDetailPtr::~ErrorDetailPtr() = default;

const ErrorDetail* ErrorDetailPtr::get() const noexcept {
  return detail_.get();
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
    case ErrorCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace mcpgate
