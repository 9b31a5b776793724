#include "crypto/random.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>

#include <openssl/rand.h>

#include "crypto/encoding.hpp"
#include "crypto/openssl_util.hpp"

namespace mcpgate::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, INT_MAX);
    if (RAND_bytes(detail::ubytes(out) + done, static_cast<int>(chunk)) != 1) {
      std::fputs("mcpgate: RAND_bytes failed; refusing to continue without a secure RNG\n", stderr);
      std::abort();
    }
    done += chunk;
  }
  return out;
}

std::string random_token(std::size_t bytes) {
  return base64url_encode(random_bytes(bytes));
}

std::string random_id() {
  return base64url_encode(random_bytes(16));
}

}  // namespace mcpgate::crypto
