#pragma once
// Hashes and MACs on OpenSSL: SHA-256, SHA-512, HMAC-SHA256, HKDF-SHA256, and constant-time
// comparison.
// Outputs are raw bytes in a std::string; encode them (crypto/encoding.hpp) for text.
//
// Thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace mcpgate::crypto {

inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kSha512Size = 64;

// SHA-256 of `data` (32 raw bytes).
std::string sha256(std::string_view data);

// SHA-512 of `data` (64 raw bytes); OpenID Connect's at_hash/c_hash for EdDSA (Ed25519) tokens.
std::string sha512(std::string_view data);

// HMAC-SHA256 of `data` under `key` (RFC 2104; 32 raw bytes). Any key length.
std::string hmac_sha256(std::string_view key, std::string_view data);

// HKDF-SHA256 (RFC 5869) extract-and-expand: `length` bytes from input keying material `ikm`,
// optional `salt`, and a context string `info` that separates uses of the same key.
std::string hkdf_sha256(std::string_view ikm,
                        std::string_view salt,
                        std::string_view info,
                        std::size_t length = 32);

// True when a and b are equal. The time taken depends only on the lengths, never on where the
// contents differ (CRYPTO_memcmp). Use for every comparison involving a secret, a MAC or a hash
// of a secret. Different lengths return false at once (lengths are not secret here: every
// compared value is a fixed-size digest or MAC).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mcpgate::crypto
