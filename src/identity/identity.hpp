#pragma once
// The person an upstream identity provider vouched for, as the gate keeps it.
//
// The account key is (iss, sub) (OIDC Core §5.7: "the sub (subject) and iss (issuer) Claims,
// used together, are the only Claims that an RP can rely upon as a stable identifier for the
// End-User"). An email address is a display attribute here: it changes, it is reassigned, and
// an IdP that does not verify it lets anyone claim anyone's address. Nothing in this module
// finds or links an account by email; verified_email() exists for a later, explicit
// per-organization domain policy to consult.
//
// Claim mapping: which claims carry email, email_verified, name and groups is configurable,
// since IdPs differ (Keycloak puts roles at realm_access.roles, Entra ID sends "groups" as
// object ids, Auth0 namespaces custom claims under URLs). A path is either dot-separated member
// names ("realm_access.roles") or, for names containing '.', an RFC 6901 JSON Pointer starting
// with '/' ("/https:~1~1example.com~1groups").
//
// Thread-safe (plain values and pure functions).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace mcpgate::identity {

// The account key. Comparison is exact (case-sensitive, no normalization): OIDC issuers and
// subjects are opaque strings.
struct SubjectKey {
  std::string issuer;
  std::string subject;

  bool operator==(const SubjectKey&) const = default;

  // A single string for a store column: base64url(issuer) "." base64url(subject). Unambiguous
  // (neither part can contain the separator) and reversible.
  std::string to_string() const;
  static Result<SubjectKey> from_string(std::string_view text);
};

struct ClaimMapping {
  std::string email = "email";
  std::string email_verified = "email_verified";
  std::string name = "name";
  std::string groups = "groups";
  std::size_t max_groups = 1000;       // more groups than this refuses the sign-in
  std::size_t max_group_bytes = 1024;  // a longer group name refuses the sign-in
};

// kInvalidArgument for an empty path, an empty segment, or a bad JSON Pointer escape.
Status validate_claim_path(std::string_view path);

// The value at `path` in `claims`, or nullptr when any step is missing or not an object.
const nlohmann::json* find_claim(const nlohmann::json& claims, std::string_view path);

struct Identity {
  std::string issuer;
  std::string subject;
  std::string email;  // "" when the mapped claim is absent or not a string
  bool email_verified = false;
  std::string name;
  std::vector<std::string> groups;
  // Entra ID sends "_claim_names": {"groups": ...} instead of the groups when a user is in too
  // many; the groups are then incomplete and must be fetched from the directory (not done here).
  bool groups_overage = false;
  std::optional<std::int64_t> auth_time;
  nlohmann::json claims;  // every claim of the validated ID token

  SubjectKey key() const { return SubjectKey{issuer, subject}; }

  // The email address only when the IdP says it verified it; never an account key.
  std::optional<std::string> verified_email() const;
};

// Builds the typed identity from validated ID token claims. iss and sub must be non-empty
// strings. email_verified accepts true/false and the strings "true"/"false" (Cognito and older
// Entra ID send strings). groups: an array (non-string entries skipped) or one string.
// kInvalidArgument when iss/sub are missing or the groups exceed the mapping's caps.
Result<Identity> map_identity(const nlohmann::json& claims, const ClaimMapping& mapping);

}  // namespace mcpgate::identity
