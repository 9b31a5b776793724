#pragma once
// The few cryptographic primitives the protocol layer needs, on OpenSSL.

#include <string>
#include <string_view>

namespace mcpgate::mcp {

// `n` bytes from OpenSSL's CSPRNG. Aborts the process if the generator fails (never fall back to
// a predictable source for session ids).
std::string random_bytes(size_t n);

// A session id: 32 random bytes as base64url (visible ASCII, 43 characters).
std::string random_token();

// HMAC-SHA256 of `data` under `key` (raw 32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);

// Constant-time equality for MACs.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mcpgate::mcp
