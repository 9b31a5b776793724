#pragma once
// The bootstrap admin credential (issue 9): how the very first administrator of the gate is
// made without editing policy tuples by hand, and nothing more.
//
// At start (admin.enabled), when the operator organization (admin.operator_org) has no
// administrator — no `admin` tuple on organization:<operator_org> in its authorization store —
// and the credential was never used up, the server makes a random 256-bit token, writes it to
// <data_dir>/admin-bootstrap.token (mode 0600, created exclusively, never logged) and keeps
// only its SHA-256 in memory. The token authorizes exactly one call:
//
//   POST /admin/bootstrap  Authorization: Bearer <token>  {"user_id": "<a user of that org>"}
//
// which writes organization:<operator_org>#admin@user:<user_id> and retires the credential:
// the hash is forgotten, the token file deleted, and <data_dir>/admin-bootstrap.used written so
// no later start makes another. The credential is also refused (and retired) as soon as the
// operator organization has any administrator, however it got one (a tuple written through
// the policy API, or a group holding the role): every use checks the live policy store, so a
// token made by another replica before the first admin existed is dead too.
//
// Every failure is the same 401 (a wrong token, a retired one, none made), so the endpoint
// tells a caller nothing; the argument checks come after the token check.

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "http/exchange.hpp"
#include "http/router.hpp"
#include "policy/policy_service.hpp"
#include "store/executor.hpp"
#include "store/store.hpp"

namespace mcpgate::admin {

struct BootstrapOptions {
  std::string operator_org = "default";
  std::filesystem::path data_dir;
};

class BootstrapCredential {
 public:
  static constexpr const char* kTokenFile = "admin-bootstrap.token";
  static constexpr const char* kUsedFile = "admin-bootstrap.used";

  // Blocking, at start-up. Never fails the start for a missing policy store: the credential
  // simply is not made (kFailedPrecondition only for file errors).
  static Result<std::shared_ptr<BootstrapCredential>> start(
      BootstrapOptions options, std::shared_ptr<policy::PolicyService> operator_store);

  bool active() const;
  // Forgets the token, deletes its file and marks the credential used. Idempotent.
  void retire(std::string_view why);

  // The one call the token authorizes (see above). Blocking (the store and the policy store).
  // kUnauthenticated unless `token` is the live credential and the operator organization still
  // has no administrator; kInvalidArgument for a body without a valid user_id; kNotFound when
  // no such user exists in the operator organization.
  Result<nlohmann::json> grant_first_admin(std::string_view token, const nlohmann::json& body,
                                           store::Store& store);

 private:
  BootstrapCredential(BootstrapOptions options, std::shared_ptr<policy::PolicyService> store);
  bool operator_org_has_admin() const;
  void retire_locked(std::string_view why);

  BootstrapOptions options_;
  std::shared_ptr<policy::PolicyService> policy_;
  mutable std::mutex mu_;
  std::string token_hash_;  // SHA-256 of the token; "" = retired or never made
};

inline constexpr std::string_view kBootstrapPath = "/admin/bootstrap";
inline constexpr std::size_t kBootstrapMaxBody = 1024;

// One request to kBootstrapPath, without the network: POST only (405), `Authorization: Bearer`
// (401 otherwise, before the body is looked at), application/json (415), at most
// kBootstrapMaxBody bytes (413), then grant_first_admin. Blocking.
http::Response answer_bootstrap(BootstrapCredential& credential, store::Store& store,
                                const http::Request& req);

// Routes kBootstrapPath to answer_bootstrap on the store executor.
void mount_bootstrap(http::Router& router, std::shared_ptr<BootstrapCredential> credential,
                     store::Store& store, store::Executor& executor);

}  // namespace mcpgate::admin
