#pragma once
// Operator commands the app's command line exposes (`mcpgate user add`, `mcpgate user passwd`,
// `mcpgate keys rotate`). All of them block on the store: run them before serving or from the
// CLI process, never on a network thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
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

// Seeds the configured users that do not exist yet (contract: "seeded at start if absent"),
// each in its organization (sync_organizations first).
Status seed_users(store::Store& store, const AuthOptions& options, std::int64_t now = system_now());

}  // namespace mcpgate::oauth
