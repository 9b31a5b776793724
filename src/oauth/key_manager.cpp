#include "oauth/key_manager.hpp"

#include <algorithm>
#include <vector>

#include "core/log.hpp"

namespace mcpgate::oauth {
namespace {

Result<store::SigningKeyRecord> generate_record(store::KeyState state, std::int64_t now) {
  auto key = crypto::SigningKey::generate(crypto::JwsAlgorithm::kES256);
  if (!key) {
    return key.error();
  }
  auto pem = key->to_pem();
  if (!pem) {
    return pem.error();
  }
  store::SigningKeyRecord record;
  record.kid = key->kid();
  record.alg = "ES256";
  record.private_pem = std::move(pem).value();
  record.public_jwk = key->public_jwk();
  record.state = state;
  record.created_at = now;
  if (state == store::KeyState::kActive) {
    record.activated_at = now;
  }
  return record;
}

// Adds a generated key; a duplicate active key (another process won the race) is not an error.
Status add_generated(store::Store& store, store::KeyState state, std::int64_t now) {
  auto record = generate_record(state, now);
  if (!record) {
    return record.error();
  }
  auto st = store.add_signing_key(*record);
  if (!st && st.error().code != ErrorCode::kAlreadyExists) {
    return st;
  }
  if (st) {
    log::info("signing_key_added", {{"kid", record->kid}, {"state", store::key_state_name(state)}});
  }
  return {};
}

const store::SigningKeyRecord* find_state(const std::vector<store::SigningKeyRecord>& keys,
                                          store::KeyState state) {
  for (const auto& k : keys) {
    if (k.state == state) {
      return &k;
    }
  }
  return nullptr;
}

Status delete_expired_retired(store::Store& store, const std::vector<store::SigningKeyRecord>& keys,
                              std::int64_t now, std::int64_t retire_after_s) {
  for (const auto& k : keys) {
    if (k.state == store::KeyState::kRetired && k.retired_at &&
        *k.retired_at + retire_after_s <= now) {
      auto st = store.delete_signing_key(k.kid);
      if (!st && st.error().code != ErrorCode::kNotFound) {
        return st;
      }
      log::info("signing_key_deleted", {{"kid", k.kid}});
    }
  }
  return {};
}

}  // namespace

Status ensure_signing_keys(store::Store& store, std::int64_t now) {
  auto keys = store.list_signing_keys();
  if (!keys) {
    return keys.error();
  }
  if (find_state(*keys, store::KeyState::kActive) == nullptr) {
    if (const auto* next = find_state(*keys, store::KeyState::kNext); next != nullptr) {
      auto st = store.activate_signing_key(next->kid, now);
      if (!st && st.error().code != ErrorCode::kFailedPrecondition) {
        return st;
      }
    } else {
      MCPGATE_TRY(add_generated(store, store::KeyState::kActive, now));
    }
    keys = store.list_signing_keys();
    if (!keys) {
      return keys.error();
    }
  }
  if (find_state(*keys, store::KeyState::kNext) == nullptr) {
    MCPGATE_TRY(add_generated(store, store::KeyState::kNext, now));
  }
  return {};
}

Result<std::string> rotate_signing_keys(store::Store& store, std::int64_t now,
                                        std::int64_t retire_after_s) {
  MCPGATE_TRY(ensure_signing_keys(store, now));
  MCPGATE_ASSIGN_OR_RETURN(auto keys, store.list_signing_keys());
  const auto* next = find_state(keys, store::KeyState::kNext);
  if (next == nullptr) {
    return make_error(ErrorCode::kInternal, "no next signing key after ensure");
  }
  const std::string kid = next->kid;
  MCPGATE_TRY(store.activate_signing_key(kid, now));
  MCPGATE_TRY(add_generated(store, store::KeyState::kNext, now));
  MCPGATE_ASSIGN_OR_RETURN(keys, store.list_signing_keys());
  MCPGATE_TRY(delete_expired_retired(store, keys, now, retire_after_s));
  log::info("signing_keys_rotated", {{"active_kid", kid}});
  return kid;
}

Status KeyManager::refresh(std::int64_t now) {
  MCPGATE_TRY(ensure_signing_keys(store_, now));
  MCPGATE_ASSIGN_OR_RETURN(auto keys, store_.list_signing_keys());
  MCPGATE_TRY(delete_expired_retired(store_, keys, now, retire_after_s_));

  auto snapshot = std::make_shared<SigningKeys>();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& record : keys) {
    if (record.state == store::KeyState::kRetired && record.retired_at &&
        *record.retired_at + retire_after_s_ <= now) {
      continue;  // just deleted
    }
    auto alg = crypto::parse_jws_algorithm(record.alg);
    if (!alg) {
      log::warn("signing_key_unusable", {{"kid", record.kid}, {"alg", record.alg}});
      continue;
    }
    if (record.state == store::KeyState::kActive) {
      auto key = crypto::SigningKey::from_pem(record.private_pem, *alg);
      if (!key) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "active signing key " + record.kid + " does not load: " + key.error().message);
      }
      snapshot->active = std::move(key).value();
    }
    auto pub = crypto::PublicKey::from_jwk(record.public_jwk);
    if (!pub) {
      log::warn("signing_key_unusable", {{"kid", record.kid}, {"error", pub.error().message}});
      continue;
    }
    list.push_back(pub->to_jwk());
    snapshot->verification.add(std::move(pub).value());
  }
  if (!snapshot->active) {
    return make_error(ErrorCode::kFailedPrecondition, "no active signing key");
  }
  snapshot->jwks = nlohmann::json{{"keys", std::move(list)}};
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(snapshot);
  return {};
}

std::shared_ptr<const SigningKeys> KeyManager::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace mcpgate::oauth
