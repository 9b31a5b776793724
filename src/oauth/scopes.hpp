#pragma once
// The configured scopes (contract `auth.scopes`, `auth.scope_implies`): validation of requested
// scope strings, the hierarchy (a scope implies others, transitively), and which MCP tools each
// scope permits.
//
// Scope strings are RFC 6749 §3.3 lists: scope-tokens (%x21 / %x23-5B / %x5D-7E) separated by
// spaces. Granted scope lists keep the configuration's order and drop duplicates, so equal sets
// print equally.
//
// Thread-safe (immutable after construction).

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oauth/options.hpp"

namespace mcpgate::oauth {

// True for an RFC 6749 scope-token.
bool valid_scope_token(std::string_view token);

// Splits a scope string on spaces (runs of spaces count as one; empty string -> empty list).
std::vector<std::string> split_scope(std::string_view scope);

// Joins with single spaces.
std::string join_scope(const std::vector<std::string>& scopes);

class ScopeSet {
 public:
  explicit ScopeSet(const AuthOptions& options);

  // Configured scope names in configuration order (scopes_supported).
  const std::vector<std::string>& names() const { return names_; }
  bool known(std::string_view scope) const;

  // Parses and validates a requested scope string: every token must be a configured scope
  // (kInvalidArgument naming the first unknown one: invalid_scope). Returns the scopes in
  // configuration order without duplicates.
  Result<std::vector<std::string>> parse(std::string_view scope) const;

  // `scopes` plus everything they imply, transitively.
  std::set<std::string> expand(const std::vector<std::string>& scopes) const;

  // True when every scope in `requested` is in `granted` or implied by it.
  bool covers(const std::vector<std::string>& granted,
              const std::vector<std::string>& requested) const;

  // `scopes` in configuration order, duplicates removed (unknown names dropped).
  std::vector<std::string> normalize(const std::vector<std::string>& scopes) const;

  // The tools a scope permits directly.
  const std::vector<std::string>& tools(std::string_view scope) const;
  // The tools a granted list permits, including through implied scopes, sorted.
  std::vector<std::string> tools_for(const std::vector<std::string>& scopes) const;
  // tool -> the scopes that permit it directly (the PRM's mcpgate_tool_scopes).
  std::map<std::string, std::vector<std::string>> tool_scopes() const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::vector<std::string>, std::less<>> tools_;
  std::map<std::string, std::vector<std::string>, std::less<>> implies_;
};

}  // namespace mcpgate::oauth
