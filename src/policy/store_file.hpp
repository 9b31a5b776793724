#pragma once
// Policy files as operators write them: a model in the OpenFGA DSL (`.fga`) or JSON (`.json`),
// and the OpenFGA CLI's store file (`*.fga.yaml`: `model` or `model_file`, `tuples`,
// `tuple_file` or `tuple_files`, `tests`). One loader serves `serve` (which seeds its store from
// it) and `mcpgate policy test` (which runs its tests), so both read a file the same way.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "authz/model.hpp"
#include "authz/tuple.hpp"
#include "core/result.hpp"

namespace mcpgate::policy {

// A model file: the DSL unless the name ends in ".json". Errors name the file and, for the
// DSL, line:column.
Result<authz::AuthorizationModel> load_model_file(const std::string& path);

// A store file with its tests, every referenced file loaded.
struct StoreFile {
  std::string name;
  authz::AuthorizationModel model;  // validated
  std::vector<authz::TupleRecord> tuples;  // `tuples`, then `tuple_file` / `tuple_files` (YAML or CSV)
  YAML::Node tests;                 // `tests` as written (`mcpgate policy test` runs them)
  std::filesystem::path dir;        // the store file's folder: references are relative to it
};

// Loads a store file. Files it names must stay inside its folder (symlinks resolved) unless
// `allow_external`. Errors name the file and, for models, line:column.
Result<StoreFile> load_store_file(const std::string& path, bool allow_external = false);

// A file named inside a store file, resolved against `base` under the same rule.
Result<std::filesystem::path> resolve_policy_file(const std::filesystem::path& base, const std::string& ref,
                                                  bool allow_external);

// A tuple file: YAML (a list of {user, relation, object, condition?}) or CSV (by extension).
Result<std::vector<authz::TupleRecord>> load_tuple_file(const std::filesystem::path& path);

// A YAML list of tuples ({user, relation, object, condition?: {name, context?}}); `where`
// prefixes error messages.
Result<std::vector<authz::TupleRecord>> tuples_from_yaml(const YAML::Node& list, const std::string& where);

// A scalar node's text; "" for a missing or non-scalar node.
std::string yaml_scalar(const YAML::Node& node);

// YAML -> JSON for condition contexts (quoted scalars stay strings; bounded depth).
nlohmann::json yaml_to_json(const YAML::Node& node, int depth = 0);

}  // namespace mcpgate::policy
