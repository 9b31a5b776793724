#pragma once
// RFC 8707 resource indicators: canonicalisation and validation against the configured
// resources (ATTACKS rows 7, 8, 25).
//
// Canonical form (the policy, applied to configured and requested values alike):
//  * an absolute http or https URL (other schemes are not resources of this server);
//  * no fragment, no userinfo, no "." or ".." path segments (also not as %2e), no control
//    characters, spaces, backslashes or non-ASCII bytes: these are refused, not repaired;
//  * scheme and host lower-cased, the default port (80/443) dropped, IPv6 hosts in brackets;
//  * %-escapes: hex digits upper-cased, escapes of unreserved characters decoded;
//  * trailing slash: a bare "/" path is removed ("https://h/" == "https://h"), and one
//    trailing '/' of a longer path is removed ("https://h/mcp/" == "https://h/mcp"). MCP
//    clients disagree on it and one server cannot host two resources that differ only so;
//  * the query is kept as given (RFC 8707 discourages one but allows it).
// A token's `aud` is always the configured resource in this canonical form.
//
// Thread-safe (immutable after construction).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mcpgate::oauth {

// The canonical form of `uri`, or kInvalidArgument naming why it is not a resource URI
// (relative, fragment, not http(s), malformed).
Result<std::string> canonicalize_resource(std::string_view uri);

class ResourceSet {
 public:
  // `configured` must already be valid (validate_auth_options); invalid entries are dropped.
  explicit ResourceSet(const std::vector<std::string>& configured);

  // The configured resource `requested` names, canonicalised. kInvalidArgument for a value
  // that is not an acceptable URI, kNotFound for a valid URI this server does not serve.
  Result<std::string> match(std::string_view requested) const;

  // Resolves the `resource` parameters of a request (RFC 8707 §2: it may repeat):
  //  * none: the single configured resource, or kFailedPrecondition ("resource is required",
  //    an invalid_request) when more than one is configured;
  //  * repeated values must all name the same resource (we issue one audience per token);
  //    different ones are kInvalidArgument.
  // Errors: kInvalidArgument/kNotFound as match() (invalid_target); messages are safe to show.
  Result<std::string> resolve(const std::vector<std::string>& requested) const;

  const std::vector<std::string>& all() const { return canonical_; }
  bool contains(std::string_view canonical) const;

 private:
  std::vector<std::string> canonical_;
};

}  // namespace mcpgate::oauth
