#include "scim/error.hpp"

#include <array>
#include <utility>

namespace mcpgate::scim {

namespace {

constexpr std::array<std::pair<ScimType, std::string_view>, 10> kScimTypeNames = {{
    {ScimType::kInvalidFilter, "invalidFilter"},
    {ScimType::kTooMany, "tooMany"},
    {ScimType::kUniqueness, "uniqueness"},
    {ScimType::kMutability, "mutability"},
    {ScimType::kInvalidSyntax, "invalidSyntax"},
    {ScimType::kInvalidPath, "invalidPath"},
    {ScimType::kNoTarget, "noTarget"},
    {ScimType::kInvalidValue, "invalidValue"},
    {ScimType::kInvalidVers, "invalidVers"},
    {ScimType::kSensitive, "sensitive"},
}};

constexpr std::string_view kErrorSeparator = ": ";

}  // namespace

std::string_view scim_type_name(ScimType type) {
  for (const auto& [t, name] : kScimTypeNames) {
    if (t == type) {
      return name;
    }
  }
  return "";
}

Error scim_error(ScimType type, std::string detail) {
  const ErrorCode code = type == ScimType::kUniqueness ? ErrorCode::kAlreadyExists : ErrorCode::kInvalidArgument;
  if (type == ScimType::kNone) {
    return make_error(code, std::move(detail));
  }
  std::string message(scim_type_name(type));
  message += kErrorSeparator;
  message += detail;
  return make_error(code, std::move(message));
}

ScimType scim_type_of(const Error& error) {
  const std::string_view message = error.message;
  for (const auto& [t, name] : kScimTypeNames) {
    if (message.size() > name.size() + kErrorSeparator.size() && message.substr(0, name.size()) == name
        && message.substr(name.size(), kErrorSeparator.size()) == kErrorSeparator) {
      return t;
    }
  }
  return ScimType::kNone;
}

std::string_view scim_detail(const Error& error) {
  const ScimType type = scim_type_of(error);
  std::string_view message = error.message;
  if (type != ScimType::kNone) {
    message.remove_prefix(scim_type_name(type).size() + kErrorSeparator.size());
  }
  return message;
}

int scim_status(const Error& error) {
  switch (error.code) {
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kFailedPrecondition:
      return 412;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

nlohmann::json error_body(const Error& error) {
  nlohmann::json body = {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:Error"}},
                         {"status", std::to_string(scim_status(error))}};
  const ScimType type = scim_type_of(error);
  if (type != ScimType::kNone) {
    body["scimType"] = std::string(scim_type_name(type));
  }
  body["detail"] = std::string(scim_detail(error));
  return body;
}

}  // namespace mcpgate::scim
