#pragma once
// Secure randomness from OpenSSL's CSPRNG (RAND_bytes). If the generator ever fails the process
// aborts: there is no safe fallback for keys, tokens or nonces, and continuing with predictable
// bytes would be worse than stopping.
//
// Thread-safe.

#include <cstddef>
#include <string>

namespace mcpgate::crypto {

// `n` random bytes.
std::string random_bytes(std::size_t n);

// `bytes` random bytes as unpadded base64url. The default (32 bytes = 256 bits, 43 characters)
// is what every bearer secret uses: authorization codes, refresh tokens, client secrets,
// registration access tokens (OAuth 2.1 asks for at least 128 bits, SHOULD 160).
std::string random_token(std::size_t bytes = 32);

// 16 random bytes as unpadded base64url (22 characters): ids for users, grants, jtis.
std::string random_id();

}  // namespace mcpgate::crypto
