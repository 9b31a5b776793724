#pragma once
// Signing keys of the authorization server (ES256, P-256) and their life cycle:
//
//   next  -> published in the JWKS, not yet signing (so resource servers that cache the JWKS
//            already know it when it starts signing: ATTACKS row 38)
//   active -> signs new access tokens (exactly one)
//   retired -> still published until every token it signed has expired
//              (retired_at + the longest access-token lifetime + clock leeway), then deleted
//
// The first start generates an active and a next key. rotate_signing_keys() (the
// `mcpgate keys rotate` CLI hook) promotes next to active, retires the old active key and adds
// a fresh next key. A running server picks the change up on its next refresh(): the
// AuthorizationServer refreshes every minute, so tokens signed by the previous key stay
// verifiable throughout (that key is retired, not gone).
//
// Private keys are sealed at rest by the store (AES-256-GCM under the master key).
//
// Thread-safety: current() may be called from any thread at any time (it returns an immutable
// snapshot); refresh() and the free functions block on the store: call them through the
// store::Executor or at start-up.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "crypto/jwk.hpp"
#include "store/store.hpp"

namespace mcpgate::oauth {

// How long a retired key stays published: longest access-token lifetime + leeway.
inline constexpr std::int64_t kKeyRetireAfterS = 900 + 120;

// One consistent view of the keys.
struct SigningKeys {
  std::optional<crypto::SigningKey> active;  // signs new tokens
  crypto::JwkSet verification;                // active + next + retired public keys
  nlohmann::json jwks = nlohmann::json::object();  // {"keys": [...]}: the /jwks.json document
};

class KeyManager {
 public:
  KeyManager(store::Store& store, std::int64_t retire_after_s = kKeyRetireAfterS)
      : store_(store), retire_after_s_(retire_after_s) {}

  // Blocking. Makes sure an active and a next key exist (generating them on first start),
  // deletes retired keys past their publication window, and loads a new snapshot.
  // kFailedPrecondition when stored keys cannot be unsealed (wrong master key).
  Status refresh(std::int64_t now);

  // The current snapshot (never null once refresh() succeeded; an empty one before).
  std::shared_ptr<const SigningKeys> current() const;

 private:
  store::Store& store_;
  const std::int64_t retire_after_s_;
  mutable std::mutex mu_;
  std::shared_ptr<const SigningKeys> current_ = std::make_shared<SigningKeys>();
};

// Blocking. Ensures an active and a next key exist. Safe against a concurrent start of another
// process on the same database (a lost race re-reads).
Status ensure_signing_keys(store::Store& store, std::int64_t now);

// Blocking. The CLI hook `mcpgate keys rotate`: next -> active, active -> retired, a new next
// key; retired keys older than `retire_after_s` are deleted. Returns the kid of the key that is
// now active.
Result<std::string> rotate_signing_keys(store::Store& store, std::int64_t now,
                                        std::int64_t retire_after_s = kKeyRetireAfterS);

}  // namespace mcpgate::oauth
