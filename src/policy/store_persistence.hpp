#pragma once
// PolicyPersistence over the store layer (src/store: SQLite or PostgreSQL): models, tuples and
// the change log every replica follows.

#include <memory>

#include "policy/policy_service.hpp"
#include "store/store.hpp"

namespace mcpgate::policy {

class StorePolicyPersistence final : public PolicyPersistence {
 public:
  explicit StorePolicyPersistence(store::Store& store) : store_(store) {}

  Status save_model(std::string_view store_id, const StoredModel& model) override;
  Result<std::vector<StoredModel>> load_models(std::string_view store_id) override;
  Result<std::uint64_t> write_tuples(std::string_view store_id,
                                     const authz::WriteRequest& request) override;
  Result<std::vector<authz::TupleRecord>> load_tuples(std::string_view store_id,
                                                      std::uint64_t& revision) override;
  Result<std::vector<authz::TupleChange>> changes_since(std::string_view store_id,
                                                        std::uint64_t revision) override;

 private:
  store::Store& store_;
};

}  // namespace mcpgate::policy
