#include "oauth/scopes.hpp"

#include <algorithm>

namespace mcpgate::oauth {

bool valid_scope_token(std::string_view token) {
  if (token.empty()) {
    return false;
  }
  for (const char ch : token) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < scope.size()) {
    if (scope[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = scope.find(' ', pos);
    if (end == std::string_view::npos) {
      end = scope.size();
    }
    out.emplace_back(scope.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string join_scope(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) {
      out.push_back(' ');
    }
    out += s;
  }
  return out;
}

ScopeSet::ScopeSet(const AuthOptions& options) {
  for (const auto& s : options.scopes) {
    if (tools_.count(s.name) == 0) {
      names_.push_back(s.name);
      tools_[s.name] = s.tools;
    }
  }
  for (const auto& [scope, implied] : options.scope_implies) {
    implies_[scope] = implied;
  }
}

bool ScopeSet::known(std::string_view scope) const { return tools_.find(scope) != tools_.end(); }

Result<std::vector<std::string>> ScopeSet::parse(std::string_view scope) const {
  std::vector<std::string> requested = split_scope(scope);
  for (const auto& s : requested) {
    if (!valid_scope_token(s)) {
      return make_error(ErrorCode::kInvalidArgument, "malformed scope");
    }
    if (!known(s)) {
      return make_error(ErrorCode::kInvalidArgument, "unknown scope: " + s);
    }
  }
  return normalize(requested);
}

std::set<std::string> ScopeSet::expand(const std::vector<std::string>& scopes) const {
  std::set<std::string> out;
  std::vector<std::string> pending(scopes.begin(), scopes.end());
  while (!pending.empty()) {
    std::string s = std::move(pending.back());
    pending.pop_back();
    if (!out.insert(s).second) {
      continue;  // seen already (also ends cycles)
    }
    if (auto it = implies_.find(s); it != implies_.end()) {
      pending.insert(pending.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

bool ScopeSet::covers(const std::vector<std::string>& granted,
                      const std::vector<std::string>& requested) const {
  const std::set<std::string> have = expand(granted);
  return std::all_of(requested.begin(), requested.end(),
                     [&](const std::string& s) { return have.count(s) != 0; });
}

std::vector<std::string> ScopeSet::normalize(const std::vector<std::string>& scopes) const {
  std::vector<std::string> out;
  for (const auto& name : names_) {
    if (std::find(scopes.begin(), scopes.end(), name) != scopes.end()) {
      out.push_back(name);
    }
  }
  return out;
}

const std::vector<std::string>& ScopeSet::tools(std::string_view scope) const {
  static const std::vector<std::string> kNone;
  auto it = tools_.find(scope);
  return it == tools_.end() ? kNone : it->second;
}

std::vector<std::string> ScopeSet::tools_for(const std::vector<std::string>& scopes) const {
  std::set<std::string> out;
  for (const auto& s : expand(scopes)) {
    const auto& t = tools(s);
    out.insert(t.begin(), t.end());
  }
  return {out.begin(), out.end()};
}

std::map<std::string, std::vector<std::string>> ScopeSet::tool_scopes() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& name : names_) {
    for (const auto& tool : tools(name)) {
      out[tool].push_back(name);
    }
  }
  return out;
}

}  // namespace mcpgate::oauth
