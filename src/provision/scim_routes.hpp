#pragma once
// The SCIM 2.0 HTTP endpoints (RFC 7644) under /scim/v2: Users, Groups (collection and item),
// ServiceProviderConfig, Schemas[/{id}], ResourceTypes[/{id}].
//
//  * Every route needs `Authorization: Bearer <directory token>` (scim_service.hpp
//    authenticate); without a valid one: 401 with a SCIM error body.
//  * Request bodies: application/scim+json or application/json (415 otherwise), at most
//    max_body_bytes (413), JSON nested at most 32 deep, an object (400 invalidSyntax).
//  * Query: filter, startIndex, count, attributes, excludedAttributes (names ignoring case);
//    malformed numbers are 400 invalidValue; count is capped at maxResults, startIndex < 1 is 1.
//  * ETags: every resource carries meta.version and an ETag header; If-Match on PUT, PATCH and
//    DELETE must name the current version (412 otherwise).
//  * Errors leave in the SCIM error schema ({"schemas":[…Error],"status":"400","scimType":…})
//    from one place (scim_error_response); server-side failures never show their message.
//
// Handlers run the whole request on the store executor (it blocks on the store and Argon2id).

#include <cstddef>
#include <memory>

#include "http/router.hpp"
#include "provision/scim_service.hpp"
#include "store/executor.hpp"

namespace mcpgate::provision {

inline constexpr const char* kScimBasePath = "/scim/v2";

struct ScimRoutesOptions {
  std::size_t max_body_bytes = 1 << 20;
};

void mount_scim_routes(http::Router& router, std::shared_ptr<ScimService> service,
                       store::Executor& executor, ScimRoutesOptions options = {});

// One request answered synchronously (the handler runs this on the executor); for tests.
http::Response answer_scim_request(ScimService& service, const http::Request& request,
                                   const ScimRoutesOptions& options);

// The one place where an Error becomes a SCIM error response.
http::Response scim_error_response(const Error& error);

}  // namespace mcpgate::provision
