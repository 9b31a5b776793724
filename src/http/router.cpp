#include "http/router.hpp"

#include <algorithm>

namespace mcpgate::http {

void Router::add(std::string path, Handler handler) { exact_[std::move(path)] = std::move(handler); }

void Router::add_prefix(std::string prefix, Handler handler) {
  prefixes_.emplace_back(std::move(prefix), std::move(handler));
  // Longest prefix first, so the most specific one wins.
  std::sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
    return a.first.size() > b.first.size();
  });
}

const Handler* Router::find(std::string_view path) const {
  if (auto it = exact_.find(std::string(path)); it != exact_.end()) {
    return &it->second;
  }
  for (const auto& [prefix, handler] : prefixes_) {
    if (path.substr(0, prefix.size()) == prefix) {
      return &handler;
    }
  }
  return nullptr;
}

asio::awaitable<void> Router::dispatch(Exchange& ex) const {
  const Handler* handler = find(target_path(ex.request().target()));
  if (handler == nullptr) {
    co_await ex.respond(make_json_error(StatusCode::not_found, "not_found", "no such endpoint"));
    co_return;
  }
  co_await (*handler)(ex);
}

std::string_view target_path(std::string_view target) {
  auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace mcpgate::http
