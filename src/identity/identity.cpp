#include "identity/identity.hpp"

#include "crypto/encoding.hpp"

namespace mcpgate::identity {
namespace {

// RFC 6901 §4: "~1" is '/', "~0" is '~'; any other '~' sequence is an error.
Result<std::string> unescape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out += token[i];
      continue;
    }
    if (i + 1 >= token.size() || (token[i + 1] != '0' && token[i + 1] != '1')) {
      return invalid_argument("claim path: bad JSON Pointer escape");
    }
    out += token[i + 1] == '0' ? '~' : '/';
    ++i;
  }
  return out;
}

// The member names of a path, unescaped.
Result<std::vector<std::string>> claim_path_segments(std::string_view path) {
  if (path.empty()) {
    return invalid_argument("claim path is empty");
  }
  const bool pointer = path.front() == '/';
  const char sep = pointer ? '/' : '.';
  std::string_view rest = pointer ? path.substr(1) : path;
  std::vector<std::string> out;
  for (;;) {
    const std::size_t at = rest.find(sep);
    const std::string_view part = rest.substr(0, at);
    if (part.empty()) {
      return invalid_argument("claim path has an empty segment");
    }
    if (pointer) {
      MCPGATE_ASSIGN_OR_RETURN(auto name, unescape_pointer_token(part));
      out.push_back(std::move(name));
    } else {
      out.emplace_back(part);
    }
    if (at == std::string_view::npos) {
      break;
    }
    rest = rest.substr(at + 1);
  }
  return out;
}

}  // namespace

std::string SubjectKey::to_string() const {
  return crypto::base64url_encode(issuer) + "." + crypto::base64url_encode(subject);
}

Result<SubjectKey> SubjectKey::from_string(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) {
    return invalid_argument("subject key has no separator");
  }
  auto iss = crypto::base64url_decode(text.substr(0, dot));
  auto sub = crypto::base64url_decode(text.substr(dot + 1));
  if (!iss || !sub || iss->empty() || sub->empty()) {
    return invalid_argument("subject key is malformed");
  }
  return SubjectKey{std::move(iss).value(), std::move(sub).value()};
}

Status validate_claim_path(std::string_view path) {
  MCPGATE_ASSIGN_OR_RETURN(const auto segments, claim_path_segments(path));
  (void)segments;
  return {};
}

const nlohmann::json* find_claim(const nlohmann::json& claims, std::string_view path) {
  auto segments = claim_path_segments(path);
  if (!segments) {
    return nullptr;
  }
  const nlohmann::json* at = &claims;
  for (const auto& name : *segments) {
    if (!at->is_object()) {
      return nullptr;
    }
    const auto it = at->find(name);
    if (it == at->end()) {
      return nullptr;
    }
    at = &*it;
  }
  return at;
}

std::optional<std::string> Identity::verified_email() const {
  if (!email_verified || email.empty()) {
    return std::nullopt;
  }
  return email;
}

Result<Identity> map_identity(const nlohmann::json& claims, const ClaimMapping& mapping) {
  if (!claims.is_object()) {
    return invalid_argument("claims are not an object");
  }
  Identity id;
  const auto iss = claims.find("iss");
  const auto sub = claims.find("sub");
  if (iss == claims.end() || !iss->is_string() || iss->get_ref<const std::string&>().empty()
      || sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return invalid_argument("iss and sub must be non-empty strings");
  }
  id.issuer = iss->get<std::string>();
  id.subject = sub->get<std::string>();
  if (const auto* email = find_claim(claims, mapping.email); email && email->is_string()) {
    id.email = email->get<std::string>();
  }
  if (const auto* verified = find_claim(claims, mapping.email_verified); verified != nullptr) {
    id.email_verified = (verified->is_boolean() && verified->get<bool>())
                        || (verified->is_string() && *verified == "true");
  }
  if (const auto* name = find_claim(claims, mapping.name); name && name->is_string()) {
    id.name = name->get<std::string>();
  }
  if (const auto* groups = find_claim(claims, mapping.groups); groups != nullptr) {
    if (groups->is_string()) {
      id.groups.push_back(groups->get<std::string>());
    } else if (groups->is_array()) {
      if (groups->size() > mapping.max_groups) {
        return invalid_argument("the ID token names more groups than allowed");
      }
      for (const auto& g : *groups) {
        if (g.is_string()) {
          id.groups.push_back(g.get<std::string>());
        }
      }
    }
    for (const auto& g : id.groups) {
      if (g.empty() || g.size() > mapping.max_group_bytes) {
        return invalid_argument("a group name in the ID token is empty or too long");
      }
    }
  }
  if (const auto names = claims.find("_claim_names");
      names != claims.end() && names->is_object() && names->contains("groups")) {
    id.groups_overage = true;
  }
  if (const auto at = claims.find("auth_time"); at != claims.end() && at->is_number()) {
    const double seconds = at->get<double>();
    if (seconds > -1e15 && seconds < 1e15) {  // a cast outside int64's range is undefined
      id.auth_time = static_cast<std::int64_t>(seconds);
    }
  }
  id.claims = claims;
  return id;
}

}  // namespace mcpgate::identity
