#include "oauth/error_response.hpp"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "oauth/form.hpp"
#include "oauth/login_pages.hpp"

namespace mcpgate::oauth {

std::string_view oauth_error_name(OAuthErrorCode code) {
  switch (code) {
    case OAuthErrorCode::kInvalidRequest:
      return "invalid_request";
    case OAuthErrorCode::kInvalidClient:
      return "invalid_client";
    case OAuthErrorCode::kInvalidGrant:
      return "invalid_grant";
    case OAuthErrorCode::kUnauthorizedClient:
      return "unauthorized_client";
    case OAuthErrorCode::kUnsupportedGrantType:
      return "unsupported_grant_type";
    case OAuthErrorCode::kInvalidScope:
      return "invalid_scope";
    case OAuthErrorCode::kInvalidTarget:
      return "invalid_target";
    case OAuthErrorCode::kAccessDenied:
      return "access_denied";
    case OAuthErrorCode::kUnsupportedResponseType:
      return "unsupported_response_type";
    case OAuthErrorCode::kServerError:
      return "server_error";
    case OAuthErrorCode::kTemporarilyUnavailable:
    case OAuthErrorCode::kRateLimited:
      return "temporarily_unavailable";
    case OAuthErrorCode::kLoginRequired:
      return "login_required";
    case OAuthErrorCode::kConsentRequired:
      return "consent_required";
    case OAuthErrorCode::kInvalidRedirectUri:
      return "invalid_redirect_uri";
    case OAuthErrorCode::kInvalidClientMetadata:
      return "invalid_client_metadata";
    case OAuthErrorCode::kUnapprovedSoftwareStatement:
      return "unapproved_software_statement";
    case OAuthErrorCode::kInvalidToken:
      return "invalid_token";
    case OAuthErrorCode::kUnsupportedTokenType:
      return "unsupported_token_type";
  }
  return "server_error";
}

OAuthError internal_error(std::string_view event, const Error& error) {
  log::error(event, {{"error_code", error_code_name(error.code)}, {"error", error.message}});
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kDeadlineExceeded) {
    return OAuthError{OAuthErrorCode::kTemporarilyUnavailable, "try again later", 1};
  }
  return oauth_error(OAuthErrorCode::kServerError, "internal error");
}

http::StatusCode error_status(const OAuthError& error) {
  switch (error.code) {
    case OAuthErrorCode::kInvalidClient:
    case OAuthErrorCode::kInvalidToken:
      return http::StatusCode::unauthorized;
    case OAuthErrorCode::kServerError:
      return http::StatusCode::internal_server_error;
    case OAuthErrorCode::kTemporarilyUnavailable:
      return http::StatusCode::service_unavailable;
    case OAuthErrorCode::kRateLimited:
      return http::StatusCode::too_many_requests;
    default:
      return http::StatusCode::bad_request;
  }
}

http::Response json_error(const OAuthError& error) {
  nlohmann::json body = {{"error", oauth_error_name(error.code)}};
  if (!error.description.empty()) {
    body["error_description"] = error.description;
  }
  http::Response res = http::make_response(error_status(error), body.dump(), "application/json");
  res.set(http::Field::cache_control, "no-store");
  res.set(http::Field::pragma, "no-cache");
  if (error.code == OAuthErrorCode::kInvalidClient) {
    // RFC 6749 §5.2 (and RFC 9110: a 401 names its scheme).
    res.set(http::Field::www_authenticate, "Basic realm=\"mcpgate\", charset=\"UTF-8\"");
  } else if (error.code == OAuthErrorCode::kInvalidToken) {
    res.set(http::Field::www_authenticate, "Bearer error=\"invalid_token\"");
  }
  if (error.retry_after_s > 0) {
    res.set(http::Field::retry_after, std::to_string(error.retry_after_s));
  }
  return res;
}

namespace {

http::Response redirect(std::string location, http::StatusCode status) {
  http::Response res{status, 11};
  res.set(http::Field::location, location);
  res.set(http::Field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace

http::Response error_redirect(std::string_view redirect_uri, const OAuthError& error,
                              std::string_view state, std::string_view issuer,
                              http::StatusCode status) {
  std::vector<std::pair<std::string, std::string>> params;
  params.emplace_back("error", std::string(oauth_error_name(error.code)));
  if (!error.description.empty()) {
    params.emplace_back("error_description", error.description);
  }
  if (!state.empty()) {
    params.emplace_back("state", std::string(state));
  }
  params.emplace_back("iss", std::string(issuer));
  return redirect(append_query(redirect_uri, params), status);
}

http::Response code_redirect(std::string_view redirect_uri, std::string_view code,
                             std::string_view state, std::string_view issuer,
                             http::StatusCode status) {
  std::vector<std::pair<std::string, std::string>> params;
  params.emplace_back("code", std::string(code));
  if (!state.empty()) {
    params.emplace_back("state", std::string(state));
  }
  params.emplace_back("iss", std::string(issuer));
  return redirect(append_query(redirect_uri, params), status);
}

http::Response error_page(http::StatusCode status, std::string_view title,
                          std::string_view message) {
  return page_response(status, render_message_page(title, message));
}

}  // namespace mcpgate::oauth
