// How presented secrets are hashed and checked (store.hpp): one definition for both stores and
// the OAuth client authenticator.
#include <string>

#include "crypto/hash.hpp"
#include "store/store.hpp"

namespace mcpgate::store {

std::string hash_secret(std::string_view secret) {
  return crypto::sha256(secret);
}

bool client_secret_accepted(std::optional<std::string_view> stored_hash,
                            bool disabled,
                            Timestamp expires_at,
                            std::string_view presented_hash,
                            Timestamp now) {
  constexpr std::size_t kHashBytes = 32;  // what hash_secret() gives
  static const std::string kNothingStored(kHashBytes, '\0');
  // A stored value of any other size (an empty one included) is no hash: it matches nothing.
  const bool stored = stored_hash && stored_hash->size() == kHashBytes;
  const bool match =
      crypto::constant_time_equal(stored ? *stored_hash : kNothingStored, presented_hash);
  return stored && match && !disabled && (expires_at == 0 || now < expires_at);
}

}  // namespace mcpgate::store
