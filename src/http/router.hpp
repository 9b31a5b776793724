#pragma once
// Router: maps a request path to a handler. Exact paths first, then the longest matching prefix
// (prefixes end with '/'). Built once at start-up; read-only afterwards.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/exchange.hpp"

namespace mcpgate::http {

class Router {
 public:
  void add(std::string path, Handler handler);
  void add_prefix(std::string prefix, Handler handler);
  // The handler for `path` (without query), or nullptr.
  const Handler* find(std::string_view path) const;

  // Handles the exchange: routes it, or answers 404.
  asio::awaitable<void> dispatch(Exchange& ex) const;

 private:
  std::unordered_map<std::string, Handler> exact_;
  std::vector<std::pair<std::string, Handler>> prefixes_;
};

// The path part of a request target ("/mcp?x=1" → "/mcp").
std::string_view target_path(std::string_view target);

}  // namespace mcpgate::http
