#pragma once
// JWS signatures (RFC 7515) over a signing input, for the algorithms in crypto/jwa.hpp.
// ES256 signatures are in the JOSE form, r || s as two 32-byte big-endian integers (RFC 7518
// §3.4), not the DER form OpenSSL produces; the conversions are exposed for tests and interop.
//
// Thread-safe.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/jwa.hpp"
#include "crypto/jwk.hpp"

namespace mcpgate::crypto {

// Signs `signing_input` with `key` under key.alg(). Returns the raw signature bytes.
Result<std::string> jws_sign(const SigningKey& key, std::string_view signing_input);

// Verifies a raw signature. kUnauthenticated when the signature does not verify, when `key`
// cannot verify `alg` (wrong key type, or the JWK pinned another alg), or when the signature
// has the wrong length for the algorithm.
Status jws_verify(const PublicKey& key,
                  JwsAlgorithm alg,
                  std::string_view signing_input,
                  std::string_view signature);

// DER ECDSA-Sig-Value -> r || s, each left-padded to `component_bytes`.
Result<std::string> ecdsa_der_to_jose(std::string_view der, std::size_t component_bytes = 32);

// r || s (even length, at most 2 x 66 bytes) -> DER ECDSA-Sig-Value.
Result<std::string> ecdsa_jose_to_der(std::string_view raw);

}  // namespace mcpgate::crypto
