#include "provision/scim_cli.hpp"

#include <chrono>
#include <ostream>

#include <CLI/CLI.hpp>

#include "crypto/random.hpp"

namespace mcpgate::provision {
namespace {

store::Timestamp cli_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<ScimTokenCreated> create_scim_token(store::Store& store, std::string_view org_id,
                                           std::string_view name, store::Timestamp now) {
  if (!store::is_valid_org_id(org_id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--org must be an organization id (a-z, 0-9 and '-')");
  }
  if (auto org = store.find_organization(org_id); !org) {
    if (org.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kInvalidArgument,
                        "no organization '" + std::string(org_id)
                            + "' (list it under organizations: in the configuration)");
    }
    return org.error();
  }
  store::ScimDirectory d;
  d.id = "scim_" + crypto::random_id();
  d.org_id = std::string(org_id);
  d.name = name.empty() ? "SCIM directory" : std::string(name);
  // 256 random bits: the store keeps a plain SHA-256 of it (store::hash_secret).
  ScimTokenCreated created{d.id, "scimtok_" + crypto::random_token(32)};
  d.token_hash = store::hash_secret(created.token);
  d.created_at = now;
  MCPGATE_TRY(store.create_scim_directory(d));
  return created;
}

int run_scim_token_list(store::Store& store, std::string_view org_id, std::ostream& out,
                        std::ostream& err) {
  auto all = store.list_scim_directories(org_id);
  if (!all) {
    err << "scim token list: " << all.error().message << "\n";
    return 2;
  }
  for (const auto& d : *all) {
    out << d.id << "\torg=" << d.org_id << "\tname=" << d.name << "\tcreated=" << d.created_at
        << "\t" << (d.revoked_at ? "revoked=" + std::to_string(*d.revoked_at) : "active") << "\n";
  }
  return 0;
}

int run_scim_token_revoke(store::Store& store, std::string_view directory_id,
                          store::Timestamp now, std::ostream& out, std::ostream& err) {
  if (auto st = store.revoke_scim_directory(directory_id, now); !st) {
    err << "scim token revoke: " << st.error().message << "\n";
    return st.error().code == ErrorCode::kNotFound ? 1 : 2;
  }
  out << "revoked: " << directory_id << "\n";
  return 0;
}

struct ScimCommands::State {
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;
  ScimStoreArgs store_args;
  std::string org;
  std::string name;
  std::string directory;
};

ScimCommands::ScimCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  auto* scim = app.add_subcommand("scim", "SCIM provisioning: directory tokens");
  scim->require_subcommand(1);
  auto* token = scim->add_subcommand("token", "Create, list and revoke directory tokens");
  token->require_subcommand(1);
  s.create = token->add_subcommand("create", "New directory token for an organization (printed once)");
  s.create->add_option("--org", s.org, "Organization id")->required();
  s.create->add_option("--name", s.name, "A name for the directory (e.g. Okta)");
  s.list = token->add_subcommand("list", "Directories and whether their token is revoked");
  s.list->add_option("--org", s.org, "Only this organization");
  s.revoke = token->add_subcommand("revoke", "Revoke a directory's token");
  s.revoke->add_option("directory", s.directory, "Directory id (from create or list)")->required();
  for (auto* sub : {s.create, s.list, s.revoke}) {
    sub->add_option("--config,-c", s.store_args.config, "YAML configuration file (for store:)")
        ->required();
    sub->add_option("--data", s.store_args.data_dir,
                    "Data directory (overrides data_dir and MCPGATE_DATA_DIR)");
    sub->add_option("--store", s.store_args.store_url,
                    "Store URL: sqlite:PATH or postgresql://... (overrides store:)");
  }
}

ScimCommands::~ScimCommands() = default;

bool ScimCommands::parsed() const {
  const State& s = *state_;
  return s.create->parsed() || s.list->parsed() || s.revoke->parsed();
}

int ScimCommands::run(const ScimStoreOpener& open_store, std::ostream& out,
                      std::ostream& err) const {
  const State& s = *state_;
  auto opened = open_store(s.store_args);
  if (!opened) {
    err << "mcpgate: " << opened.error().message << "\n";
    return 2;
  }
  store::Store& store = **opened;
  if (s.create->parsed()) {
    auto created = create_scim_token(store, s.org, s.name, cli_now());
    if (!created) {
      err << "scim token create: " << created.error().message << "\n";
      return created.error().code == ErrorCode::kInvalidArgument ? 1 : 2;
    }
    out << "directory: " << created->directory_id << "\n"
        << "token: " << created->token << "\n"
        << "(shown once; the gate keeps only its hash)\n";
    return 0;
  }
  if (s.list->parsed()) {
    return run_scim_token_list(store, s.org, out, err);
  }
  return run_scim_token_revoke(store, s.directory, cli_now(), out, err);
}

}  // namespace mcpgate::provision
