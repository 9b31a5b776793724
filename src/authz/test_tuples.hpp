#pragma once
// The tuple shorthand of the engine and tuple-store tests.

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "authz/tuple.hpp"

namespace mcpgate::authz::test_support {

// t("doc:1", "viewer", "user:anne") — object first, as the tests read.
inline TupleRecord t(std::string object, std::string relation, std::string user, std::string condition = {},
              nlohmann::json context = nullptr) {
  return TupleRecord{std::move(object), std::move(relation), std::move(user), std::move(condition),
                     std::move(context)};
}

}  // namespace mcpgate::authz::test_support
