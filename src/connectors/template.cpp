#include "connectors/template.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace mcpgate::connectors {

Result<std::vector<TemplatePart>> parse_template(std::string_view text) {
  std::vector<TemplatePart> parts;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      return make_error(ErrorCode::kInvalidArgument, "unbalanced '}' in template");
    }
    if (c != '{') {
      literal += c;
      ++i;
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, "unterminated '{' in template");
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char ch) {
          return std::isalnum(ch) != 0 || ch == '_' || ch == '.' || ch == '-';
        })) {
      return make_error(ErrorCode::kInvalidArgument,
                        "bad placeholder '{" + std::string(name) +
                            "}' (names are letters, digits, '_', '.', '-'; no nesting)");
    }
    if (!literal.empty()) {
      parts.push_back({false, std::move(literal)});
      literal.clear();
    }
    parts.push_back({true, std::string(name)});
    i = close + 1;
  }
  if (!literal.empty()) {
    parts.push_back({false, std::move(literal)});
  }
  return parts;
}

bool is_single_placeholder(const std::vector<TemplatePart>& parts) {
  return parts.size() == 1 && parts[0].placeholder;
}

bool is_credential_name(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view ns : {"cred.", "creds.", "credential.", "credentials.", "secret.",
                              "secrets.", "oauth.", "token.", "auth."}) {
    if (n.rfind(ns, 0) == 0) {
      return true;
    }
  }
  static constexpr std::array<std::string_view, 14> kNames = {
      "token",        "access_token", "refresh_token", "id_token",    "bearer",
      "client_secret", "secret",      "api_key",       "apikey",      "password",
      "authorization", "auth_token",  "session_token", "private_key"};
  return std::find(kNames.begin(), kNames.end(), n) != kNames.end();
}

}  // namespace mcpgate::connectors
