#include "app/policy_stack.hpp"

#include <set>

#include "core/log.hpp"
#include "core/secret.hpp"
#include "crypto/hash.hpp"
#include "policy/store_persistence.hpp"
#include "policy/store_file.hpp"
#include "store/types.hpp"

namespace mcpgate::app {
namespace {

Result<std::string> read_token(const policy::PolicyOptions::Api& api) {
  MCPGATE_ASSIGN_OR_RETURN(std::string token,
                           read_secret(api.token_file, api.token_env,
                                       api.token_file.empty() ? "authz.api.token_env" : "authz.api.token_file"));
  // A guessable admin token is a master key: refuse short ones.
  if (token.size() < 32) {
    return make_error(ErrorCode::kInvalidArgument, "the authz API token must be at least 32 characters");
  }
  return token;
}

}  // namespace

std::string client_kind_of(const std::set<std::string, std::less<>>& static_client_ids,
                           std::string_view client_id) {
  if (client_id.rfind("https://", 0) == 0) {
    return "cimd";
  }
  return static_client_ids.count(client_id) != 0 ? "static" : "dcr";
}

std::string policy_store_id(std::string_view store_name) {
  return policy::ulid_from_bytes(crypto::sha256("mcpgate policy store\n" + std::string(store_name)).substr(0, 16));
}

std::string org_policy_store_id(std::string_view store_name, std::string_view org_id) {
  if (org_id == store::kDefaultOrgId) {
    return policy_store_id(store_name);
  }
  // Organization ids never contain '\n' (store::is_valid_org_id): the pair is unambiguous.
  return policy::ulid_from_bytes(crypto::sha256("mcpgate organization policy store\n" + std::string(org_id) +
                                                "\n" + std::string(store_name))
                                     .substr(0, 16));
}

std::string org_policy_store_name(std::string_view store_name, std::string_view org_id) {
  if (org_id == store::kDefaultOrgId) {
    return std::string(store_name);
  }
  return std::string(store_name) + "/" + std::string(org_id);
}

Result<authz::AuthorizationModel> load_policy_model(const policy::PolicyOptions& o) {
  if (!o.store_file.empty()) {
    MCPGATE_ASSIGN_OR_RETURN(auto file, policy::load_store_file(o.store_file));
    return std::move(file.model);
  }
  return policy::load_model_file(o.model_file);
}

Result<bool> make_model_current(policy::PolicyService& service,
                                const authz::AuthorizationModel& model) {
  const std::string model_id = service.current_model_id();
  if (!model_id.empty()) {
    MCPGATE_ASSIGN_OR_RETURN(auto current, service.find_model(model_id));
    // Compared without ids: a stored model carries its id, a model read from a file has none.
    authz::AuthorizationModel running = std::move(current.model);
    authz::AuthorizationModel wanted = model;
    running.id.clear();
    wanted.id.clear();
    if (authz::model_to_json(running) == authz::model_to_json(wanted)) {
      return false;
    }
  }
  MCPGATE_TRY(service.write_model(model));
  return true;
}

Result<bool> make_model_current(const policy::OrgStores& stores,
                                const authz::AuthorizationModel& model) {
  bool changed = false;
  for (const auto& s : stores) {
    auto r = make_model_current(*s.service, model);
    if (!r) {
      return make_error(r.error().code, "organization " + s.org_id + ": " + r.error().message);
    }
    changed = changed || *r;
  }
  return changed;
}

Result<PolicyStack> build_policy(const Config& config, store::Store* store) {
  const policy::PolicyOptions& o = config.authz;
  PolicyStack p;
  authz::AuthorizationModel model;
  std::vector<authz::TupleRecord> tuples;
  if (!o.store_file.empty()) {
    MCPGATE_ASSIGN_OR_RETURN(auto file, policy::load_store_file(o.store_file));
    model = std::move(file.model);
    tuples = std::move(file.tuples);
  } else {
    MCPGATE_ASSIGN_OR_RETURN(model, policy::load_model_file(o.model_file));
  }
  std::shared_ptr<policy::PolicyPersistence> persistence;
  if (store != nullptr) {
    persistence = std::make_shared<policy::StorePolicyPersistence>(*store);
  }
  // One store per organization: the default one first, then the configured ones.
  std::vector<std::string> org_ids{store::kDefaultOrgId};
  for (const auto& org : config.auth.organizations) {
    if (org.id != store::kDefaultOrgId) {
      org_ids.push_back(org.id);
    }
  }
  policy::OrgEngines engines;
  for (const auto& org_id : org_ids) {
    auto engine = std::make_shared<authz::Engine>();
    auto service = std::make_shared<policy::PolicyService>(org_policy_store_id(o.store_name, org_id),
                                                           org_policy_store_name(o.store_name, org_id),
                                                           engine, persistence);
    MCPGATE_TRY(service->load());
    engines.emplace(org_id, engine);
    p.stores.push_back(policy::OrgStore{org_id, service});
    if (org_id == store::kDefaultOrgId) {
      p.engine = std::move(engine);
      p.service = std::move(service);
    }
  }
  // The configured model becomes current in every store unless it already is (compared as
  // OpenFGA JSON).
  MCPGATE_ASSIGN_OR_RETURN(const bool changed, make_model_current(p.stores, model));
  const bool same = !changed;
  const std::string model_id = p.service->current_model_id();
  // The store file's tuples seed the default organization's store while it is empty, in batches
  // of the per-write limit. Other organizations start without tuples: a store file written for
  // one deployment-wide store (`user:*` grants and all) must not open every organization.
  const bool seed = p.engine->revision() == 0;
  const std::size_t batch = p.engine->options().store.max_tuples_per_write;
  for (std::size_t i = 0; seed && i < tuples.size(); i += batch) {
    authz::WriteRequest w;
    w.writes.assign(tuples.begin() + static_cast<std::ptrdiff_t>(i),
                    tuples.begin() + static_cast<std::ptrdiff_t>(std::min(tuples.size(), i + batch)));
    MCPGATE_ASSIGN_OR_RETURN(const auto written, p.service->write_tuples(w));
    if (written.error.code == authz::FgaErrorCode::kInvalidWriteInput && persistence) {
      // Another replica starting at the same moment seeded first: take its tuples.
      log::info("authz_seed_skipped", {{"reason", "the store was seeded concurrently"}});
      MCPGATE_TRY(p.service->catch_up());
      break;
    }
    if (!written.error.ok()) {
      return make_error(ErrorCode::kInvalidArgument, o.store_file + ": tuples: " + written.error.message);
    }
  }
  p.log = std::make_shared<policy::DecisionLog>(o.decision_log);
  policy::ToolAuthorizerOptions aopts = o.authorizer;
  std::set<std::string, std::less<>> static_ids;
  for (const auto& c : config.auth.clients) {
    static_ids.insert(c.client_id);
  }
  aopts.client_kind = [static_ids = std::move(static_ids)](std::string_view id) {
    return client_kind_of(static_ids, id);
  };
  p.authorizer = std::make_shared<policy::EngineToolAuthorizer>(std::move(engines), std::move(aopts), p.log);
  if (o.api.enabled) {
    MCPGATE_ASSIGN_OR_RETURN(p.api_token, read_token(o.api));
  }
  p.executor = std::make_unique<store::Executor>(1);
  log::info("authz", {{"store_id", p.service->store_id()},
                      {"model_id", model_id},
                      {"model_changed", !same},
                      {"seeded_tuples", seed ? tuples.size() : 0},
                      {"revision", p.engine->revision()},
                      {"persistent", store != nullptr},
                      {"api", o.api.enabled}});
  for (const auto& s : p.stores) {
    log::info("authz_store", {{"org_id", s.org_id},
                              {"store_id", s.service->store_id()},
                              {"revision", s.service->engine().revision()}});
  }
  return p;
}

}  // namespace mcpgate::app
