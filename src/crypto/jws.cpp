#include "crypto/jws.hpp"

#include <climits>

#include <openssl/rsa.h>

#include "crypto/openssl_util.hpp"

namespace mcpgate::crypto {
namespace {

using detail::BnPtr;
using detail::EcdsaSigPtr;
using detail::EvpMdCtxPtr;

constexpr std::size_t kEs256SignatureBytes = 64;
constexpr std::size_t kEd25519SignatureBytes = 64;

Error unauthenticated(const char* message) {
  return make_error(ErrorCode::kUnauthenticated, std::string("jws: ") + message);
}

// RSA-PSS per RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
bool set_padding(EVP_PKEY_CTX* pctx, JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
    case JwsAlgorithm::kEdDSA:
      return true;
    case JwsAlgorithm::kRS256:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    case JwsAlgorithm::kPS256:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1
             && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  }
  return false;
}

// Ed25519 hashes internally (PureEdDSA, RFC 8037 §3.1): OpenSSL wants no digest for it.
const EVP_MD* digest_for(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kEdDSA ? nullptr : EVP_sha256();
}

}  // namespace

Result<std::string> ecdsa_der_to_jose(std::string_view der, std::size_t component_bytes) {
  if (der.size() > LONG_MAX || component_bytes == 0 || component_bytes > 66) {
    return make_error(ErrorCode::kInvalidArgument, "jws: bad ECDSA signature");
  }
  const unsigned char* p = detail::ubytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != detail::ubytes(der) + der.size()) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "jws: bad DER ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * component_bytes, '\0');
  const int len = static_cast<int>(component_bytes);
  if (BN_bn2binpad(r, detail::ubytes(out), len) != len
      || BN_bn2binpad(s, detail::ubytes(out) + component_bytes, len) != len) {
    return make_error(ErrorCode::kInvalidArgument, "jws: ECDSA component too large");
  }
  return out;
}

Result<std::string> ecdsa_jose_to_der(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > std::size_t{2} * 66) {
    return make_error(ErrorCode::kInvalidArgument, "jws: bad raw ECDSA signature length");
  }
  const std::size_t half = raw.size() / 2;
  BnPtr r(BN_bin2bn(detail::ubytes(raw), static_cast<int>(half), nullptr));
  BnPtr s(BN_bin2bn(detail::ubytes(raw) + half, static_cast<int>(half), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return make_error(ErrorCode::kInternal, "jws: out of memory");
  }
  // The signature owns r and s now.
  (void)r.release();
  (void)s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jws: DER encode"));
  }
  std::string out(
      reinterpret_cast<const char*>(der),
      static_cast<std::size_t>(len));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  OPENSSL_free(der);
  return out;
}

Result<std::string> jws_sign(const SigningKey& key, std::string_view signing_input) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), &pctx, digest_for(key.alg()), nullptr, key.native()) != 1
      || !set_padding(pctx, key.alg())) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jws: sign init"));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, detail::ubytes(signing_input), signing_input.size())
      != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jws: sign size"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(
          ctx.get(), detail::ubytes(sig), &len, detail::ubytes(signing_input), signing_input.size())
      != 1) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jws: sign"));
  }
  sig.resize(len);
  if (key.alg() == JwsAlgorithm::kES256) {
    return ecdsa_der_to_jose(sig, kEs256SignatureBytes / 2);
  }
  return sig;
}

Status jws_verify(const PublicKey& key,
                  JwsAlgorithm alg,
                  std::string_view signing_input,
                  std::string_view signature) {
  if (!key.supports(alg)) {
    return unauthenticated("key cannot verify this algorithm");
  }
  std::string der;
  std::string_view to_check = signature;
  if (alg == JwsAlgorithm::kES256) {
    if (signature.size() != kEs256SignatureBytes) {
      return unauthenticated("ES256 signature must be 64 bytes");
    }
    auto converted = ecdsa_jose_to_der(signature);
    if (!converted) {
      return unauthenticated("bad ES256 signature");
    }
    der = std::move(converted).value();
    to_check = der;
  } else if (alg == JwsAlgorithm::kEdDSA) {
    if (signature.size() != kEd25519SignatureBytes) {
      return unauthenticated("EdDSA signature must be 64 bytes");
    }
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.native()))) {
    return unauthenticated("RSA signature has the wrong length");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, key.native()) != 1
      || !set_padding(pctx, alg)) {
    return make_error(ErrorCode::kInternal, detail::openssl_error("jws: verify init"));
  }
  const int rc = EVP_DigestVerify(ctx.get(),
                                  detail::ubytes(to_check),
                                  to_check.size(),
                                  detail::ubytes(signing_input),
                                  signing_input.size());
  // A failed verification leaves entries in the thread's error queue; do not let them leak
  // into later, unrelated error messages.
  ERR_clear_error();
  if (rc != 1) {
    return unauthenticated("signature does not verify");
  }
  return {};
}

}  // namespace mcpgate::crypto
