#pragma once
// Password hashing with Argon2id (RFC 9106) in the PHC string format:
//   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<hash b64>
//
// Default cost: m = 19 MiB, t = 2, p = 1 (the OWASP baseline for Argon2id). Measured on the
// 2-core Debian 12 build machine (g++ -O2): about 30 ms per hash idle, 40 ms under build load;
// 32 MiB already costs 150+ ms there, so memory is not raised further. Each hash holds 19 MiB
// while it runs: bound the number of concurrent verifications (the store executor's pool
// does) so a login flood cannot exhaust memory.
//
// Thread-safe. Blocking (tens of ms): call from the store executor, never a network thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate::crypto {

struct PasswordParams {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

// Longer passwords are refused (hash) or never match (verify): bounds work per attempt.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A new PHC string for `password` with a fresh 16-byte salt and a 32-byte tag.
// kInvalidArgument for an empty or over-long password or out-of-range parameters.
Result<std::string> hash_password(std::string_view password, const PasswordParams& params = {});

// True when `password` matches `phc`. The tag is compared in constant time. Malformed PHC
// strings, other algorithms (argon2i/argon2d, bcrypt...) and absurd parameters (a corrupted or
// planted row asking for gigabytes) all return false.
bool verify_password(std::string_view password, std::string_view phc);

// True when `phc` was made with parameters other than `params` (or cannot be parsed): the
// caller re-hashes after the next successful login.
bool password_needs_rehash(std::string_view phc, const PasswordParams& params = {});

// A valid hash of a random password, made once per process. When a login names an unknown
// user, verify the presented password against this so the response takes as long as for a
// known user (no user enumeration by timing).
const std::string& dummy_password_hash();

}  // namespace mcpgate::crypto
