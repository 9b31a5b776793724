#pragma once
// From the identity an organization's IdP vouched for to the gate user it signs in as.
//
// The key is (org_id, iss, sub) in store::SsoIdentity, never the email (ATTACKS row 64): a
// local user, or a user of another organization, whose email or username equals the IdP's
// claims is not taken over: an unknown (iss, sub) is a new user (just-in-time provisioning, when
// the organization allows it) or a refusal.
//
// Just-in-time usernames come from the organization's username claim (then the email's local
// part, then "user"), cleaned to printable characters without '@' or blanks and at most 64
// bytes; taken names get "-2" ... "-9", then a random suffix.
//
// Blocking (store calls): run on the store executor.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "identity/identity.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

struct SsoAccountPolicy {
  std::string org_id;
  bool jit = false;
  std::string username_claim = "preferred_username";
};

struct SsoAccount {
  store::User user;
  bool created = false;  // just-in-time provisioned by this sign-in
};

// kPermissionDenied with message "no account" when (org, iss, sub) is unknown and JIT is off,
// or "disabled" when the linked user is disabled; store errors otherwise.
Result<SsoAccount> resolve_sso_account(store::Store& store, const SsoAccountPolicy& policy,
                                       const identity::Identity& identity, std::int64_t now);

// The cleaned base username for a just-in-time user (never empty).
std::string jit_username_base(const identity::Identity& identity, const std::string& username_claim);

// The names tried in order for `base` (base, base-2 ... base-9, base-<random>).
std::vector<std::string> jit_username_candidates(const std::string& base);

}  // namespace mcpgate::oauth
