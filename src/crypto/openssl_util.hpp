#pragma once
// Internal to the crypto module: RAII owners for OpenSSL objects and small helpers. Not for use
// outside src/crypto.

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace mcpgate::crypto::detail {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};

struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

inline const unsigned char* ubytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(
      s.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

inline unsigned char* ubytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(
      s.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// Drains OpenSSL's thread-local error queue into one line (for logs; never shown to clients).
inline std::string openssl_error(std::string_view what) {
  std::string out(what);
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    out += first ? ": " : "; ";
    out += buf.data();
    first = false;
  }
  return out;
}

}  // namespace mcpgate::crypto::detail
