#include "oauth/pkce.hpp"

#include <string>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace mcpgate::oauth {
namespace {

bool is_verifier_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

bool valid_code_challenge(std::string_view challenge) {
  if (challenge.size() != 43) {
    return false;
  }
  // The strict decoder refuses anything but canonical unpadded base64url.
  auto bytes = crypto::base64url_decode(challenge);
  return bytes.has_value() && bytes->size() == crypto::kSha256Size;
}

bool valid_code_verifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) {
    return false;
  }
  for (const char c : verifier) {
    if (!is_verifier_char(c)) {
      return false;
    }
  }
  return true;
}

std::string s256_challenge(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

bool verify_s256(std::string_view verifier, std::string_view challenge) {
  return crypto::constant_time_equal(s256_challenge(verifier), challenge);
}

}  // namespace mcpgate::oauth
