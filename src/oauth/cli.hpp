#pragma once
// Operator commands the app's command line exposes (`mcpgate user add`, `mcpgate user passwd`,
// `mcpgate user disable|enable`, `mcpgate keys rotate`). All of them block on the store: run them before serving or from the
// CLI process, never on a network thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "oauth/deprovisioning.hpp"
#include "oauth/key_manager.hpp"  // rotate_signing_keys()
#include "oauth/options.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

// 1..64 characters of letters, digits and . _ @ + - (kInvalidArgument otherwise).
Status validate_username(std::string_view username);

// Creates a user of organization `org_id` with an Argon2id password hash. kAlreadyExists when
// the name is taken in that organization (case-insensitively); kInvalidArgument for a bad name,
// organization id or an empty/over-long password; kNotFound when the organization does not
// exist. The user id (`id`, or "usr_" + 128 random bits when empty) is what access tokens carry
// as `sub` and what policies name.
Status add_user(store::Store& store, std::string_view username, std::string_view password,
                std::int64_t now = system_now(), std::string_view id = {},
                std::string_view org_id = store::kDefaultOrgId);

// Replaces a user's password and revokes the user's grants (refresh families and live access
// tokens: ATTACKS row 32). kNotFound for an unknown user.
Status set_user_password(store::Store& store, std::string_view username, std::string_view password,
                         std::int64_t now = system_now(),
                         std::string_view org_id = store::kDefaultOrgId);

// The user an operator names: a user id or a username. With `org_id` "" an id of any
// organization or a username of the default organization; otherwise only a user of `org_id`.
// kNotFound when nothing matches; kInvalidArgument when `ref` is one user's id and another's
// username (ambiguous: use the id), or `org_id` is not a valid organization id.
Result<store::User> find_user_ref(store::Store& store, std::string_view ref,
                                  std::string_view org_id = {});

// `mcpgate user disable|enable`: deprovisioning through the same operation SCIM uses
// (UserDeprovisioning). The running servers learn it from the store (deprovisioning.hpp).
// Returns the line to print.
Result<std::string> disable_user(store::Store& store, std::string_view ref,
                                 std::string_view org_id = {});
Result<std::string> enable_user(store::Store& store, std::string_view ref,
                                std::string_view org_id = {});

// Seeds the configured users that do not exist yet (contract: "seeded at start if absent"),
// each in its organization (sync_organizations first).
Status seed_users(store::Store& store, const AuthOptions& options, std::int64_t now = system_now());

}  // namespace mcpgate::oauth
