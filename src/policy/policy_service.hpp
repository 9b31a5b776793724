#pragma once
// PolicyService: the one authorization store (OpenFGA "store") the gate enforces — its current
// model, its model history and its tuples — kept in the authz engine for microsecond checks
// and, when a persistence backend is attached, written through to the database first so every
// replica converges on the same state (it polls for changes made elsewhere).
//
// Everything that changes policy goes through here: the OpenFGA-compatible API
// (openfga_api.hpp), the `mcpgate tuples` / `policy` CLI, the seed of the demo store. Checks go
// straight to engine().
//
// Threading: engine() queries never block. Writes and model changes may block on storage: call
// them off the network threads (store::Executor).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "authz/engine.hpp"
#include "authz/model.hpp"
#include "core/result.hpp"

namespace mcpgate::policy {

struct StoredModel {
  std::string id;            // ULID, as OpenFGA assigns
  std::int64_t created_at = 0;  // unix seconds
  authz::AuthorizationModel model;
};

// Where policy state lives beyond this process (src/store tables on SQLite or PostgreSQL).
// Null persistence: memory only (tests, `mcpgate policy test`).
class PolicyPersistence {
 public:
  virtual ~PolicyPersistence() = default;
  virtual Status save_model(std::string_view store_id, const StoredModel& model) = 0;
  virtual Result<std::vector<StoredModel>> load_models(std::string_view store_id) = 0;
  // Applies writes and deletes atomically (OpenFGA semantics: writing an existing tuple or
  // deleting a missing one fails the whole call) and returns the new revision.
  virtual Result<std::uint64_t> write_tuples(std::string_view store_id,
                                             const authz::WriteRequest& request) = 0;
  virtual Result<std::vector<authz::TupleRecord>> load_tuples(std::string_view store_id,
                                                              std::uint64_t& revision) = 0;
  virtual Result<std::vector<authz::TupleChange>> changes_since(std::string_view store_id,
                                                                std::uint64_t revision) = 0;
};

class PolicyService {
 public:
  PolicyService(std::string store_id,
                std::string store_name,
                std::shared_ptr<authz::Engine> engine,
                std::shared_ptr<PolicyPersistence> persistence = nullptr);

  const std::string& store_id() const { return store_id_; }
  const std::string& store_name() const { return store_name_; }
  const authz::Engine& engine() const { return *engine_; }
  std::shared_ptr<const authz::Engine> shared_engine() const { return engine_; }

  // Validates, stores and activates a model; returns its new id. kInvalidArgument with the
  // validation message for a bad model.
  Result<std::string> write_model(const authz::AuthorizationModel& model);
  // Newest first (OpenFGA's ReadAuthorizationModels order).
  std::vector<StoredModel> models() const;
  Result<StoredModel> find_model(std::string_view id) const;
  std::string current_model_id() const;

  // Validates against the current model, persists, applies to the engine. The FgaError in the
  // result carries validation failures (2003 existing/missing tuple, 2027 not allowed by the
  // model, ...); an Error is a storage failure (kUnavailable: retry).
  Result<authz::WriteResult> write_tuples(const authz::WriteRequest& request);

  // Start-up / catch-up with persistent storage (no-ops without persistence): load() takes the
  // newest stored model and every tuple; catch_up() applies the changes other replicas made
  // since the engine's revision (run it periodically).
  Status load();
  Status catch_up();
  bool persistent() const;

 private:
  std::string store_id_;
  std::string store_name_;
  std::shared_ptr<authz::Engine> engine_;
  std::shared_ptr<PolicyPersistence> persistence_;
  mutable std::mutex mu_;           // models_ and the write path
  std::vector<StoredModel> models_;  // oldest first

  Status catch_up_locked();
  Status reload_tuples_locked();
};

// A new ULID (26 characters, Crockford base32, time-ordered): OpenFGA's id format for stores
// and models.
std::string new_ulid();
// The ULID spelling of 16 bytes (fewer are zero-padded at the end): for ids derived from other
// data, such as a store id from its name.
std::string ulid_from_bytes(std::string_view bytes);

}  // namespace mcpgate::policy
