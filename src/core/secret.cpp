#include "core/secret.hpp"

#include <cstdlib>
#include <fstream>

namespace mcpgate {

Result<std::string> read_secret(std::string_view file, std::string_view env, std::string_view what) {
  std::string value;
  if (!file.empty()) {
    std::ifstream in{std::string(file), std::ios::binary};
    if (!in) {
      return make_error(ErrorCode::kNotFound, std::string(what) + ": " + std::string(file) + ": cannot open");
    }
    std::getline(in, value);
  } else {
    const char* v = std::getenv(std::string(env).c_str());
    if (v == nullptr) {
      return make_error(ErrorCode::kNotFound,
                        std::string(what) + ": environment variable " + std::string(env) + " is not set");
    }
    value = v;
  }
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.pop_back();
  }
  if (value.empty()) {
    return make_error(ErrorCode::kInvalidArgument, std::string(what) + ": empty");
  }
  return value;
}

}  // namespace mcpgate
