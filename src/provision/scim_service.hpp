#pragma once
// The SCIM 2.0 service provider's operations (RFC 7644 §3) on the store, without HTTP: what a
// directory token may see, list / get / create / replace / patch / delete of Users and Groups
// with the protocol core (src/scim) doing the checking and the store (scim_queries.hpp) the
// keeping. scim_routes.hpp puts it on HTTP.
//
// Rules:
//  * Everything is scoped to the directory's organization: another organization's resource is
//    "not found", never "forbidden", and is never listed.
//  * A SCIM user is a gate user (store/scim_types.hpp). A user going from active to inactive
//    (PUT, PATCH — including Entra's "False" — or DELETE) goes through on_user_deactivated
//    before the call returns, so the user's tokens stop working at once; reactivation only
//    re-enables login.
//  * The password attribute is write-only: it is hashed with crypto::hash_password into the
//    gate user's password and never stored in, or returned with, the resource.
//  * Errors are Results carrying a scimType where SCIM has one (scim/error.hpp); store errors
//    are turned into client-safe ones here (uniqueness, not found, a stale version as 412).
//
// Every method blocks (store, Argon2id): call it through store::Executor.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace mcpgate::provision {

struct ScimServiceOptions {
  std::string base_url;           // ".../scim/v2", no trailing slash: meta.location, Location
  std::int64_t max_results = 200;  // the page size cap (ServiceProviderConfig filter.maxResults)
  // The policy store an organization's membership tuples go to: every organization has its own
  // (app/policy_stack.hpp org_policy_store_id), so a directory's groups only ever grant within
  // its organization. Unset, or "" for an organization: none.
  std::function<std::string(std::string_view org_id)> policy_store_for;
  // Cuts a deactivated user's access (disable, revoke sessions, grants, tokens). Runs on the
  // calling (executor) thread; a failure fails the SCIM request (the directory retries).
  std::function<Status(const std::string& user_id)> on_user_deactivated;
  // A user going from inactive to active, after the store re-enabled them (lifts what
  // deactivation suspended beyond the login itself; revoked tokens stay revoked). Optional.
  std::function<Status(const std::string& user_id)> on_user_reactivated;
  std::function<std::int64_t()> clock;  // unix seconds; nullptr = the system clock
};

// The authenticated caller: one directory of one organization.
struct ScimCaller {
  std::string directory_id;
  std::string org_id;
};

struct ScimListRequest {
  std::string filter;                     // "" = none
  std::optional<std::int64_t> start_index;  // 1-based; < 1 is treated as 1
  std::optional<std::int64_t> count;        // capped at max_results; < 0 is 0
  std::string attributes;                 // attributes= / excludedAttributes= as sent
  std::string excluded_attributes;
};

// A resource as sent to the client, with its ETag (W/"<version>").
struct ScimReply {
  nlohmann::json body;
  std::string etag;
  std::string location;
};

class ScimService {
 public:
  ScimService(store::Store& store, ScimServiceOptions options);

  const ScimServiceOptions& options() const { return options_; }

  // kUnauthenticated for a missing, unknown or revoked token (one answer for all three).
  Result<ScimCaller> authenticate(std::string_view bearer_token);

  // A ListResponse.
  Result<nlohmann::json> list(const ScimCaller& caller, store::ScimKind kind,
                              const ScimListRequest& request);
  Result<ScimReply> get(const ScimCaller& caller, store::ScimKind kind, std::string_view id,
                        std::string_view attributes, std::string_view excluded);
  Result<ScimReply> create(const ScimCaller& caller, store::ScimKind kind,
                           const nlohmann::json& body);
  // expected_version: from If-Match (0 = none).
  Result<ScimReply> replace(const ScimCaller& caller, store::ScimKind kind, std::string_view id,
                            const nlohmann::json& body, std::int64_t expected_version);
  Result<ScimReply> patch(const ScimCaller& caller, store::ScimKind kind, std::string_view id,
                          const nlohmann::json& body, std::int64_t expected_version);
  Status remove(const ScimCaller& caller, store::ScimKind kind, std::string_view id,
                std::int64_t expected_version);

 private:
  std::int64_t now() const;
  std::string policy_store_of(std::string_view org_id) const;
  Result<store::ScimResource> load(const ScimCaller& caller, store::ScimKind kind,
                                   std::string_view id);
  nlohmann::json to_json(store::ScimKind kind, const store::ScimResource& r) const;
  ScimReply reply(store::ScimKind kind, const store::ScimResource& r,
                  std::string_view attributes = "", std::string_view excluded = "") const;
  // Stores `next` (a whole canonical resource) over `before`; the shared tail of PUT and PATCH.
  Result<ScimReply> store_replacement(const ScimCaller& caller, store::ScimKind kind,
                                      const store::ScimResource& before, nlohmann::json next,
                                      std::int64_t expected_version);
  Status deactivated(const std::string& user_id);

  store::Store& store_;
  ScimServiceOptions options_;
};

// The ETag of a version (W/"3"), and the version an If-Match value names (0 for "*" or an
// absent header; kFailedPrecondition for anything that is not one of our ETags).
std::string scim_etag(std::int64_t version);
Result<std::int64_t> parse_if_match(std::string_view value);

}  // namespace mcpgate::provision
