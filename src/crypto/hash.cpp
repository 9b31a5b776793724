#include "crypto/hash.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "crypto/openssl_util.hpp"

namespace mcpgate::crypto {
namespace {

[[noreturn]] void die(const char* what) {
  // These only fail on allocation failure or a broken OpenSSL install.
  std::fprintf(stderr, "mcpgate: %s failed\n", what);
  std::abort();
}

// The digest algorithms, fetched from the default provider once. EVP_sha256() is a legacy
// handle that OpenSSL 3 fetches again (a lock on the provider store) on every EVP_Digest: about
// half of a short input's hashing time, and SHA-256 runs several times per gateway call (the
// token cache key, the audit record's argument digest and its chain hash). Never freed: they
// live as long as the process's use of OpenSSL.
const EVP_MD* fetched_digest(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    die(name);
  }
  return md;
}

const EVP_MD* sha256_md() {
  static const EVP_MD* const md = fetched_digest("SHA256");
  return md;
}

const EVP_MD* sha512_md() {
  static const EVP_MD* const md = fetched_digest("SHA512");
  return md;
}

// One digest context per thread, re-initialised for each hash: EVP_Digest would allocate and
// free a context (and the provider's state inside it) every time.
void digest_into(const EVP_MD* md, std::string_view data, std::string& out, const char* what) {
  thread_local const detail::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1
      || EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1
      || EVP_DigestFinal_ex(ctx.get(), detail::ubytes(out), &len) != 1 || len != out.size()) {
    die(what);
  }
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(kSha256Size, '\0');
  digest_into(sha256_md(), data, out, "SHA-256");
  return out;
}

std::string sha512(std::string_view data) {
  std::string out(kSha512Size, '\0');
  digest_into(sha512_md(), data, out, "SHA-512");
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(kSha256Size, '\0');
  unsigned int len = 0;
  // HMAC() wants a non-null key pointer even for an empty key.
  static const unsigned char zero_byte = 0;
  const unsigned char* key_ptr = key.empty() ? &zero_byte : detail::ubytes(key);
  if (HMAC(EVP_sha256(),
           key_ptr,
           static_cast<int>(key.size()),
           detail::ubytes(data),
           data.size(),
           detail::ubytes(out),
           &len)
          == nullptr
      || len != kSha256Size) {
    die("HMAC-SHA256");
  }
  return out;
}

std::string hkdf_sha256(std::string_view ikm,
                        std::string_view salt,
                        std::string_view info,
                        std::size_t length) {
  struct KdfFree {
    void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
  };

  struct KdfCtxFree {
    void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
  };

  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) {
    die("HKDF fetch");
  }
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) {
    die("HKDF context");
  }
  std::string digest = "SHA256";
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads them here.
  std::string ikm_copy(ikm);
  std::string salt_copy(salt);
  std::string info_copy(info);
  std::array<OSSL_PARAM, 5> params{};
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_copy.data(), ikm_copy.size());
  if (!salt_copy.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size());
  }
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(), info_copy.size());
  params[n] = OSSL_PARAM_construct_end();
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), detail::ubytes(out), out.size(), params.data()) != 1) {
    die("HKDF derive");
  }
  OPENSSL_cleanse(ikm_copy.data(), ikm_copy.size());
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mcpgate::crypto
