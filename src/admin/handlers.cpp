#include "admin/handlers.hpp"

#include <stdexcept>

#include "crypto/encoding.hpp"

namespace mcpgate::admin {

Result<Page> page_of(const Json& args, const PageRules& rules) {
  Page p;
  p.limit = rules.default_page_size;
  if (const auto it = args.find("limit"); it != args.end() && it->is_number_integer()) {
    p.limit = it->get<std::size_t>();
  }
  if (const auto it = args.find("cursor"); it != args.end() && it->is_string()) {
    auto decoded = crypto::base64url_decode(it->get_ref<const std::string&>());
    if (!decoded || decoded->empty()) {
      return make_error(ErrorCode::kInvalidArgument, "cursor is not valid");
    }
    p.after = std::move(*decoded);
  }
  return p;
}

std::string cursor_after(std::string_view last_id) { return crypto::base64url_encode(last_id); }

std::string AdminCall::arg(std::string_view name) const {
  const auto it = args.find(std::string(name));
  if (it == args.end() || !it->is_string()) {
    return std::string();
  }
  return it->get<std::string>();
}

void OperationHandlers::add(std::string_view operation_id, OperationHandler handler) {
  if (find_operation(operation_id) == nullptr) {
    throw std::logic_error("admin handler for unknown operation " + std::string(operation_id));
  }
  if (!handlers_.emplace(std::string(operation_id), std::move(handler)).second) {
    throw std::logic_error("admin operation bound twice: " + std::string(operation_id));
  }
}

const OperationHandler* OperationHandlers::find(std::string_view operation_id) const {
  const auto it = handlers_.find(operation_id);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> OperationHandlers::missing() const {
  std::vector<std::string> out;
  for (const auto& op : operations()) {
    if (find(op.operation_id) == nullptr) {
      out.emplace_back(op.operation_id);
    }
  }
  return out;
}

}  // namespace mcpgate::admin
