#pragma once
// The JWS algorithms (RFC 7518 §3) this project implements. Only asymmetric ones exist here:
// "none" and the HMAC family (HS256...) have no enumerator, so no token can ever be accepted
// with them, whatever its header says or whichever key is at hand (no RS256→HS256 confusion).

#include <optional>
#include <string_view>

namespace mcpgate::crypto {

enum class JwsAlgorithm {
  kES256,  // ECDSA P-256 + SHA-256; signature is r || s, 64 bytes (RFC 7518 §3.4)
  kRS256,  // RSASSA-PKCS1-v1_5 + SHA-256
  kPS256,  // RSASSA-PSS + SHA-256, MGF1-SHA-256, salt length 32
  kEdDSA,  // Ed25519 (RFC 8037 §3.1; Ed448 is not implemented); signature is 64 bytes
};

constexpr std::string_view jws_algorithm_name(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kRS256:
      return "RS256";
    case JwsAlgorithm::kPS256:
      return "PS256";
    case JwsAlgorithm::kEdDSA:
      return "EdDSA";
  }
  return "";
}

// Exact, case-sensitive match of an "alg" value; anything we do not implement is nullopt.
constexpr std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "ES256") {
    return JwsAlgorithm::kES256;
  }
  if (name == "RS256") {
    return JwsAlgorithm::kRS256;
  }
  if (name == "PS256") {
    return JwsAlgorithm::kPS256;
  }
  if (name == "EdDSA") {
    return JwsAlgorithm::kEdDSA;
  }
  return std::nullopt;
}

}  // namespace mcpgate::crypto
