#include "admin/bootstrap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "admin/operations.hpp"
#include "core/log.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace mcpgate::admin {
namespace {

std::string bootstrap_digest(std::string_view token) { return crypto::sha256(token); }

// Creates `file` exclusively with mode 0600 and writes `text` (a leftover of an earlier start is
// removed first: only this start's token may work).
Status bootstrap_write_file(const std::filesystem::path& file, std::string_view text) {
  ::unlink(file.c_str());
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "cannot create " + file.string() + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int e = errno;
      ::close(fd);
      ::unlink(file.c_str());
      return make_error(ErrorCode::kFailedPrecondition,
                        "cannot write " + file.string() + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  return {};
}

Error bootstrap_refused() {
  return make_error(ErrorCode::kUnauthenticated, "no valid bootstrap credential");
}

}  // namespace

BootstrapCredential::BootstrapCredential(BootstrapOptions options,
                                         std::shared_ptr<policy::PolicyService> store)
    : options_(std::move(options)), policy_(std::move(store)) {}

Result<std::shared_ptr<BootstrapCredential>> BootstrapCredential::start(
    BootstrapOptions options, std::shared_ptr<policy::PolicyService> operator_store) {
  std::shared_ptr<BootstrapCredential> out(
      new BootstrapCredential(std::move(options), std::move(operator_store)));
  const auto token_file = out->options_.data_dir / kTokenFile;
  std::error_code ec;
  const bool used = std::filesystem::exists(out->options_.data_dir / kUsedFile, ec);
  if (out->policy_ == nullptr || used || out->operator_org_has_admin()) {
    // Nothing to bootstrap (again): a token file of an earlier start must not linger.
    std::filesystem::remove(token_file, ec);
    if (out->policy_ != nullptr && !used) {
      out->retire("the operator organization has an administrator");
    }
    return out;
  }
  std::string token = crypto::random_token(32);
  MCPGATE_TRY(bootstrap_write_file(token_file, token + "\n"));
  out->token_hash_ = bootstrap_digest(token);
  log::warn("admin_bootstrap_credential",
            {{"file", token_file.string()},
             {"operator_org", out->options_.operator_org},
             {"use", "POST /admin/bootstrap with Authorization: Bearer <file contents> and "
                     "{\"user_id\": ...} makes that user the first administrator"}});
  return out;
}

bool BootstrapCredential::active() const {
  const std::lock_guard lock(mu_);
  return !token_hash_.empty();
}

bool BootstrapCredential::operator_org_has_admin() const {
  authz::ReadFilter f;
  f.object = "organization:" + options_.operator_org;
  f.relation = "admin";
  return !policy_->engine().read(f, 1).empty();
}

void BootstrapCredential::retire(std::string_view why) {
  const std::lock_guard lock(mu_);
  retire_locked(why);
}

void BootstrapCredential::retire_locked(std::string_view why) {
  const bool was_active = !token_hash_.empty();
  token_hash_.clear();
  std::error_code ec;
  std::filesystem::remove(options_.data_dir / kTokenFile, ec);
  if (!std::filesystem::exists(options_.data_dir / kUsedFile, ec)) {
    if (!bootstrap_write_file(options_.data_dir / kUsedFile, std::string(why) + "\n")) {
      log::error("admin_bootstrap_marker_failed", {{"dir", options_.data_dir.string()}});
    }
  }
  if (was_active) {
    log::info("admin_bootstrap_retired", {{"why", std::string(why)}});
  }
}

Result<nlohmann::json> BootstrapCredential::grant_first_admin(std::string_view token,
                                                               const nlohmann::json& body,
                                                               store::Store& store) {
  // One caller at a time: two concurrent uses cannot both make an administrator.
  const std::lock_guard lock(mu_);
  if (token_hash_.empty() || token.empty() ||
      !crypto::constant_time_equal(bootstrap_digest(token), token_hash_)) {
    return bootstrap_refused();
  }
  if (operator_org_has_admin()) {
    retire_locked("the operator organization has an administrator");
    return bootstrap_refused();
  }
  if (!body.is_object() || body.size() != 1 || !body.contains("user_id") ||
      !body["user_id"].is_string() || !valid_id(body["user_id"].get_ref<const std::string&>())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the body must be {\"user_id\": <a user of the operator organization>}");
  }
  const std::string user_id = body["user_id"];
  auto user = store.find_user(user_id);
  if (!user || user->org_id != options_.operator_org || user->disabled) {
    if (!user && user.error().code != ErrorCode::kNotFound) {
      return user.error();
    }
    return make_error(ErrorCode::kNotFound, "no such active user in the operator organization");
  }
  authz::WriteRequest w;
  w.writes.push_back(authz::TupleRecord{"organization:" + options_.operator_org, "admin",
                                        "user:" + user_id, "", nullptr});
  MCPGATE_ASSIGN_OR_RETURN(const auto written, policy_->write_tuples(w));
  if (!written.error.ok()) {
    // The model has no organization type (or no admin relation): nothing can be granted.
    return make_error(ErrorCode::kFailedPrecondition,
                      "the operator organization's model refuses the admin tuple: " +
                          written.error.message);
  }
  retire_locked("granted the first administrator");
  log::info("admin_bootstrap_granted",
            {{"user_id", user_id}, {"operator_org", options_.operator_org}});
  return nlohmann::json{{"user_id", user_id},
                        {"organization", options_.operator_org},
                        {"relation", "admin"}};
}

}  // namespace mcpgate::admin
