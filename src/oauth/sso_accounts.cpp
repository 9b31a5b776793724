#include "oauth/sso_accounts.hpp"

#include "crypto/random.hpp"

namespace mcpgate::oauth {
namespace {

constexpr std::size_t kMaxJitUsernameBytes = 64;

// Printable ASCII and any UTF-8 byte >= 0x80 are kept; blanks, controls and '@' (which would
// make the name look like a home-realm identifier) become '-'. Cut at a UTF-8 boundary.
std::string sso_clean_username(std::string_view raw) {
  std::string out;
  for (const char ch : raw) {
    const auto u = static_cast<unsigned char>(ch);
    if (u > 0x20 && u != 0x7f && ch != '@') {
      out.push_back(ch);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  if (out.size() > kMaxJitUsernameBytes) {
    std::size_t cut = kMaxJitUsernameBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) {
      --cut;  // do not split a multi-byte character
    }
    out.resize(cut);
  }
  return out;
}

std::string sso_claim_string(const nlohmann::json& claims, const std::string& path) {
  const nlohmann::json* v = identity::find_claim(claims, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::string jit_username_base(const identity::Identity& identity, const std::string& username_claim) {
  std::string name = sso_clean_username(sso_claim_string(identity.claims, username_claim));
  if (name.empty()) {
    const std::size_t at = identity.email.find('@');
    name = sso_clean_username(identity.email.substr(0, at));
  }
  return name.empty() ? std::string("user") : name;
}

std::vector<std::string> jit_username_candidates(const std::string& base) {
  std::vector<std::string> out{base};
  for (int i = 2; i <= 9; ++i) {
    out.push_back(base + "-" + std::to_string(i));
  }
  out.push_back(base + "-" + crypto::random_id().substr(0, 10));
  return out;
}

Result<SsoAccount> resolve_sso_account(store::Store& store, const SsoAccountPolicy& policy,
                                       const identity::Identity& identity, std::int64_t now) {
  store::SsoIdentity link;
  link.org_id = policy.org_id;
  link.issuer = identity.issuer;
  link.subject = identity.subject;
  link.email = identity.email;
  link.groups = identity.groups;
  link.created_at = now;
  link.last_login_at = now;

  auto existing = store.find_sso_identity(policy.org_id, identity.issuer, identity.subject);
  if (!existing && existing.error().code != ErrorCode::kNotFound) {
    return existing.error();
  }
  if (!existing && policy.jit) {
    const std::string base = jit_username_base(identity, policy.username_claim);
    for (const auto& name : jit_username_candidates(base)) {
      store::User user;
      user.id = "usr_" + crypto::random_id();
      user.username = name;
      user.created_at = now;  // no password: this user signs in through the IdP only
      user.org_id = policy.org_id;
      link.user_id = user.id;
      const Status created = store.create_sso_user(user, link);
      if (created) {
        return SsoAccount{std::move(user), true};
      }
      if (created.error().code != ErrorCode::kAlreadyExists) {
        return created.error();
      }
      // Either the name is taken or a concurrent first sign-in of the same person won.
      existing = store.find_sso_identity(policy.org_id, identity.issuer, identity.subject);
      if (existing) {
        break;
      }
      if (existing.error().code != ErrorCode::kNotFound) {
        return existing.error();
      }
    }
    if (!existing) {
      return make_error(ErrorCode::kAlreadyExists, "sso: no free username for a new user");
    }
  }
  if (!existing) {
    return make_error(ErrorCode::kPermissionDenied, "no account");
  }
  auto user = store.find_user(existing->user_id);
  if (!user) {
    return user.error();
  }
  if (user->org_id != policy.org_id) {  // the link and the user disagree: never cross orgs
    return make_error(ErrorCode::kInternal, "sso: the linked user belongs to another organization");
  }
  if (user->disabled) {
    return make_error(ErrorCode::kPermissionDenied, "disabled");
  }
  link.user_id = user->id;
  link.created_at = existing->created_at;
  MCPGATE_TRY(store.record_sso_login(link));
  return SsoAccount{std::move(user).value(), false};
}

}  // namespace mcpgate::oauth
