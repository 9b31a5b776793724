#pragma once
// Secrets kept out of configuration files: the first line of a file (a mounted secret) or an
// environment variable. One reader for every such setting (the PostgreSQL password, the policy
// API's admin token, the CLI's token), so they all trim and fail the same way.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mcpgate {

// Reads the secret from `file` when it is non-empty, else from the environment variable `env`.
// Trailing CR, LF and blanks are dropped. kNotFound: the file cannot be opened or the variable is
// unset; kInvalidArgument: the secret is empty. `what` names the setting in messages (never the
// value).
Result<std::string> read_secret(std::string_view file, std::string_view env, std::string_view what);

}  // namespace mcpgate
