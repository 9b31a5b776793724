#pragma once
// The `authz:` section of the configuration: fine-grained, tool-level authorization.

#include <string>

#include "policy/decision_log.hpp"
#include "policy/tool_authorizer.hpp"

namespace mcpgate::policy {

struct PolicyOptions {
  bool enabled = false;
  // The policy: a store file (`*.fga.yaml`: model + the tuples to start with) or a model file
  // (`.fga` DSL or `.json`). Relative paths are relative to the configuration file.
  std::string store_file;
  std::string model_file;
  std::string store_name = "mcpgate";
  ToolAuthorizerOptions authorizer;  // the two checks per call (templates), anonymous identity
  DecisionLog::Options decision_log;
  // The OpenFGA-compatible management API (`/stores/...`), behind a bearer token read from a
  // file or an environment variable. Off unless a token source is configured.
  struct Api {
    bool enabled = false;
    std::string token_file;
    std::string token_env;
  } api;
};

}  // namespace mcpgate::policy
