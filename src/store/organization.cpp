#include "store/types.hpp"

namespace mcpgate::store {

bool is_valid_org_id(std::string_view id) {
  if (id.empty() || id.size() > 63) {
    return false;
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (c != '-' || i == 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace mcpgate::store
