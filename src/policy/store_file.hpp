#pragma once
// Policy files as operators write them: a model in the OpenFGA DSL (`.fga`) or JSON (`.json`),
// and the OpenFGA CLI's store file (`*.fga.yaml`: `model` or `model_file`, `tuples` or
// `tuple_file`, `tests`), which mcpgate also uses to seed its store.

#include <string>
#include <vector>

#include "authz/model.hpp"
#include "authz/tuple.hpp"
#include "core/result.hpp"

namespace mcpgate::policy {

// A model file: the DSL unless the name ends in ".json". Errors name the file and, for the
// DSL, line:column.
Result<authz::AuthorizationModel> load_model_file(const std::string& path);

struct StoreFile {
  std::string name;
  authz::AuthorizationModel model;
  std::vector<authz::TupleRecord> tuples;
};

// The model and tuples of a store file (paths inside it are relative to the file). The tests
// are not read here (`mcpgate policy test` runs them).
Result<StoreFile> load_store_file(const std::string& path);

}  // namespace mcpgate::policy
