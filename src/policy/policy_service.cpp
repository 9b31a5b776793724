#include "policy/policy_service.hpp"

#include <algorithm>
#include <chrono>

#include "crypto/random.hpp"

namespace mcpgate::policy {

std::string ulid_from_bytes(std::string_view bytes) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  // 128 bits as 26 base32 digits, most significant first: 130 bit positions, the first two zero
  // (so the first digit is 0-7, as in every valid ULID).
  std::string out(26, '0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned v = 0;
    for (std::size_t b = 0; b < 5; ++b) {
      const std::size_t bit = i * 5 + b;  // position among 130; bits 0 and 1 are padding
      const std::size_t data_bit = bit - 2;
      const bool one = bit >= 2 && data_bit / 8 < bytes.size() &&
                       ((static_cast<unsigned char>(bytes[data_bit / 8]) >> (7 - data_bit % 8)) & 1u) != 0;
      v = (v << 1) | (one ? 1u : 0u);
    }
    out[i] = kAlphabet[v];
  }
  return out;
}

std::string new_ulid() {
  // 48-bit millisecond time, big-endian, then 80 random bits.
  const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  std::string bytes(6, '\0');
  for (int i = 0; i < 6; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (8 * (5 - i))) & 0xff);
  }
  bytes += crypto::random_bytes(10);
  return ulid_from_bytes(bytes);
}

PolicyService::PolicyService(std::string store_id,
                             std::string store_name,
                             std::shared_ptr<authz::Engine> engine,
                             std::shared_ptr<PolicyPersistence> persistence)
    : store_id_(std::move(store_id)),
      store_name_(std::move(store_name)),
      engine_(std::move(engine)),
      persistence_(std::move(persistence)) {}

Result<std::string> PolicyService::write_model(const authz::AuthorizationModel& model) {
  MCPGATE_TRY(authz::validate_model(model));
  StoredModel stored;
  stored.id = new_ulid();
  stored.created_at = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  stored.model = model;
  stored.model.id = stored.id;
  std::lock_guard lock(mu_);
  if (persistence_) {
    MCPGATE_TRY(persistence_->save_model(store_id_, stored));
  }
  MCPGATE_TRY(engine_->set_model(stored.model));
  models_.push_back(std::move(stored));
  return models_.back().id;
}

std::vector<StoredModel> PolicyService::models() const {
  std::lock_guard lock(mu_);
  return {models_.rbegin(), models_.rend()};
}

Result<StoredModel> PolicyService::find_model(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const auto& m : models_) {
    if (m.id == id) {
      return m;
    }
  }
  return make_error(ErrorCode::kNotFound, "authorization model not found");
}

std::string PolicyService::current_model_id() const {
  std::lock_guard lock(mu_);
  return models_.empty() ? std::string() : models_.back().id;
}

Result<authz::WriteResult> PolicyService::write_tuples(const authz::WriteRequest& request) {
  std::lock_guard lock(mu_);
  if (!persistence_) {
    return engine_->write(request);
  }
  authz::WriteResult result;
  // The model's rules first (the database only knows tuples), then the database decides
  // existence atomically and numbers the change; the engine applies it at that revision.
  result.error = engine_->validate_write(request);
  if (!result.error.ok()) {
    return result;
  }
  auto revision = persistence_->write_tuples(store_id_, request);
  if (!revision) {
    switch (revision.error().code) {
      case ErrorCode::kAlreadyExists:
      case ErrorCode::kNotFound:
        result.error = {authz::FgaErrorCode::kInvalidWriteInput, revision.error().message};
        return result;
      case ErrorCode::kInvalidArgument:
        result.error = {authz::FgaErrorCode::kValidationError, revision.error().message};
        return result;
      default:
        return revision.error();
    }
  }
  MCPGATE_TRY(catch_up_locked());
  result.revision = *revision;
  return result;
}

Status PolicyService::load() {
  std::lock_guard lock(mu_);
  if (!persistence_) {
    return {};
  }
  MCPGATE_ASSIGN_OR_RETURN(auto models, persistence_->load_models(store_id_));
  if (!models.empty()) {
    MCPGATE_TRY(engine_->set_model(models.back().model));
  }
  models_ = std::move(models);
  return reload_tuples_locked();
}

Status PolicyService::catch_up() {
  std::lock_guard lock(mu_);
  if (!persistence_) {
    return {};
  }
  return catch_up_locked();
}

Status PolicyService::reload_tuples_locked() {
  std::uint64_t revision = 0;
  MCPGATE_ASSIGN_OR_RETURN(auto tuples, persistence_->load_tuples(store_id_, revision));
  return engine_->load(tuples, revision);
}

Status PolicyService::catch_up_locked() {
  // Models written through another replica: the newest becomes current here too.
  // (Cheap enough once a second: a store has few models.)
  for (int round = 0; round < 100; ++round) {
    MCPGATE_ASSIGN_OR_RETURN(auto changes, persistence_->changes_since(store_id_, engine_->revision()));
    if (changes.empty()) {
      return {};
    }
    std::size_t i = 0;
    while (i < changes.size()) {
      const std::uint64_t rev = changes[i].revision;
      authz::WriteRequest w;
      for (; i < changes.size() && changes[i].revision == rev; ++i) {
        (changes[i].op == authz::TupleChange::Op::kWrite ? w.writes : w.deletes).push_back(changes[i].tuple);
      }
      if (rev <= engine_->revision()) {
        continue;
      }
      if (auto st = engine_->replicate(w, rev); !st) {
        // The engine's content and the log disagree (a gap, a change applied twice): take the
        // database's state as a whole.
        return reload_tuples_locked();
      }
    }
  }
  return {};
}

bool PolicyService::persistent() const { return persistence_ != nullptr; }

}  // namespace mcpgate::policy
