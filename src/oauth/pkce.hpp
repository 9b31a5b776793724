#pragma once
// PKCE (RFC 7636) as OAuth 2.1 requires it: S256 only, always.
//
// code_challenge  = BASE64URL(SHA256(code_verifier)): exactly 43 base64url characters (the
//                   encoding of 32 bytes, canonical: no padding, no stray trailing bits).
// code_verifier   = 43..128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1).
//
// Thread-safe (pure functions).

#include <string_view>

namespace mcpgate::oauth {

inline constexpr std::string_view kPkceMethodS256 = "S256";

// True for a well-formed S256 challenge (ATTACKS row 4: shorter, longer, bad characters).
bool valid_code_challenge(std::string_view challenge);

// True for a well-formed verifier (ATTACKS row 19: bad charset or length).
bool valid_code_verifier(std::string_view verifier);

// True when BASE64URL(SHA256(verifier)) equals `challenge` (compared in constant time).
bool verify_s256(std::string_view verifier, std::string_view challenge);

// BASE64URL(SHA256(verifier)): for clients and tests.
std::string s256_challenge(std::string_view verifier);

}  // namespace mcpgate::oauth
